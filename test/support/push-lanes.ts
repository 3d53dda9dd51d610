import type { CrmName } from '../../src/domain/types';
import type { Db } from '../../src/store/db';
import { addAccount } from '../../src/store/workspace-writes';

/** The push lanes of a new integration (PUSH_LANES in src/workflows/integration/push-drain.ts). */
const LANES: Record<CrmName, number> = { hubspot: 2, salesforce: 4 };

/** The lane of an account's outbox row: its id's last byte (loadDue's LANE_KEY). */
export const laneOf = (id: string, crm: CrmName) => parseInt(id.slice(-2), 16) % LANES[crm];

/**
 * Adds workspace accounts, in order and without the nudge, whose outbox rows are all in the same
 * push lane, so one batch takes them together: a record that lands in another lane is deleted
 * again and added anew (ids are random). Returns their ids.
 */
export async function sameLaneAccounts(db: Db, workspaceId: string, crm: CrmName, fields: object[]): Promise<string[]> {
  const ids: string[] = [];
  for (const f of fields) {
    for (;;) {
      const { id } = await addAccount(db, workspaceId, f);
      if (!ids.length || laneOf(id, crm) === laneOf(ids[0], crm)) {
        ids.push(id);
        break;
      }
      await db.query('DELETE FROM push_outbox WHERE workspace_id = $1 AND local_id = $2', [workspaceId, id]);
      await db.query('DELETE FROM accounts WHERE workspace_id = $1 AND id = $2', [workspaceId, id]);
    }
  }
  return ids;
}

/** The open push error of a record, with its cause ('rejected' waits for the operator, 'transient' is retried). */
export async function openPushError(db: Db, workspaceId: string, crm: CrmName, localId: string) {
  const { rows } = await db.query<{ error_code: string; cause: string; message: string; attempts: number }>(
    `SELECT error_code, cause, message, attempts FROM error_log WHERE workspace_id = $1 AND crm = $2 AND job_type = 'push'
        AND local_id = $3 AND resolved_at IS NULL`,
    [workspaceId, crm, localId],
  );
  return rows[0];
}
