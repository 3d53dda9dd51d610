import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DevStack } from '../src/dev/stack';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox } from '../src/sandbox/hubspot/server';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox } from '../src/sandbox/salesforce/server';
import type { Db } from '../src/store/db';
import {
  assertExactlyOnce,
  addReps,
  assertNoFailedWorkflow,
  hubspotRecords,
  salesforceRecords,
  seedWorkspace,
  sumRoutes,
  workspaceRecords,
} from './support/faults';
import { operate, waitFor } from './support/harness';

/**
 * Fault suite (issue 12): the Temporal dev server SIGKILLed and started again on the same port and
 * SQLite file, during an initial pull and during a push. The worker stays up and reconnects by
 * itself; the server comes back with the same workflows, timers and activities.
 */
const DOWN_MS = 3_000;

describe('Temporal dev server killed and restarted during the initial pull (HubSpot)', () => {
  let stack: DevStack | undefined;
  const ws = 'fault-temporal-pull';
  const CONTACTS = 600;
  const COMPANIES = 60;
  after(async () => stack?.stop());

  it('ends with every record exactly once, exact pull totals and no failed workflow', async () => {
    stack = await DevStack.start({ name: ws, persistTemporal: true });
    const sandbox = await startHubSpotSandbox();
    stack.closeWithStack(() => sandbox.close());
    const admin = await HubSpotSandboxAdmin.createPortal(sandbox.url, 1201, 'pat-fault-temporal');
    await admin.seed({ contacts: CONTACTS, companies: COMPANIES, owners: 3 });
    // Slow pages (6 contact pages of 100), so both restarts land inside the pull.
    await admin.setFaults({ latencyMs: 700 });
    stack.writeConnections({ [ws]: { crm: 'hubspot', accessToken: 'pat-fault-temporal', baseUrl: sandbox.url } });
    const { owners } = await admin.owners();
    const { syncUserId } = await stack.addWorkspace(ws, {
      permissions: ['assign contact owner', 'assign account owner'],
      // The portal's owners are the workspace's reps, so every record's owner maps (no ownerSync error).
      setup: (db) => addReps(db, ws, owners),
    });
    stack.startWorker({ env: { PULL_CHUNK_BUDGET_MS: '400' }, stdio: ['ignore', 'ignore', 'inherit'] });
    const handle = await stack.startIntegration({
      workspaceId: ws,
      crm: 'hubspot',
      connection: ws,
      syncUserId,
      plan: 'free',
    });
    const x = operate(handle);
    const contactPages = async () => sumRoutes((await admin.stats()).byRoute, /^GET \/crm\/v3\/objects\/contacts$/);

    const pagesAtKill: number[] = [];
    for (const threshold of [1, 3]) {
      await waitFor(`${threshold} contact pages`, contactPages, (n) => n >= threshold, 120_000);
      pagesAtKill.push(await contactPages());
      await stack.killAndRestartTemporal(DOWN_MS);
    }
    const s = await x.waitForPhase('syncing', 240_000);
    assert.ok(pagesAtKill[1] < CONTACTS / 100, `both restarts landed mid-pull (at ${pagesAtKill.join(', ')} pages)`);
    assert.ok(stack.worker?.exitCode === null, 'the worker survived both restarts');

    // Exact status totals: every CRM record seen and created once, no failed pull.
    assert.equal(s.lastPull?.kind, 'initial');
    assert.equal(s.lastPull?.failure, undefined);
    assert.equal(s.lastPull?.seen, CONTACTS + COMPANIES);
    assert.equal(s.lastPull?.created, CONTACTS + COMPANIES);
    assert.equal(s.lastPull?.updated, 0);
    assert.deepEqual(s.errors, { ownerSync: 0, failedPulls: 0 });
    assert.equal(s.initialPull?.finished, true);
    const client = await stack.client();
    await assertNoFailedWorkflow(client, handle.workflowId);

    await x.disconnect();
    await stack.stopWorker();
    const db: Db = await stack.openDb();
    const index = sandbox.indexes.get(1201)!;
    assertExactlyOnce(hubspotRecords(index), await workspaceRecords(db, ws, 'hubspot'), {
      people: CONTACTS,
      accounts: COMPANIES,
    });
    const runs = await db.query<{ created: number; seen: number }>(
      "SELECT sum(created)::int AS created, sum(seen)::int AS seen FROM pull_runs WHERE workspace_id = $1 AND kind = 'initial'",
      [ws],
    );
    assert.deepEqual(
      runs.rows[0],
      { created: CONTACTS + COMPANIES, seen: CONTACTS + COMPANIES },
      'pull history counts',
    );
  });
});

describe('Temporal dev server killed and restarted during a push (Salesforce)', () => {
  let stack: DevStack | undefined;
  const ws = 'fault-temporal-push';
  const ACCOUNTS = 50;
  const CONTACTS = 1_000;
  const SEEDED = { accounts: 5, contacts: 20 };
  after(async () => stack?.stop());

  it('ends with one CRM record per workspace record, exact push totals and no failed workflow', async () => {
    stack = await DevStack.start({ name: ws, persistTemporal: true });
    const sandbox = await startSalesforceSandbox();
    stack.closeWithStack(() => sandbox.close());
    const admin = await SalesforceSandboxAdmin.createOrg(sandbox.url, '00DFAULTT', 'sf-fault-temporal');
    await admin.seed({ ...SEEDED, leads: 0, users: 2 });
    stack.writeConnections({ [ws]: { crm: 'salesforce', accessToken: 'sf-fault-temporal', instanceUrl: sandbox.url } });
    const org = [...sandbox.orgs.values()].find((o) => o.org.orgId === '00DFAULTT')!;
    const users = org.org.records.User.filter((u) => u.Id !== org.org.userId);
    const { syncUserId } = await stack.addWorkspace(ws, {
      permissions: ['assign contact owner', 'assign account owner'],
      setup: async (db) => {
        await addReps(
          db,
          ws,
          users.map((u) => ({ id: String(u.Id), email: String(u.Email) })),
        );
        await seedWorkspace(db, ws, ACCOUNTS, CONTACTS);
      },
    });
    stack.startWorker({ stdio: ['ignore', 'ignore', 'inherit'] });
    const handle = await stack.startIntegration({
      workspaceId: ws,
      crm: 'salesforce',
      connection: ws,
      syncUserId,
      plan: 'free',
    });
    const x = operate(handle);
    await x.waitForPhase('syncing', 120_000);
    await x.updateSettings({ push: { createPeopleAs: 'Contact' } });
    // Slow every call, so the 5 people batches (200 each) are still going when the server dies.
    await admin.setFaults({ latencyMs: 600 });
    assert.equal((await x.pushRecords({ objectKind: 'contact', all: true })).queued, CONTACTS);

    const peopleUpserts = async () =>
      sumRoutes((await admin.stats()).byRoute, /composite\/sobjects\/Contact\/Apollo_Id__c$/);
    const atKill: number[] = [];
    for (const threshold of [1, 3]) {
      await waitFor(`${threshold} people batches`, peopleUpserts, (n) => n >= threshold, 180_000);
      atKill.push(await peopleUpserts());
      await stack.killAndRestartTemporal(DOWN_MS);
    }
    const s = await x.waitForStatus(
      'push drained',
      (st) => !st.push.pushing && st.push.due === 0 && st.push.deferred === 0 && st.push.lastBatchAt !== null,
      300_000,
    );
    assert.ok(atKill[1] < CONTACTS / 200, `both restarts landed mid-push (at ${atKill.join(', ')} people batches)`);
    assert.ok(stack.worker?.exitCode === null, 'the worker survived both restarts');
    // Exact push totals: each contact linked and created once however often a batch was re-sent.
    // `created` counts the accounts created along with their people, `linked` the people.
    assert.deepEqual(
      { linked: s.push.totals.linked, created: s.push.totals.created, rejected: s.push.totals.rejected },
      { linked: CONTACTS, created: CONTACTS + ACCOUNTS, rejected: 0 },
    );
    assert.equal(s.push.failure, null);
    assert.deepEqual(s.errors, { ownerSync: 0, failedPulls: 0 });
    await assertNoFailedWorkflow(await stack.client(), handle.workflowId);

    await x.disconnect();
    await stack.stopWorker();
    const db = await stack.openDb();
    const crm = salesforceRecords(org);
    assertExactlyOnce(crm, await workspaceRecords(db, ws, 'salesforce'), {
      people: SEEDED.contacts + CONTACTS,
      accounts: SEEDED.accounts + ACCOUNTS,
    });
    assert.equal(crm.people.filter((p) => p.apolloId !== null && p.object === 'Contact').length, CONTACTS);
  });
});
