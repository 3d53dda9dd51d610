import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startIntegration, temporalClient, waitForWorker } from '../src/client/integrations';
import type { ConnectionConfig } from '../src/crm/connections';
import { freePort, spawnNode, spawnService, stopChild } from '../src/dev/processes';
import { startDevServer } from '../src/dev/temporal-dev-server';
import type { CrmName } from '../src/domain/types';
import { openDb } from '../src/store/db';
import { workspaceCounts, type WorkspaceCounts } from '../src/store/reports';
import { ensureWorkspace, upsertUser } from '../src/store/workspace-store';
import { disconnectSignal, statusQuery } from '../src/workflows/contract';

/** What a scenario brings: its CRM sandbox, seeded, and the connection the worker uses. */
export interface CrmSide {
  connection: ConnectionConfig;
  /** Called once the pull is done; the scenario checks the workspace and computes its floor. */
  finish(counts: WorkspaceCounts): Promise<{ calls: number; floorS: number; notes: string }>;
}

export interface InitialPullMeasure {
  wallS: number;
  rssMb: number;
  dbRssMb: number;
  calls: number;
  floorS: number;
  notes: string;
}

/**
 * An initial pull end to end, as the main job runs it: the real dev server, and the CRM sandbox, the
 * embedded database and the worker each in their own process (so rss_mb is the worker's alone; the
 * database's peak is reported beside it). The clock starts once the worker polls, so its start-up
 * (bundling workflows) is not counted, and stops when status reports the initial pull done.
 */
export async function measureInitialPull(crm: CrmName, sandboxEntry: string, portEnv: string, setup: (sandboxUrl: string) => Promise<CrmSide>): Promise<InitialPullMeasure> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-sync-bench-'));
  const children: ChildProcess[] = [];
  const temporal = await startDevServer({ port: await freePort(), logFile: join(dir, 'temporal.log') });
  try {
    const sandbox = await spawnService(sandboxEntry, { [portEnv]: String(await freePort()) });
    children.push(sandbox.child);
    const side = await setup(sandbox.url);

    const dataDir = join(dir, 'pglite');
    const db = await openDb({ dataDir });
    await ensureWorkspace(db, 'bench', 'free');
    await upsertUser(db, { id: 'bench-admin', workspaceId: 'bench', email: 'admin@bench.example', name: 'Admin', permissions: ['assign contact owner', 'assign account owner'] });
    await db.close();
    const connectionsFile = join(dir, 'connections.json');
    writeFileSync(connectionsFile, JSON.stringify({ bench: side.connection }), { mode: 0o600 });

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

    const t0 = Date.now();
    const handle = await startIntegration(client, { workspaceId: 'bench', crm, connection: 'bench', syncUserId: 'bench-admin', plan: 'free' });
    for (;;) {
      const s = await handle.query(statusQuery).catch(() => undefined);
      if (s?.lastPull?.kind === 'initial') {
        if (s.lastPull.failure) throw new Error(`initial pull failed: ${s.lastPull.failure}`);
        break;
      }
      if (worker.exitCode !== null) throw new Error(`worker exited with ${worker.exitCode}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const wallS = (Date.now() - t0) / 1000;
    const rssMb = peakRssMb(worker.pid!);
    const dbRssMb = peakRssMb(dbProc.child.pid!);

    await handle.signal(disconnectSignal, {});
    await handle.result();
    await client.connection.close();
    await stopChild(worker);
    await stopChild(dbProc.child);
    const check = await openDb({ dataDir });
    const counts = await workspaceCounts(check, 'bench', crm);
    await check.close();
    const floor = await side.finish(counts);
    return { wallS, rssMb, dbRssMb, ...floor };
  } finally {
    for (const c of children) await stopChild(c, 5_000).catch(() => undefined);
    await temporal.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Peak resident set of a live process (Linux: VmHWM). */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('cannot read peak RSS from /proc (the bench needs Linux)');
  return Number(m[1]) / 1024;
}
