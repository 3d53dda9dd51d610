import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { TASK_QUEUE } from '../client/integrations';
import { ensureSearchAttributes } from '../client/search-attributes';
import { DATA_DIR } from '../config';
import { createLogger } from '../logger';
import { startHubSpotSandbox } from '../sandbox/hubspot/server';
import { startSalesforceSandbox } from '../sandbox/salesforce/server';
import { openDb } from '../store/db';
import { servePglite } from '../store/serve';
import { DEMO_INPUTS, setupDemo } from './demo-setup';
import { spawnNode, stopChild } from './processes';
import { startDevServer } from './temporal-dev-server';

/**
 * The main job (`npm start`): Temporal dev server with its UI, the HubSpot and Salesforce sandboxes with demo data,
 * the embedded workspace database, and a worker. Everything lives under .data/ and survives a
 * restart. Ctrl-C stops it all.
 */
const PORTS = { temporal: 7233, ui: 8233, hubspot: 4010, salesforce: 4020, db: 5433 };
/** A worker that exits sooner than this after its start is not restarted: it would only exit again. */
const WORKER_MIN_UPTIME_MS = 60_000;

async function main(): Promise<void> {
  const log = createLogger();
  mkdirSync(DATA_DIR, { recursive: true });
  const stops: (() => Promise<unknown>)[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping');
    for (const stop of stops.reverse()) await stop().catch((err) => log.warn({ err }, 'stop failed'));
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    log.info('starting the Temporal dev server (the first run builds the CLI from source)');
    // The server's own warnings go to a file beside its state, not into the worker's JSON log stream.
    const temporal = await startDevServer({
      port: PORTS.temporal,
      uiPort: PORTS.ui,
      dbFile: resolve(DATA_DIR, 'temporal.db'),
      logFile: resolve(DATA_DIR, 'temporal.log'),
    });
    stops.push(() => temporal.stop());
    const client = await Connection.connect({ address: temporal.address });
    await ensureSearchAttributes(client, 'default');
    await client.close();

    const sandbox = await startHubSpotSandbox({
      port: PORTS.hubspot,
      dataFile: resolve(DATA_DIR, 'hubspot-sandbox.json'),
    });
    stops.push(() => sandbox.close());
    const salesforce = await startSalesforceSandbox({
      port: PORTS.salesforce,
      dataFile: resolve(DATA_DIR, 'salesforce-sandbox.json'),
    });
    stops.push(() => salesforce.close());
    const connectionsFile = resolve(DATA_DIR, 'connections.json');
    const db = await openDb({ dataDir: resolve(DATA_DIR, 'pglite') });
    const demo = await setupDemo({ sandboxUrl: sandbox.url, salesforceUrl: salesforce.url, connectionsFile, db });
    log.info(
      demo,
      demo.seeded.length ? `sandboxes seeded with demo data: ${demo.seeded.join(', ')}` : 'demo data already in place',
    );
    // PGlite serves one process; the worker and the CLI reach it through this socket.
    const dbServer = await servePglite(db, PORTS.db);
    stops.push(() => db.close());
    stops.push(() => dbServer.stop());
    const databaseUrl = dbServer.url;

    // The worker logs a lost database connection and carries on (store/db.ts). Should it still die
    // after it has been running, it is started again: one child's crash does not stop the UI, the
    // sandboxes and the database. One that dies on start (a bad config, a schema newer than it
    // knows) would only die again, so that stops everything, with its own message above.
    let worker: ChildProcess;
    const runWorker = () => {
      const startedAt = Date.now();
      worker = startWorker(databaseUrl, connectionsFile, temporal.address, () => {
        if (stopping) return;
        if (Date.now() - startedAt < WORKER_MIN_UPTIME_MS) return void stopAll(1);
        log.warn('the worker exited unexpectedly; starting it again');
        runWorker();
      });
    };
    runWorker();
    stops.push(() => stopChild(worker));

    const form = (input: (typeof DEMO_INPUTS)[keyof typeof DEMO_INPUTS]) => [
      `  Workflow ID:   integration:${input.workspaceId}:${input.crm}`,
      `  Task Queue:    ${TASK_QUEUE}`,
      `  Workflow Type: integrationWorkflow`,
      `  Input (json/plain):`,
      `  ${JSON.stringify(input)}`,
    ];
    process.stdout.write(
      [
        '',
        `Temporal UI:        ${temporal.uiUrl}/namespaces/default/workflows`,
        `HubSpot sandbox:    ${sandbox.url}  (admin API under /_admin)`,
        `Salesforce sandbox: ${salesforce.url}  (admin API under /_admin)`,
        `Workspace DB:       ${databaseUrl}  (PGlite via pglite-socket; the CLI uses it)`,
        '',
        'Start an integration: Workflows > Start Workflow, then paste, for HubSpot (workspace acme)',
        ...form(DEMO_INPUTS.hubspot),
        'or for Salesforce (workspace globex)',
        ...form(DEMO_INPUTS.salesforce),
        'The plan is paid: send the update startSyncNow with input {} to skip the 6-hour window.',
        '',
        `or, from another shell: DATABASE_URL=${databaseUrl} npm run cli -- start acme --connection acme-hubspot --sync-user u-admin --plan paid`,
        'Ctrl-C stops everything; state stays in .data/.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    log.error({ err }, 'main job failed to start');
    await stopAll(1);
  }
}

function startWorker(databaseUrl: string, connectionsFile: string, address: string, onCrash: () => void): ChildProcess {
  const child = spawnNode('worker.js', {
    DATABASE_URL: databaseUrl,
    PG_POOL_MAX: '1',
    CRM_CONNECTIONS_FILE: connectionsFile,
    TEMPORAL_ADDRESS: address,
  });
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') onCrash();
  });
  return child;
}

void main();
