import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { exited } from '../src/dev/processes';
import { DevStack } from '../src/dev/stack';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox } from '../src/sandbox/salesforce/server';
import {
  addReps,
  assertExactlyOnce,
  assertNoFailedWorkflow,
  salesforceRecords,
  workspaceRecords,
} from './support/faults';
import { operate } from './support/harness';

/**
 * Fault suite (issue 12): the worker SIGKILLed in the 6-hour configuration window (paid plan) on
 * the real dev server: once while the workflow only waits, once with a settings update sent while
 * no worker runs, once with `startSyncNow` sent while no worker runs. The window keeps its end, the
 * update and the early start each take effect once, and the initial pull then brings every record.
 */
describe('worker SIGKILLed in the configuration window (Salesforce, real dev server)', () => {
  let stack: DevStack | undefined;
  const ws = 'fault-window';
  const SEED = { accounts: 30, contacts: 300, leads: 60, users: 3 };
  after(async () => stack?.stop());

  it('keeps the window, applies what was sent while the worker was dead, then pulls every record once', async () => {
    stack = await DevStack.start({ name: ws });
    const sandbox = await startSalesforceSandbox();
    stack.closeWithStack(() => sandbox.close());
    const admin = await SalesforceSandboxAdmin.createOrg(sandbox.url, '00DFAULTW', 'sf-fault-window');
    await admin.seed(SEED);
    const org = [...sandbox.orgs.values()].find((o) => o.org.orgId === '00DFAULTW')!;
    const users = org.org.records.User.filter((u) => u.Id !== org.org.userId).map((u) => ({
      id: String(u.Id),
      email: String(u.Email),
    }));
    stack.writeConnections({ [ws]: { crm: 'salesforce', accessToken: 'sf-fault-window', instanceUrl: sandbox.url } });
    const { syncUserId } = await stack.addWorkspace(ws, {
      permissions: ['assign contact owner', 'assign account owner'],
      setup: (db) => addReps(db, ws, users),
    });
    stack.startWorker({ stdio: ['ignore', 'ignore', 'inherit'] });
    const handle = await stack.startIntegration({
      workspaceId: ws,
      crm: 'salesforce',
      connection: ws,
      syncUserId,
      plan: 'paid',
    });
    const x = operate(handle);
    const inWindow = await x.waitForPhase('configuring', 120_000);
    assert.ok(inWindow.windowEndsAt, 'a paid plan opens the window');
    const queryCallsBefore = await queryCalls(admin);

    // 1. Killed while the workflow waits on its window timer.
    await stack.killAndRestartWorker();
    await stack.waitForWorker();
    const afterKill = await x.waitForPhase('configuring', 60_000);
    assert.equal(afterKill.windowEndsAt, inWindow.windowEndsAt, 'the window keeps its end across the kill');

    // 2. Killed; a settings update arrives while no worker runs, and completes once one is back.
    const killWorker = async () => {
      const w = stack!.worker!;
      w.kill('SIGKILL');
      await exited(w);
    };
    await killWorker();
    const updated = x.updateSettings({ pullIntervalMinutes: 45 });
    await new Promise((r) => setTimeout(r, 2_000));
    stack.startWorker();
    assert.equal((await updated).pullIntervalMinutes, 45);
    assert.equal((await x.settings()).pullIntervalMinutes, 45);
    assert.equal((await x.status()).phase, 'configuring');
    assert.equal(await queryCalls(admin), queryCallsBefore, 'no pull began in the window');

    // 3. Killed; `startSyncNow` arrives while no worker runs and ends the window once one is back.
    await killWorker();
    const started = x.startSyncNow();
    await new Promise((r) => setTimeout(r, 2_000));
    stack.startWorker();
    // The update answers with the phase it found (the window); the workflow then leaves it.
    assert.equal((await started).phase, 'configuring');
    await x.waitForStatus('the window ended early', (st) => st.phase !== 'configuring', 60_000);

    const s = await x.waitForPhase('syncing', 240_000);
    const people = SEED.contacts + SEED.leads;
    assert.equal(s.lastPull?.kind, 'initial');
    assert.equal(s.lastPull?.failure, undefined);
    assert.equal(s.lastPull?.seen, people + SEED.accounts);
    assert.equal(s.lastPull?.created, people + SEED.accounts);
    assert.deepEqual(s.errors, { ownerSync: 0, failedPulls: 0 });
    assert.equal((await x.settings()).pullIntervalMinutes, 45, 'the update survived the kills');
    await assertNoFailedWorkflow(await stack.client(), handle.workflowId);

    await x.disconnect();
    await stack.stopWorker();
    const db = await stack.openDb();
    assertExactlyOnce(salesforceRecords(org), await workspaceRecords(db, ws, 'salesforce'), {
      people,
      accounts: SEED.accounts,
    });
  });
});

async function queryCalls(admin: SalesforceSandboxAdmin): Promise<number> {
  const by = (await admin.stats()).byRoute;
  return Object.entries(by)
    .filter(([k]) => /\/query/.test(k))
    .reduce((n, [, v]) => n + v, 0);
}
