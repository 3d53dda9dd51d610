import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startIntegration, temporalClient, waitForWorker } from '../src/client/integrations';
import type { ConnectionConfig } from '../src/crm/connections';
import { freePort, spawnNode, spawnService, stopChild } from '../src/dev/processes';
import { startDevServer } from '../src/dev/temporal-dev-server';
import type { CrmName } from '../src/domain/types';
import { openDb, type Db } from '../src/store/db';
import { ensureWorkspace, upsertUser } from '../src/store/workspace-store';
import { disconnectSignal } from '../src/workflows/contract';
import type { integrationWorkflow } from '../src/workflows/integration';

/**
 * What every scenario runs on, as the main job runs it: the real dev server, and the CRM sandbox, the
 * embedded database and the worker each in their own process (so rss_mb is the worker's alone).
 */
export interface Stack {
  client: Client;
  handle: WorkflowHandle<typeof integrationWorkflow>;
  worker: ChildProcess;
  dbProc: ChildProcess;
  /** The database process's address, for writes the bench makes while the worker runs (as the CLI does). */
  dbUrl: string;
  /** Reopen the workspace database after the run (the worker's database process is stopped by then). */
  dataDir: string;
}

export interface StackOptions {
  crm: CrmName;
  sandboxEntry: string;
  portEnv: string;
  /** Seeds the sandbox; returns the connection the worker uses. */
  crmSetup(sandboxUrl: string): Promise<ConnectionConfig>;
  /** Workspace records written before the worker starts (the database is the bench's until then). */
  workspaceSetup?(db: Db): Promise<void>;
}

export const BENCH_WORKSPACE = 'bench';

/** Starts the stack and the integration, runs `body` (which times what it measures), then stops it all. */
export async function onStack<T>(opts: StackOptions, body: (s: Stack) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-sync-bench-'));
  const children: ChildProcess[] = [];
  const temporal = await startDevServer({ port: await freePort(), logFile: join(dir, 'temporal.log') });
  try {
    const sandbox = await spawnService(opts.sandboxEntry, { [opts.portEnv]: String(await freePort()) });
    children.push(sandbox.child);
    const connection = await opts.crmSetup(sandbox.url);

    const dataDir = join(dir, 'pglite');
    const db = await openDb({ dataDir });
    await ensureWorkspace(db, BENCH_WORKSPACE, 'free');
    await upsertUser(db, { id: 'bench-admin', workspaceId: BENCH_WORKSPACE, email: 'admin@bench.example', name: 'Admin', permissions: ['assign contact owner', 'assign account owner'] });
    await opts.workspaceSetup?.(db);
    await db.close();
    const connectionsFile = join(dir, 'connections.json');
    writeFileSync(connectionsFile, JSON.stringify({ bench: connection }), { mode: 0o600 });

    const dbProc = await spawnService('store/serve.js', { PGLITE_DATA_DIR: dataDir, PGLITE_PORT: String(await freePort()) });
    children.push(dbProc.child);
    // BENCH_WORKER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the worker alone.
    const worker = spawnNode('worker.js', {
      TEMPORAL_ADDRESS: temporal.address,
      DATABASE_URL: dbProc.url,
      PG_POOL_MAX: '1',
      CRM_CONNECTIONS_FILE: connectionsFile,
      LOG_LEVEL: 'warn',
    }, undefined, (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean));
    children.push(worker);
    const client = await temporalClient(temporal.address, 'default');
    await waitForWorker(client, () => worker.exitCode === null);
    const handle = await startIntegration(client, { workspaceId: BENCH_WORKSPACE, crm: opts.crm, connection: 'bench', syncUserId: 'bench-admin', plan: 'free' });
    const result = await body({ client, handle, worker, dbProc: dbProc.child, dbUrl: dbProc.url, dataDir });
    if (worker.exitCode === null) await endIntegration({ handle });
    await client.connection.close();
    return result;
  } finally {
    // Reverse order: the worker before the database it uses, the sandbox last.
    for (const c of children.reverse()) await stopChild(c, 5_000).catch(() => undefined);
    await temporal.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Polls `fn` until `done`; fails fast if the worker died. */
export async function until<T>(worker: ChildProcess, fn: () => Promise<T | undefined>, done: (v: T) => boolean, everyMs = 250): Promise<T> {
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && done(v)) return v;
    if (worker.exitCode !== null) throw new Error(`worker exited with ${worker.exitCode}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Peak resident set of a live process (Linux: VmHWM). */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('cannot read peak RSS from /proc (the bench needs Linux)');
  return Number(m[1]) / 1024;
}

async function endIntegration(s: Pick<Stack, 'handle'>): Promise<void> {
  await s.handle.signal(disconnectSignal, {});
  await s.handle.result();
}

/** Ends the integration, stops the worker and the database process, and opens the data directory. */
export async function releaseDb(s: Stack): Promise<Db> {
  await endIntegration(s);
  await stopChild(s.worker);
  await stopChild(s.dbProc);
  return openDb({ dataDir: s.dataDir });
}
