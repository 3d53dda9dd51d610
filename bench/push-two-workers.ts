import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { freePort } from '../src/dev/processes';
import { DevStack } from '../src/dev/stack';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { openDb } from '../src/store/db';
import { ensureWorkspace, upsertUser } from '../src/store/workspace-store';
import { disconnectSignal, statusQuery } from '../src/workflows/contract';
import { ACCOUNTS, CONTACTS, seedWorkspace, TEN_SECOND_MAX, timePush } from './push';
import type { BenchResult } from './result';
import { BENCH_WORKSPACE, until } from './stack';

const ROOT = resolve(__dirname, '../..');

/**
 * The `hubspot-push` records pushed by two worker processes on one PostgreSQL database (an
 * embedded one is a single process's), to one portal at 190 requests / 10 s: the portal's one
 * budget, shared through the database (src/store/rate-budgets.ts), sets the pace, not each
 * worker's own. Same floor as `hubspot-push`. `busiest_10s` is the most calls the portal received
 * in any 10 s, refused ones included.
 */
export async function hubspotPushTwoWorkers(): Promise<BenchResult> {
  const pg = execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh')], { encoding: 'utf8' }).trim();
  const env = Object.fromEntries(pg.split(' ').map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
  const stack = await DevStack.start({ name: 'bench-two-workers' });
  try {
    const sandbox = await stack.startService('sandbox/hubspot/main.js', {
      HUBSPOT_SANDBOX_PORT: String(await freePort()),
    });
    const token = `pat-na1-${randomBytes(12).toString('hex')}`;
    const admin = await HubSpotSandboxAdmin.createPortal(sandbox.url, 990004, token, { tenSecondMax: TEN_SECOND_MAX });
    await admin.seed({ contacts: 10, companies: 5, owners: 5, seed: 4 });
    stack.writeConnections({ bench: { crm: 'hubspot', accessToken: token, baseUrl: sandbox.url } });
    stack.useDatabase(env.DATABASE_URL);
    const db = await openDb({ databaseUrl: env.DATABASE_URL });
    await ensureWorkspace(db, BENCH_WORKSPACE, 'free');
    const syncUserId = `${BENCH_WORKSPACE}-admin`;
    await upsertUser(db, { id: syncUserId, workspaceId: BENCH_WORKSPACE, email: 'admin@bench.example', name: 'Admin' });
    await seedWorkspace(db);
    await db.close();

    const worker = stack.startWorker();
    stack.startAnotherWorker();
    await stack.waitForWorker();
    const handle = await stack.startIntegration({
      workspaceId: BENCH_WORKSPACE,
      crm: 'hubspot',
      connection: 'bench',
      syncUserId,
      plan: 'free',
    });
    await until(
      worker,
      () => handle.query(statusQuery),
      (x) => x.phase === 'syncing',
    );
    const stats0 = await admin.stats();
    const r = await timePush({ worker, handle });
    const stats = await admin.stats();
    const inCrm = (await admin.ids('contacts')).count - 10;
    if (inCrm !== CONTACTS) throw new Error(`HubSpot holds ${inCrm} pushed contacts, expected ${CONTACTS}`);
    await handle.signal(disconnectSignal, {});
    await handle.result();
    const calls = stats.requests - stats0.requests;
    return {
      scenario: 'hubspot-push-two-workers',
      calls,
      wallS: r.wallS,
      floorS: calls / (TEN_SECOND_MAX / 10),
      rssMb: r.rssMb,
      notes: `429s=${stats.throttled - stats0.throttled} busiest_10s=${stats.busiest.tenSecondly} records=${CONTACTS + ACCOUNTS} linked=${r.linked} rejected=${r.rejected}`,
    };
  } finally {
    await stack.stop();
    execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh'), 'stop', env.PG_TEST_DIR]);
  }
}
