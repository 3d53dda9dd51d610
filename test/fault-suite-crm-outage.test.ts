import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IntegrationStatus } from '../src/workflows/contract';
import {
  addReps,
  assertExactlyOnce,
  assertNoFailedWorkflow,
  hubspotRecords,
  salesforceRecords,
  seedWorkspace,
  sumRoutes,
  workspaceRecords,
} from './support/faults';
import {
  newSalesforceTenant,
  newTenant,
  startHarness,
  waitFor,
  type Harness,
  type Integration,
} from './support/harness';

/**
 * Fault suite (issue 12): a 30-minute CRM outage (every request answered 503) during an initial
 * pull and during a push, on the time-skipping server with the real worker and the sandboxes. Both
 * clients leave every retry to Temporal (jsforce's own retries are off, salesforce/transport.ts), so
 * each attempt is an activity retry. The outage starts mid-pull, 30 minutes of Temporal time are
 * skipped while it lasts, then it ends and time moves on only as far as the retries need.
 */
const OUTAGE_MS = 30 * 60_000;
/** Far ahead on the wall clock: the outage ends when the test says, after the skipped 30 minutes. */
const UNTIL_ENDED = () => Date.now() + 24 * 3_600_000;

/** A sandbox's fault controls and the count of requests it refused, on either CRM. */
interface OutageAdmin {
  setFaults(f: { outageUntil?: number; latencyMs?: number }): Promise<unknown>;
  stats(): Promise<{ serverErrors: number }>;
}

/**
 * Every request answered 503 while 30 minutes of Temporal time are skipped (calls slowed by
 * `latencyMs` meanwhile), then the CRM answers again at full speed. Checks that the time passed and
 * the worker kept trying; returns the status seen as the outage ended.
 */
async function thirtyMinuteOutage(h: Harness, x: Integration, admin: OutageAdmin, latencyMs = 0) {
  await admin.setFaults({ outageUntil: UNTIL_ENDED(), latencyMs });
  const t0 = await h.env.currentTimeMs();
  await h.env.sleep(OUTAGE_MS);
  const skipped = (await h.env.currentTimeMs()) - t0;
  const during = await x.status();
  const refused = (await admin.stats()).serverErrors;
  await admin.setFaults({ outageUntil: 0, latencyMs: 0 });
  assert.ok(skipped >= OUTAGE_MS, `30 minutes of Temporal time passed in the outage (${skipped} ms)`);
  assert.ok(refused > 1, `the worker kept trying during the outage (${refused} requests refused)`);
  return during;
}

/**
 * Lets the work go on after the outage: real time while it makes progress, a skip of Temporal time
 * (to the next retry or backoff) when it stalls, until `done` holds.
 */
async function untilConverged(
  h: Harness,
  x: Integration,
  what: string,
  done: (s: IntegrationStatus) => boolean,
  progress: (s: IntegrationStatus) => unknown,
): Promise<{ status: IntegrationStatus; skippedMs: number }> {
  const started = await h.env.currentTimeMs();
  const deadline = Date.now() + 180_000;
  let last: unknown;
  while (Date.now() < deadline) {
    const s = await x.status();
    if (done(s)) return { status: s, skippedMs: (await h.env.currentTimeMs()) - started };
    const p = JSON.stringify(progress(s));
    if (p === last) await h.env.sleep('2 minutes');
    else await new Promise((r) => setTimeout(r, 2_000));
    last = p;
  }
  throw new Error(`${what} did not converge after the outage; last status ${JSON.stringify(await x.status())}`);
}

describe('30-minute CRM outage during the initial pull (HubSpot, time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ chunkBudgetMs: 500 });
  });
  after(async () => h?.stop());

  it('the pull waits the outage out, then every record arrives exactly once with exact totals', async () => {
    const SEED = { contacts: 600, companies: 60 };
    const t = await newTenant(h, { ...SEED, owners: 3, permissions: ['assign contact owner', 'assign account owner'] });
    await addReps(h.db, t.workspaceId, (await t.admin.owners()).owners);
    // Slow pages (6 contact pages of 100), so the outage lands inside the pull.
    await t.admin.setFaults({ latencyMs: 500 });
    const x = await h.integration(t, { plan: 'free' });
    const contactPages = async () => sumRoutes((await t.admin.stats()).byRoute, /^GET \/crm\/v3\/objects\/contacts$/);
    const atOutage = await waitFor('the pull under way', contactPages, (n) => n >= 2, 60_000);
    const during = await thirtyMinuteOutage(h, x, t.admin);
    assert.ok(atOutage < SEED.contacts / 100, `the outage began mid-pull (after ${atOutage} contact pages)`);
    assert.equal(during.phase, 'initialPull', 'the pull was still waiting when the outage ended');

    const { status: s } = await untilConverged(
      h,
      x,
      'the initial pull',
      (st) => st.phase === 'syncing',
      (st) => st.initialPull,
    );
    const total = SEED.contacts + SEED.companies;
    assert.equal(s.lastPull?.kind, 'initial');
    assert.equal(s.lastPull?.failure, undefined);
    assert.equal(s.lastPull?.seen, total);
    assert.equal(s.lastPull?.created, total);
    assert.deepEqual(s.errors, { ownerSync: 0, failedPulls: 0 }, 'no pull failed, every owner mapped');
    await assertNoFailedWorkflow(h.env.client, x.handle.workflowId);
    assertExactlyOnce(hubspotRecords(t.portal), await workspaceRecords(h.db, t.workspaceId, 'hubspot'), {
      people: SEED.contacts,
      accounts: SEED.companies,
    });
    await x.disconnect();
  });
});

describe('30-minute CRM outage during a push (HubSpot, time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.stop());

  it('the push waits the outage out, then every record is in the CRM once, created once in the totals', async () => {
    const SEEDED = { contacts: 20, companies: 5 };
    const ACCOUNTS = 30;
    const CONTACTS = 500;
    const t = await newTenant(h, {
      ...SEEDED,
      owners: 3,
      permissions: ['assign contact owner', 'assign account owner'],
    });
    await addReps(h.db, t.workspaceId, (await t.admin.owners()).owners);
    await seedWorkspace(h.db, t.workspaceId, ACCOUNTS, CONTACTS);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    // Slow calls, so the 5 contact batches of 100 are still going when the outage begins.
    await t.admin.setFaults({ latencyMs: 400 });
    assert.equal((await x.pushRecords({ objectKind: 'contact', all: true })).queued, CONTACTS);
    const upserts = async () => sumRoutes((await t.admin.stats()).byRoute, /contacts\/batch\/upsert$/);
    const atOutage = await waitFor('a contact batch created', upserts, (n) => n >= 1, 120_000);
    // The outage lands between a batch's upsert and its association call (or later in the push): the
    // retried batch then finds contacts created by the attempt that failed.
    const during = await thirtyMinuteOutage(h, x, t.admin, 400);
    assert.ok(atOutage < CONTACTS / 100, `the outage began mid-push (after ${atOutage} contact batches)`);
    assert.ok(during.push.due > 0 || during.push.pushing, 'the push was still waiting when the outage ended');

    const { status: s } = await untilConverged(
      h,
      x,
      'the push',
      (st) => !st.push.pushing && st.push.due === 0 && st.push.deferred === 0,
      (st) => st.push,
    );
    // Exact totals: each contact linked once, and each record created once however often a batch
    // was re-sent (`created` counts the accounts created along with their contacts).
    assert.deepEqual(
      { linked: s.push.totals.linked, created: s.push.totals.created, rejected: s.push.totals.rejected },
      { linked: CONTACTS, created: CONTACTS + ACCOUNTS, rejected: 0 },
    );
    assert.equal(s.push.failure, null);
    assert.equal(s.retrying, null, 'no retry is left showing');
    assert.deepEqual(s.errors, { ownerSync: 0, failedPulls: 0 });
    await assertNoFailedWorkflow(h.env.client, x.handle.workflowId);
    const crm = hubspotRecords(t.portal);
    assertExactlyOnce(crm, await workspaceRecords(h.db, t.workspaceId, 'hubspot'), {
      people: SEEDED.contacts + CONTACTS,
      accounts: SEEDED.companies + ACCOUNTS,
    });
    // Every pushed contact joined its company, the association the outage interrupted included.
    const pushed = t.portal.portal.objects.contacts.filter((c) => c.properties.apollo_contact_id);
    assert.equal(pushed.length, CONTACTS);
    assert.deepEqual(
      pushed.filter((c) => c.companyIds?.length !== 1).map((c) => c.properties.email),
      [],
      'each pushed contact associated with its one company',
    );
    await x.disconnect();
  });
});

describe('30-minute CRM outage during the initial pull (Salesforce, time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ chunkBudgetMs: 500 });
  });
  after(async () => h?.stop());

  it('the pull waits the outage out, then every record arrives exactly once with exact totals', async () => {
    // Query pages of 2,000: the contacts take several, so the outage lands inside the pull.
    const SEED = { accounts: 40, contacts: 8_000, leads: 0, users: 3 };
    const t = await newSalesforceTenant(h, {
      seed: SEED,
      permissions: ['assign contact owner', 'assign account owner'],
    });
    const users = t.org.org.records.User.filter((u) => u.Id !== t.org.org.userId);
    await addReps(
      h.db,
      t.workspaceId,
      users.map((u) => ({ id: String(u.Id), email: String(u.Email) })),
    );
    await t.admin.setFaults({ latencyMs: 400 });
    const x = await h.integration(t, { plan: 'free' });
    const queries = async () => sumRoutes((await t.admin.stats()).byRoute, /^GET .*\/query/);
    const atOutage = await waitFor('the pull under way', queries, (n) => n >= 3, 60_000);
    const during = await thirtyMinuteOutage(h, x, t.admin);
    assert.equal(
      during.phase,
      'initialPull',
      `the pull was still waiting when the outage ended (${atOutage} queries before it)`,
    );
    assert.ok(during.retrying, 'status showed the retry during the outage');

    const { status: s } = await untilConverged(
      h,
      x,
      'the initial pull',
      (st) => st.phase === 'syncing',
      (st) => st.initialPull,
    );
    const total = SEED.contacts + SEED.accounts;
    assert.equal(s.lastPull?.kind, 'initial');
    assert.equal(s.lastPull?.failure, undefined);
    assert.equal(s.lastPull?.seen, total);
    assert.equal(s.lastPull?.created, total);
    assert.deepEqual(s.errors, { ownerSync: 0, failedPulls: 0 }, 'no pull failed, every owner mapped');
    await assertNoFailedWorkflow(h.env.client, x.handle.workflowId);
    assertExactlyOnce(salesforceRecords(t.org), await workspaceRecords(h.db, t.workspaceId, 'salesforce'), {
      people: SEED.contacts,
      accounts: SEED.accounts,
    });
    await x.disconnect();
  });
});
