import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { integrationWorkflowId } from '../src/domain/integration-input';
import { DEFAULT_PULL_INTERVAL_MINUTES } from '../src/domain/settings';
import { CRM_NAMES } from '../src/domain/types';
import { pullHistory } from '../src/store/reports';
import { disconnectSignal, pullNowUpdate, startSyncNowUpdate, statusQuery, TASK_QUEUE, updateSettingsUpdate, settingsQuery } from '../src/workflows/contract';
import { integrationWorkflow } from '../src/workflows/integration';
import { newSalesforceTenant, newTenant, startHarness, waitFor, type Harness } from './support/harness';

/** The configuration window of seeds 001/003, on the time-skipping server: the same for both CRMs. */
for (const crm of CRM_NAMES) describe(`${crm}: configuration window and pull cadence (time-skipping)`, () => {
  // One environment per test: the Java test server can leak its time-skipping lock when a workflow
  // ends with an activity in flight, which would stall every later test sharing it.
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h?.stop();
  });

  const interval = DEFAULT_PULL_INTERVAL_MINUTES[crm];
  /** HubSpot: 20 contacts + 5 companies. Salesforce: 5 accounts, 20 contacts, 10 leads. */
  const seeded = crm === 'hubspot' ? 25 : 35;

  async function start(plan: 'free' | 'paid') {
    const t = crm === 'hubspot' ? await newTenant(h) : await newSalesforceTenant(h);
    const handle = await h.env.client.workflow.start(integrationWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: integrationWorkflowId(t.workspaceId, crm),
      args: [{ workspaceId: t.workspaceId, crm, connection: t.connection, syncUserId: t.syncUserId, plan }],
    });
    const status = () => handle.query(statusQuery);
    /** Ends the integration the way an operator does, and checks that it ends. */
    const disconnect = async () => {
      await handle.signal(disconnectSignal, {});
      assert.deepEqual(await handle.result(), { phase: 'disconnected' });
    };
    return { t, handle, status, disconnect };
  }

  async function refusal(p: Promise<unknown>): Promise<string> {
    const err = await p.then(() => assert.fail('expected the update to be rejected'), (e) => e);
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${err}`);
    return String((err as WorkflowUpdateFailedError).cause?.message);
  }

  it('refuses a manual pull at 5 h 59 min, starts syncing by itself at 6 h, then accepts it', async () => {
    const { t, handle, status, disconnect } = await start('paid');
    const configuring = await waitFor('configuring', status, (s) => s.phase === 'configuring');
    assert.ok(configuring.windowEndsAt);
    const windowEnd = Date.parse(configuring.windowEndsAt);
    assert.equal(windowEnd - Date.parse(configuring.connectedAt!), 6 * 3600_000);

    await h.env.sleep('359m');
    assert.equal((await status()).phase, 'configuring');
    const reason = await refusal(handle.executeUpdate(pullNowUpdate, { args: [{}] }));
    assert.equal(reason, `manual pull is not available during the configuration window, which ends at ${configuring.windowEndsAt}`);
    assert.equal((await pullHistory(h.db, t.workspaceId, crm)).length, 0, 'nothing pulled inside the window');

    await h.env.sleep('1m');
    const syncing = await waitFor('syncing after the window', status, (s) => s.phase === 'syncing');
    assert.equal(syncing.initialPull?.finished, true);
    assert.equal(syncing.manualPushAvailable, true);
    const history = await pullHistory(h.db, t.workspaceId, crm);
    assert.ok(history.length >= 2 && history.every((r) => r.kind === 'initial'), 'one initial run per CRM stream');
    const streams = history.length;

    const accepted = await handle.executeUpdate(pullNowUpdate, { args: [{}] });
    assert.deepEqual(accepted, { accepted: true, kind: 'manual' });
    await waitFor('manual pull rows', () => pullHistory(h.db, t.workspaceId, crm), (rows) => rows.filter((r) => r.kind === 'manual' && r.finishedAt).length === streams);
    await disconnect();
  });

  it('startSyncNow ends the window early', async () => {
    const { t, handle, status, disconnect } = await start('paid');
    await waitFor('configuring', status, (s) => s.phase === 'configuring');
    await h.env.sleep('1h');
    await handle.executeUpdate(startSyncNowUpdate, { args: [{}] });
    const s = await waitFor('syncing', status, (x) => x.phase === 'syncing');
    assert.ok(Date.parse(s.lastPull!.startedAt) < Date.parse(s.windowEndsAt!), 'the initial pull ran before the window would have ended');
    assert.ok((await pullHistory(h.db, t.workspaceId, crm)).some((r) => r.kind === 'initial'));
    await disconnect();
  });

  it('a free plan has no window and syncs at once', async () => {
    const { handle, status, disconnect } = await start('free');
    const s = await waitFor('syncing', status, (x) => x.phase === 'syncing');
    assert.equal(s.windowEndsAt, null);
    assert.equal(s.lastPull?.kind, 'initial');
    assert.equal(s.lastPull?.created, seeded);
    await disconnect();
  });

  it('rejects an invalid settings update with a clear message and carries on', async () => {
    const { handle, status, disconnect } = await start('paid');
    await waitFor('configuring', status, (s) => s.phase === 'configuring');
    const reason = await refusal(handle.executeUpdate(updateSettingsUpdate, { args: [{ pullIntervalMinutes: 1 }] }));
    assert.equal(reason, 'invalid settings: pullIntervalMinutes: pullIntervalMinutes must be at least 5');
    const reason2 = await refusal(
      handle.executeUpdate(updateSettingsUpdate, { args: [{ fieldMapping: { contact: [{ crmField: 'email', localField: 'nope', direction: 'pull' }] } }] } as never),
    );
    assert.match(reason2, /^invalid settings: contact field mapping names unknown workspace field "nope"/);
    assert.equal((await handle.query(settingsQuery)).pullIntervalMinutes, interval, 'settings unchanged');

    const updated = await handle.executeUpdate(updateSettingsUpdate, { args: [{ pullIntervalMinutes: 45 }] });
    assert.equal(updated.pullIntervalMinutes, 45);
    assert.equal((await status()).phase, 'configuring', 'still in the window');
    await disconnect();
  });

  it(`a day of ${interval}-minute pulls gives ${1440 / interval} recurring pull runs per CRM stream`, async () => {
    const perDay = 1440 / interval;
    const { t, status, disconnect } = await start('free');
    await waitFor('syncing', status, (x) => x.phase === 'syncing');
    const streams = (await pullHistory(h.db, t.workspaceId, crm)).map((r) => r.stream);
    await h.env.sleep('1445m');
    const rows = await waitFor(
      `${perDay} recurring pulls`,
      async () => (await pullHistory(h.db, t.workspaceId, crm, 1000)).filter((r) => r.kind === 'recurring' && r.finishedAt),
      (r) => r.length >= perDay * streams.length,
    );
    for (const stream of streams) assert.equal(rows.filter((r) => r.stream === stream).length, perDay, stream);
    const s = await status();
    assert.equal(s.lastPull?.kind, 'recurring');
    await disconnect();
  });
});
