import type { Logger } from 'pino';
import type { CrmConnections } from '../crm/connections';
import type { Db } from '../store/db';

/** What activities are built from; the worker passes real ones, tests pass sandboxes. */
export interface ActivityDeps {
  db: Db;
  connections: CrmConnections;
  logger: Logger;
  /** Upper bound of one pullChunk call, so a worker crash repeats little and heartbeats flow. */
  chunkBudgetMs?: number;
}
