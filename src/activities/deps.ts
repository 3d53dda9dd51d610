import type { Logger } from 'pino';
import type { CrmConnections } from '../crm/connections';
import type { Db } from '../store/db';
import type { DbTurns } from '../store/db-turns';

/** What activities are built from; the worker passes real ones, tests pass sandboxes. */
export interface ActivityDeps {
  db: Db;
  connections: CrmConnections;
  logger: Logger;
  /** Upper bound of one pullChunk call, so a worker crash repeats little and heartbeats flow. */
  chunkBudgetMs?: number;
  /** Upper bound of one paged enqueueManualPush call (default MANUAL_PUSH_BUDGET_MS). */
  manualPushBudgetMs?: number;
  /**
   * Pushes (work a user waits on) use this instead of `db`: the same database, counted by `turns`,
   * so pull pages wait for them (src/store/db-turns.ts). Absent: pushes use `db` uncounted.
   */
  interactiveDb?: Db;
  turns?: DbTurns;
  /**
   * Every CRM call also takes a slot of its account's rate budget in `db`, shared by every worker
   * on the database (rate-budget.ts), rather than only this process's pacing. The worker sets it.
   */
  sharedRateBudgets?: boolean;
}
