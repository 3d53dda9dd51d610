import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { DevStack } from '../src/dev/stack';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox } from '../src/sandbox/hubspot/server';
import { openDb, type Db } from '../src/store/db';
import { outboxCounts } from '../src/store/push-store';
import { ensureWorkspace, upsertUser } from '../src/store/workspace-store';
import { operate, waitFor } from './support/harness';
import { runsOf } from './support/runs';
import { ROOT } from './support/tools';

/**
 * Issue 13 item 5: two worker processes on one HubSpot portal, on one PostgreSQL database, push
 * 2,000 contacts. Each worker alone paces to the portal's limit; together, without a budget they
 * share, they would send twice it and meet a 429 for every call too many. With it (the portal's
 * row in crm_rate_budgets), the portal never receives more than its limit in any 10 s, refused
 * calls included. Midway a 429 storm (the next calls refused, whoever sends them) makes every worker
 * back off, and every record still reaches HubSpot exactly once.
 */
const LIMIT = 20;
const CONTACTS = 2_000;
const ACCOUNTS = 20;
const PORTAL = 1313;
const TOKEN = 'pat-shared-budget';

async function seedWorkspace(db: Db, ws: string): Promise<void> {
  await ensureWorkspace(db, ws, 'free');
  await upsertUser(db, { id: `${ws}-admin`, workspaceId: ws, email: `admin@${ws}.example`, name: 'Admin' });
  const accountIds = Array.from({ length: ACCOUNTS }, () => randomUUID());
  await db.query(
    `INSERT INTO accounts (id, workspace_id, name, domain) SELECT a.id, $1, 'Budgetco ' || a.n, 'budgetco-' || a.n || '.example'
       FROM unnest($2::uuid[]) WITH ORDINALITY AS a(id, n)`,
    [ws, accountIds],
  );
  await db.query(
    `INSERT INTO contacts (id, workspace_id, email, last_name, account_id)
     SELECT gen_random_uuid(), $1, 'person' || n || '@budgetco-' || (n % $3 + 1) || '.example', 'Person ' || n, ($2::uuid[])[n % $3 + 1]
       FROM generate_series(1, $4) AS n`,
    [ws, accountIds, ACCOUNTS, CONTACTS],
  );
}

describe('two workers on one HubSpot portal share its rate budget (real dev server, PostgreSQL)', () => {
  let stack: DevStack | undefined;
  let pg: { url: string; dir: string } | undefined;
  const ws = 'shared-budget';
  after(async () => {
    await stack?.stop();
    if (pg) execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh'), 'stop', pg.dir]);
  });

  it('stays within the limit in every 10 s through a 429 storm, and pushes every record once', async (t) => {
    const out = execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh')], { encoding: 'utf8' }).trim();
    const env = Object.fromEntries(out.split(' ').map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
    pg = { url: env.DATABASE_URL, dir: env.PG_TEST_DIR };

    stack = await DevStack.start({ name: ws });
    const sandbox = await startHubSpotSandbox();
    stack.closeWithStack(() => sandbox.close());
    const admin = await HubSpotSandboxAdmin.createPortal(sandbox.url, PORTAL, TOKEN, { tenSecondMax: LIMIT });
    await admin.seed({ contacts: 30, companies: 5, owners: 2 });
    // Calls that take a moment, as HubSpot's do: several are in flight at once.
    await admin.setFaults({ latencyMs: 30 });
    stack.writeConnections({ [ws]: { crm: 'hubspot', accessToken: TOKEN, baseUrl: sandbox.url } });
    stack.useDatabase(pg.url);
    const setup = await openDb({ databaseUrl: pg.url });
    await seedWorkspace(setup, ws);

    stack.startWorker({ stdio: ['ignore', 'ignore', 'inherit'] });
    stack.startAnotherWorker({ stdio: ['ignore', 'ignore', 'inherit'] });
    const x = operate(
      await stack.startIntegration({
        workspaceId: ws,
        crm: 'hubspot',
        connection: ws,
        syncUserId: `${ws}-admin`,
        plan: 'free',
      }),
    );
    await x.waitForPhase('syncing', 120_000);
    const t0 = Date.now();
    const before = await admin.stats();
    const queued = await x.pushRecords({ objectKind: 'contact', all: true });
    assert.equal(queued.queued, CONTACTS);

    // The storm, once the push is under way: the next 4 calls refused, whichever worker sends them.
    const portal = () => sandbox.indexes.get(PORTAL)!.portal;
    await waitFor(
      'the push under way',
      async () => portal().objects.contacts.filter((c) => c.properties.apollo_contact_id).length,
      (n) => n >= 300,
      120_000,
    );
    await admin.setFaults({ throttleCount: 4 });

    const s = await x.waitForStatus(
      'push drained',
      (st) => !st.push.pushing && st.push.due === 0 && st.push.deferred === 0 && st.push.totals.linked >= CONTACTS,
      600_000,
    );
    const wallS = (Date.now() - t0) / 1000;
    const stats = await admin.stats();
    const pushIdentities = await activityWorkers(await stack.client(), x.handle.workflowId, 'pushBatch');
    await x.disconnect();

    const calls = stats.requests - before.requests;
    const searches = Object.entries(stats.byRoute)
      .filter(([k]) => k.endsWith('/search'))
      .reduce((n, [k, v]) => n + v - (before.byRoute[k] ?? 0), 0);
    // The floor: the calls a perfect pacer spends at LIMIT per 10 s (search has its own limit).
    const floorS = ((calls - searches) / LIMIT) * 10;
    t.diagnostic(
      `calls: ${calls} (${searches} searches); 429s: ${stats.throttled - before.throttled}; busiest 10 s: ` +
        `${stats.busiest.tenSecondly} of ${LIMIT}; busiest search second: ${stats.busiest.searchSecondly}; ` +
        `limit 429s: ${sandbox.limiter.throttled}; wall: ${wallS.toFixed(1)} s against a floor of ${floorS.toFixed(1)} s (${(wallS / floorS).toFixed(2)}x); ` +
        `pushBatch ran on ${pushIdentities.size} workers`,
    );

    assert.equal(pushIdentities.size, 2, 'both workers pushed');
    assert.ok(stats.throttled - before.throttled > 0, 'the storm reached the push');
    // Outside the storm no call met the portal's own limit: the workers kept to it together.
    assert.equal(sandbox.limiter.throttled, 0, 'no 429 from the portal limit itself');
    assert.ok(
      stats.busiest.tenSecondly <= LIMIT,
      `at most ${LIMIT} calls in any 10 s, refused ones included (busiest: ${stats.busiest.tenSecondly})`,
    );
    assert.ok(stats.busiest.searchSecondly <= 5, `search within its 5 a second (${stats.busiest.searchSecondly})`);

    const pushed = portal().objects.contacts.filter((c) => c.properties.apollo_contact_id);
    assert.equal(pushed.length, CONTACTS, 'one HubSpot contact per workspace contact');
    assert.equal(new Set(pushed.map((c) => c.properties.apollo_contact_id)).size, CONTACTS, 'none twice');
    const accounts = portal().objects.companies.filter((c) => c.properties.apollo_account_id);
    assert.equal(accounts.length, ACCOUNTS, 'one HubSpot company per workspace account');
    assert.equal(s.push.totals.rejected + s.push.totals.transient, 0, 'no record failed');
    assert.deepEqual(await outboxCounts(setup, ws, 'hubspot'), { due: 0, deferred: 0, nextDueAt: null });
    const { rows } = await setup.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM crm_links WHERE workspace_id = $1 AND object_kind = 'contact'`,
      [ws],
    );
    assert.ok(rows[0].n >= CONTACTS, 'every pushed contact linked');
    await setup.close();
  });
});

/** The worker identities that ran an activity type, across the workflow's runs. */
async function activityWorkers(
  client: Awaited<ReturnType<DevStack['client']>>,
  workflowId: string,
  type: string,
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const { events } of await runsOf(client.workflow, workflowId)) {
    const scheduled = new Map<string, string>();
    for (const e of events) {
      if (e.activityTaskScheduledEventAttributes)
        scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
      const started = e.activityTaskStartedEventAttributes;
      if (started && scheduled.get(String(started.scheduledEventId)) === type) out.add(started.identity ?? '?');
    }
  }
  return out;
}
