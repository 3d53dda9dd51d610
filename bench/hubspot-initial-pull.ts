import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startIntegration, temporalClient, waitForWorker } from '../src/client/integrations';
import { freePort, spawnNode, spawnService, stopChild } from '../src/dev/processes';
import { startDevServer } from '../src/dev/temporal-dev-server';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { openDb } from '../src/store/db';
import { workspaceCounts } from '../src/store/reports';
import { ensureWorkspace, upsertUser } from '../src/store/workspace-store';
import { disconnectSignal, statusQuery } from '../src/workflows/contract';
import type { BenchResult } from './result';

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 50_000);
const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 10_000);
const TEN_SECOND_MAX = 190;

/**
 * The initial pull of a large HubSpot portal, end to end: the real dev server, and the sandbox, the
 * embedded database and the worker each in their own process, as the main job runs them. The floor is what the rate limit alone allows: every call the pull made, at 190 / 10 s.
 */
export async function hubspotInitialPull(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-sync-bench-'));
  const children: ChildProcess[] = [];
  const temporal = await startDevServer({ port: await freePort(), logFile: join(dir, 'temporal.log') });
  try {
    const { child: sandboxProc, url: sandboxUrl } = await spawnService('sandbox/hubspot/main.js', { HUBSPOT_SANDBOX_PORT: String(await freePort()) });
    children.push(sandboxProc);

    const token = `pat-na1-${randomBytes(12).toString('hex')}`;
    const admin = await HubSpotSandboxAdmin.createPortal(sandboxUrl, 990001, token, { tenSecondMax: TEN_SECOND_MAX });
    await admin.seed({ contacts: CONTACTS, companies: COMPANIES, owners: 10, seed: 3 });

    const dataDir = join(dir, 'pglite');
    const db = await openDb({ dataDir });
    await ensureWorkspace(db, 'bench', 'free');
    await upsertUser(db, { id: 'bench-admin', workspaceId: 'bench', email: 'admin@bench.example', name: 'Admin', permissions: ['assign contact owner', 'assign account owner'] });
    await db.close();
    const connectionsFile = join(dir, 'connections.json');
    writeFileSync(connectionsFile, JSON.stringify({ bench: { crm: 'hubspot', accessToken: token, baseUrl: sandboxUrl } }), { mode: 0o600 });

    // The database runs in its own process, as in the main job (and as PostgreSQL would in production),
    // so rss_mb is the worker's own; the database's peak is reported beside it.
    const { child: dbProc, url: databaseUrl } = await spawnService('store/serve.js', { PGLITE_DATA_DIR: dataDir, PGLITE_PORT: String(await freePort()) });
    children.push(dbProc);

    // BENCH_WORKER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the worker alone.
    const worker = spawnNode('worker.js', {
      TEMPORAL_ADDRESS: temporal.address,
      DATABASE_URL: databaseUrl,
      PG_POOL_MAX: '1',
      CRM_CONNECTIONS_FILE: connectionsFile,
      LOG_LEVEL: 'warn',
    }, undefined, (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean));
    children.push(worker);
    const client = await temporalClient(temporal.address, 'default');
    // The clock starts once the worker polls: its start-up (bundling workflows) is not the pull's.
    await waitForWorker(client, () => worker.exitCode === null);
    const t0 = Date.now();
    const handle = await startIntegration(client, { workspaceId: 'bench', crm: 'hubspot', connection: 'bench', syncUserId: 'bench-admin', plan: 'free' });
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
    const dbRssMb = peakRssMb(dbProc.pid!);
    const stats = await admin.stats();

    await handle.signal(disconnectSignal, {});
    await handle.result();
    await client.connection.close();
    await stopChild(worker);
    await stopChild(dbProc);

    const check = await openDb({ dataDir });
    const counts = await workspaceCounts(check, 'bench', 'hubspot');
    await check.close();
    if (counts.contacts !== CONTACTS || counts.accounts !== COMPANIES) {
      throw new Error(`pulled ${counts.contacts} contacts and ${counts.accounts} companies, expected ${CONTACTS} and ${COMPANIES}`);
    }
    const floorS = stats.requests / (TEN_SECOND_MAX / 10);
    return {
      scenario: 'hubspot-initial-pull',
      calls: stats.requests,
      wallS,
      floorS,
      rssMb,
      notes: `429s=${stats.throttled} records=${CONTACTS + COMPANIES} db_rss_mb=${Math.round(dbRssMb)}`,
    };
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
