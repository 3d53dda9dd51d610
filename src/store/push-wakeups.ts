import type { CrmName } from '../domain/types';
import type { Queryable } from './db';

/**
 * Which integrations a workspace write has to signal (`pushPending`). Every signal is an event in the
 * integration's history, and before the initial pull ends (the configuration window, a pull that
 * waits days on the daily allowance) nothing drains the outbox, so a signal per write would grow one
 * run's history with every edit the workspace makes. One signal per look at the outbox is enough:
 *
 * - A writer, AFTER its outbox rows committed, claims the wake-up: it signals only if no earlier
 *   writer is still waiting for the push to look (`pending` was false).
 * - A push batch clears `pending` BEFORE it reads the outbox (clearWakeup).
 *
 * No write is missed: if a writer finds `pending` already set, the writer that set it signalled,
 * and no batch has cleared it since, so the drain that signal starts clears it, and reads the
 * outbox, after this write committed. A lost signal (Temporal down) is released so the next write
 * signals again; the workflow's sweep finds the rows meanwhile.
 */
export async function claimWakeups(db: Queryable, workspaceId: string, crms: readonly CrmName[]): Promise<CrmName[]> {
  if (!crms.length) return [];
  const { rows } = await db.query<{ crm: CrmName }>(
    `INSERT INTO push_wakeups (workspace_id, crm, pending) SELECT $1, c, true FROM unnest($2::text[]) AS c
     ON CONFLICT (workspace_id, crm) DO UPDATE SET pending = true WHERE NOT push_wakeups.pending
     RETURNING crm`,
    [workspaceId, crms],
  );
  return rows.map((r) => r.crm);
}

/** A claimed wake-up whose signal did not go out: the next write signals instead. */
export async function releaseWakeup(db: Queryable, workspaceId: string, crm: CrmName): Promise<void> {
  await db.query('UPDATE push_wakeups SET pending = false WHERE workspace_id = $1 AND crm = $2', [workspaceId, crm]);
}

/** A push batch is about to read the outbox: writes from now on signal again. */
export async function clearWakeup(db: Queryable, workspaceId: string, crm: CrmName): Promise<void> {
  await db.query('UPDATE push_wakeups SET pending = false WHERE workspace_id = $1 AND crm = $2 AND pending', [
    workspaceId,
    crm,
  ]);
}
