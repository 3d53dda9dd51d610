import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseRateBudget } from '../src/activities/rate-budget';
import { CrmError } from '../src/crm/errors';
import { SalesforceAdapter } from '../src/crm/salesforce/adapter';
import { SharedSlots } from '../src/crm/shared-budget';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox, type SalesforceSandbox } from '../src/sandbox/salesforce/server';
import { openDb, type Db } from '../src/store/db';
import { dailyUsage } from '../src/store/rate-budgets';

/**
 * The shared rate budget on a real database (PGlite): two SharedSlots stand for two worker
 * processes (each its own grants, nothing shared in memory but the database), and two Salesforce
 * adapters with different connection names stand for two workers' views of one org.
 */
describe('a CRM account budget shared through the database', () => {
  let db: Db;
  before(async () => {
    db = await openDb();
  });
  after(async () => {
    await db?.close();
  });

  it('two holders together never pass the limit in any window, in far fewer round trips than calls', async () => {
    const limit = { max: 40, windowMs: 1_000 };
    const budget = databaseRateBudget(db, 'hubspot', 'portal-window');
    const a = new SharedSlots(budget, 'general', limit, 50);
    const b = new SharedSlots(budget, 'general', limit, 50);
    const sent: number[] = [];
    // Each holder runs 3 callers that call back to back, as push lanes and pull chunks do.
    const caller = async (s: SharedSlots, calls: number) => {
      for (let i = 0; i < calls; i++) {
        const ended = await s.take();
        sent.push(Date.now());
        ended();
      }
    };
    await Promise.all([a, a, a, b, b, b].map((s) => caller(s, 20)));
    sent.sort((x, y) => x - y);
    let busiest = 0;
    for (let i = 0, j = 0; i < sent.length; i++) {
      while (sent[j] <= sent[i] - limit.windowMs) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    assert.equal(sent.length, 120);
    assert.ok(busiest <= limit.max, `at most ${limit.max} calls in any ${limit.windowMs} ms (busiest: ${busiest})`);
    const trips = a.reservations + b.reservations;
    assert.ok(trips <= 120 / 2, `slots come several per reservation (${trips} reservations for 120 calls)`);
  });

  it('a 429 met by one holder stops the other until the retry-after has passed', async () => {
    const limit = { max: 100, windowMs: 10_000 };
    const budget = databaseRateBudget(db, 'hubspot', 'portal-storm');
    const a = new SharedSlots(budget, 'general', limit, 50);
    const b = new SharedSlots(budget, 'general', limit, 50);
    await a.take();
    await b.take();
    await a.backOff(60_000);
    // b's lease from before the 429 may still hold a slot or two; past them it must wait.
    const waited = (async () => {
      for (let i = 0; i < 20; i++) await b.take(AbortSignal.timeout(300));
      return 'sent';
    })().catch((err: Error) => err.name);
    assert.equal(await waited, 'TimeoutError', 'b waits out the 429 another holder met');
    // Another account's budget is not blocked.
    const other = new SharedSlots(databaseRateBudget(db, 'hubspot', 'portal-calm'), 'general', limit, 50);
    await other.take(AbortSignal.timeout(5_000));
  });

  it('a limit one holder learns becomes the other holders', async () => {
    const budget = databaseRateBudget(db, 'hubspot', 'portal-tier');
    const a = new SharedSlots(budget, 'general', { max: 100, windowMs: 10_000 }, 150);
    await a.take();
    await a.learn({ max: 190, windowMs: 10_000 });
    const { rows } = await db.query<{ max_calls: number }>(
      `SELECT max_calls FROM crm_rate_budgets WHERE crm_account_id = 'portal-tier' AND bucket = 'general'`,
    );
    assert.equal(rows[0].max_calls, 190);
  });

  describe('Salesforce: one daily allowance per org', () => {
    let sandbox: SalesforceSandbox;
    before(async () => {
      sandbox = await startSalesforceSandbox();
    });
    after(() => sandbox?.close());

    it('a worker that never called the org pauses on the usage another worker saw', async () => {
      const orgId = '00DSHAREDDAY';
      const admin = await SalesforceSandboxAdmin.createOrg(sandbox.url, orgId, 'sf-shared-day', { dailyMax: 1_000 });
      await admin.seed({ accounts: 2, contacts: 2, leads: 0, users: 1 });
      const creds = { accessToken: 'sf-shared-day', instanceUrl: sandbox.url };
      // Two connection names: nothing of one adapter's process-local usage reaches the other.
      const first = new SalesforceAdapter('day-worker-1', creds);
      const second = new SalesforceAdapter('day-worker-2', creds);
      // And two scopes, as two processes have: what the second knows comes from the database alone.
      first.shareRateBudget({ ...databaseRateBudget(db, 'salesforce', orgId), scope: {} });
      second.shareRateBudget({ ...databaseRateBudget(db, 'salesforce', orgId), scope: {} });

      // The customer's other integrations have spent most of the day: 950 of 1,000 (the reserve keeps 100).
      sandbox.orgs.get(orgId)!.org.usage = { windowStart: Date.now(), count: 950 };
      assert.equal(await first.countRecords('Account'), 2);
      assert.deepEqual(await dailyUsage(db, { crm: 'salesforce', crmAccountId: orgId }), { used: 951, limit: 1_000 });

      const before = sandbox.orgs.get(orgId)!.org.usage.count;
      const refused = await second.countRecords('Contact').catch((err: unknown) => err);
      assert.ok(refused instanceof CrmError && refused.kind === 'dailyLimit', `paused: ${String(refused)}`);
      assert.equal(refused.details.code, 'DAILY_API_RESERVE');
      // Its one look at /limits, and no query.
      assert.equal(sandbox.orgs.get(orgId)!.org.usage.count - before, 1);
    });
  });
});
