import type { Queryable } from './db';

/** Finished pull runs kept per stream: enough for `pulls` history and to explain the last weeks. */
export const PULL_RUNS_KEPT = 200;
/** Resolved error-log entries are kept this long, then deleted; open ones stay until resolved. */
export const RESOLVED_ERRORS_KEPT_DAYS = 30;

/**
 * Keeps the history tables bounded: a recurring pull every 15 minutes adds ~35,000 runs a year
 * per stream, and each pull may resolve error entries. Runs when a pull run opens, in its transaction.
 */
export async function pruneHistory(tx: Queryable, workspaceId: string, crm: string, stream: string): Promise<void> {
  await tx.query(
    `DELETE FROM pull_runs WHERE workspace_id = $1 AND crm = $2 AND stream = $3 AND done AND id NOT IN (
       SELECT id FROM pull_runs WHERE workspace_id = $1 AND crm = $2 AND stream = $3 AND done
        ORDER BY started_at DESC LIMIT $4)`,
    [workspaceId, crm, stream, PULL_RUNS_KEPT],
  );
  await tx.query(
    `DELETE FROM error_log WHERE workspace_id = $1 AND crm = $2 AND resolved_at < now() - make_interval(days => $3)`,
    [workspaceId, crm, RESOLVED_ERRORS_KEPT_DAYS],
  );
}
