import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ConnectionConfig } from '../src/crm/connections';
import { freePort, stopChild } from '../src/dev/processes';
import { DevStack } from '../src/dev/stack';
import type { CrmName } from '../src/domain/types';
import { openDb, type Db } from '../src/store/db';
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

/** Starts the stack (src/dev/stack.ts) and the integration, runs `body` (which times what it measures), then stops it all. */
export async function onStack<T>(opts: StackOptions, body: (s: Stack) => Promise<T>): Promise<T> {
  const stack = await DevStack.start({ name: 'bench' });
  try {
    const sandbox = await stack.startService(opts.sandboxEntry, { [opts.portEnv]: String(await freePort()) });
    const connection = await opts.crmSetup(sandbox.url);
    const { syncUserId } = await stack.addWorkspace(BENCH_WORKSPACE, {
      permissions: ['assign contact owner', 'assign account owner'],
      setup: opts.workspaceSetup,
    });
    stack.writeConnections({ bench: connection });

    const dbProc = await stack.serveDatabase();
    // BENCH_WORKER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the worker alone.
    const worker = stack.startWorker({
      nodeArgs: (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean),
    });
    await stack.waitForWorker();
    const handle = await stack.startIntegration({
      workspaceId: BENCH_WORKSPACE,
      crm: opts.crm,
      connection: 'bench',
      syncUserId,
      plan: 'free',
    });
    const result = await body({
      client: await stack.client(),
      handle,
      worker,
      dbProc: dbProc.child,
      dbUrl: dbProc.url,
      dataDir: stack.dataDir,
    });
    if (worker.exitCode === null) await endIntegration({ handle });
    return result;
  } finally {
    await stack.stop();
  }
}

/** Polls `fn` until `done`; fails fast if the worker died. */
export async function until<T>(
  worker: ChildProcess,
  fn: () => Promise<T | undefined>,
  done: (v: T) => boolean,
  everyMs = 250,
): Promise<T> {
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
