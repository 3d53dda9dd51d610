import { Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from './activities';
import { ensureSearchAttributes } from './client/search-attributes';
import { loadConfig } from './config';
import { CrmConnections, fileConnections } from './crm/connections';
import { connectionsFileProblems } from './crm/connections-file';
import { createLogger, routeTemporalLogs } from './logger';
import { openDb, type Db } from './store/db';
import { DbTurns } from './store/db-turns';
import { TASK_QUEUE } from './workflows/contract';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  db: Db;
  connections: CrmConnections;
  logger: Logger;
  taskQueue?: string;
  /** Tests bundle once and share it; production bundles from the workflows folder. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  chunkBudgetMs?: number;
  /** Upper bound of one paged manual-push activity (tests make it small to see several). */
  manualPushBudgetMs?: number;
  /** Tests use these to simulate failures Temporal must recover from (a result lost after a commit). */
  interceptors?: WorkerOptions['interceptors'];
}

/** Builds the worker: activities bound to the store and CRM connections, workflows from one bundle. */
export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue ?? TASK_QUEUE,
    ...(deps.workflowBundle
      ? { workflowBundle: deps.workflowBundle }
      : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities({
      ...interactiveDeps(deps),
      db: deps.db,
      connections: deps.connections,
      logger: deps.logger,
      chunkBudgetMs: deps.chunkBudgetMs,
      manualPushBudgetMs: deps.manualPushBudgetMs,
      // N workers on one CRM account keep to its one limit (activities/rate-budget.ts).
      sharedRateBudgets: true,
    }),
    ...(deps.interceptors ? { interceptors: deps.interceptors } : {}),
  });
}

/** Pushes go ahead of pull pages at the database (store/db-turns.ts). */
function interactiveDeps(deps: WorkerDeps) {
  const turns = new DbTurns();
  return { turns, interactiveDb: turns.interactive(deps.db) };
}

/** `node lib/src/worker.js`: configuration from the environment (see README). */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger();
  routeTemporalLogs(logger);
  // Said once at start so a mistake is seen before an integration trips on it; the file is still
  // read again on every resolve, so fixing it needs no restart.
  for (const problem of connectionsFileProblems(config.connectionsFile)) logger.warn(problem);
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.pgliteDataDir, poolMax: config.poolMax });
  const client = await Connection.connect({ address: config.temporalAddress });
  await ensureSearchAttributes(client, config.namespace);
  await client.close();
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createWorker({
    connection,
    namespace: config.namespace,
    db,
    connections: new CrmConnections(fileConnections(config.connectionsFile)),
    logger,
    chunkBudgetMs: process.env.PULL_CHUNK_BUDGET_MS ? Number(process.env.PULL_CHUNK_BUDGET_MS) : undefined,
  });
  logger.info({ taskQueue: TASK_QUEUE, db: db.kind, temporal: config.temporalAddress }, 'worker started');
  try {
    await worker.run();
  } finally {
    await connection.close();
    await db.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    // One line for what an operator can fix (a newer schema, a bad setting); the stack for the rest.
    const known = err instanceof Error && /^the database schema is at version|must be/.test(err.message);
    console.error(known ? `worker not started: ${err.message}` : err);
    process.exit(1);
  });
}
