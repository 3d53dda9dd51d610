import type { CrmName, ObjectKind } from '../domain/types';
import type { Db, Queryable } from './db';
import { applyRemovals, type RemovalRules } from './removals';

/**
 * Hard deletes the CRMs no longer report (issue 14 item 6): Salesforce's getDeleted / queryAll see
 * about 15 days back, HubSpot's recycle bin 90 days, and a GDPR delete or an emptied recycle bin
 * leaves nothing at all. A reconciliation lists the ids of every live CRM record of a stream (ids
 * only) and treats the linked ones it did not see as deleted. It runs as extra runs of a recurring
 * pull, named `ids:<stream>`, so it pages, resumes and retries as pulls do, with no workflow of its own.
 */
export const RECONCILE_PREFIX = 'ids:';
/** Weekly by default; sooner when the operator asks (the integration's `reconcileNow`, the CLI's `reconcile`). */
export const RECONCILE_EVERY_MS = 7 * 24 * 60 * 60 * 1000;

export function isReconcileStream(stream: string): boolean {
  return stream.startsWith(RECONCILE_PREFIX);
}

/** Whether a recurring pull beginning now should reconcile too. */
export async function reconcileDue(db: Queryable, workspaceId: string, crm: CrmName, nowMs: number): Promise<boolean> {
  const { rows } = await db.query<{ at: Date | null }>(
    'SELECT reconciled_at AS at FROM integrations WHERE workspace_id = $1 AND crm = $2',
    [workspaceId, crm],
  );
  const at = rows[0]?.at;
  return !at || new Date(at).getTime() < nowMs - RECONCILE_EVERY_MS;
}

/**
 * Whether this recurring pull reconciles: asked for, due, or (a retried beginPull) already opened
 * its ids runs, so every attempt returns the same runs.
 */
export async function reconcileWanted(
  db: Queryable,
  p: { workspaceId: string; crm: CrmName; runKey: string; reconcile?: boolean },
  nowMs: number,
): Promise<boolean> {
  if (p.reconcile) return true;
  const { rows } = await db.query('SELECT 1 FROM pull_runs WHERE run_key LIKE $1 LIMIT 1', [
    `${p.runKey.replace(/[\\%_]/g, (c) => `\\${c}`)}:${RECONCILE_PREFIX}%`,
  ]);
  return rows.length > 0 || reconcileDue(db, p.workspaceId, p.crm, nowMs);
}

/** An initial pull reads every record: it counts as a reconciliation (nothing was linked before it). */
export async function markReconciled(db: Queryable, workspaceId: string, crm: CrmName, nowMs: number) {
  await db.query('UPDATE integrations SET reconciled_at = $3 WHERE workspace_id = $1 AND crm = $2', [
    workspaceId,
    crm,
    new Date(nowMs),
  ]);
}

/**
 * One page of ids, in one transaction with the run's cursor (as pull pages are): the ids are kept
 * for the run. On the last page, links of the stream made before the run began whose CRM id was not
 * seen are applied as CRM deletions, by the deletion setting (removals.ts); the kept ids go.
 */
export async function applyIdsPage(
  db: Db,
  p: { runId: string; expectedCursor: string | null; ids: string[]; nextCursor: string | null; rules: RemovalRules },
): Promise<{ missing: number } | 'stale'> {
  return db.transaction(async (tx) => {
    const { rows: locked } = await tx.query<{
      cursor: string | null;
      done: boolean;
      workspace_id: string;
      crm: CrmName;
      object_kind: ObjectKind;
      stream: string;
      started_at: Date;
    }>(
      'SELECT cursor, done, workspace_id, crm, object_kind, stream, started_at FROM pull_runs WHERE id = $1 FOR UPDATE',
      [p.runId],
    );
    const run = locked[0];
    if (!run) throw new Error(`no pull run ${p.runId}`);
    if (run.done || run.cursor !== p.expectedCursor) return 'stale';
    if (p.ids.length)
      await tx.query(
        `INSERT INTO reconcile_seen (run_id, crm_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
        [p.runId, p.ids],
      );
    const done = p.nextCursor === null;
    await tx.query(
      `UPDATE pull_runs SET cursor = $2, done = $3, pages = pages + 1,
         finished_at = CASE WHEN $3 THEN now() ELSE NULL END WHERE id = $1`,
      [p.runId, p.nextCursor, done],
    );
    if (!done) return { missing: 0 };
    const crmObject = run.stream.slice(RECONCILE_PREFIX.length);
    const { rows: missing } = await tx.query<{ crm_id: string }>(
      `SELECT l.crm_id FROM crm_links l
        WHERE l.workspace_id = $1 AND l.crm = $2 AND l.object_kind = $3 AND l.crm_object = $4 AND l.linked_at < $5
          AND NOT EXISTS (SELECT 1 FROM reconcile_seen s WHERE s.run_id = $6 AND s.crm_id = l.crm_id)`,
      [run.workspace_id, run.crm, run.object_kind, crmObject, run.started_at, p.runId],
    );
    const removedAt = new Date().toISOString();
    await applyRemovals(
      tx,
      run.workspace_id,
      run.crm,
      run.object_kind,
      missing.map((m) => ({ crmId: m.crm_id, crmObject, removedAt, mergedInto: null })),
      p.rules,
    );
    await tx.query('DELETE FROM reconcile_seen WHERE run_id = $1', [p.runId]);
    return { missing: missing.length };
  });
}
