import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  disconnectSignal,
  pullNowUpdate,
  pushPendingSignal,
  pushRecordsUpdate,
  reauthorizeSignal,
  retryFailedUpdate,
  settingsQuery,
  startSyncNowUpdate,
  updateSettingsUpdate,
} from '../../src/workflows/contract';
import { refusal } from '../support/wait';
import { DAILY_LIMIT_WAIT_MS } from './stub-activities';
import { recordHistories, startStubEnv, type StubEnv, type StubIntegration } from './stub-env';

/**
 * Every lifecycle path of the integration workflow, on the time-skipping server with stub
 * activities. Each test's histories are what test/replay replays (RECORD_HISTORIES=1 rewrites them).
 */
describe('integration lifecycle (workflow tier, stub activities)', () => {
  // One environment for the file: each test has its own workspace and stub CRM. (The bursts of
  // signals in continue-as-new.test.ts get an environment of their own.)
  let s: StubEnv;
  before(async () => {
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
  });

  const UUIDS = [
    '5e0c1f4a-0000-4000-8000-000000000001',
    '5e0c1f4a-0000-4000-8000-000000000002',
    '5e0c1f4a-0000-4000-8000-000000000003',
  ];

  async function disconnect(x: StubIntegration, history: string) {
    await x.handle.signal(disconnectSignal, {});
    assert.deepEqual(await x.handle.result(), { phase: 'disconnected' });
    await recordHistories(s.client, x.handle, history);
  }

  it('window: refuses pull and push with their reasons, takes settings, starts by itself at 6 h', async () => {
    const x = await s.start({ plan: 'paid' });
    const configuring = await x.waitForPhase('configuring');
    assert.equal(Date.parse(configuring.windowEndsAt!) - Date.parse(configuring.connectedAt!), 6 * 3600_000);
    assert.equal(
      await refusal(x.handle.executeUpdate(pullNowUpdate, { args: [{}] })),
      `manual pull is not available during the configuration window, which ends at ${configuring.windowEndsAt}`,
    );
    assert.equal(
      await refusal(x.handle.executeUpdate(pushRecordsUpdate, { args: [{ objectKind: 'contact', ids: [UUIDS[0]] }] })),
      'manual push is not available until the initial pull finishes (0 of ? records)',
    );
    assert.equal(
      await refusal(x.handle.executeUpdate(updateSettingsUpdate, { args: [{ pullIntervalMinutes: 1 }] })),
      'invalid settings: pullIntervalMinutes: pullIntervalMinutes must be at least 5',
    );
    assert.equal(
      await refusal(
        x.handle.executeUpdate(updateSettingsUpdate, {
          args: [{ push: { source: { field: 'apollo_source', value: 'Not A Source' } } }],
        }),
      ),
      'invalid settings: source value "Not A Source" is not an allowed value of picklist apollo_source (allowed: Apollo, Web)',
    );
    assert.equal(
      (await x.handle.executeUpdate(updateSettingsUpdate, { args: [{ pullIntervalMinutes: 20 }] })).pullIntervalMinutes,
      20,
    );
    assert.equal(x.crm.calls.filter((c) => c.name === 'beginPull').length, 0, 'nothing pulled inside the window');

    await s.env.sleep('359m');
    assert.equal((await x.status()).phase, 'configuring');
    await s.env.sleep('1m');
    const syncing = await x.waitForPhase('syncing');
    assert.deepEqual(syncing.initialPull, { done: 25, total: 25, finished: true });
    assert.equal(syncing.lastPull?.kind, 'initial');
    assert.equal(
      Date.parse(syncing.nextPullAt!) - Date.parse(syncing.lastPull!.finishedAt!),
      20 * 60_000,
      'the interval set in the window',
    );
    assert.deepEqual(await x.handle.executeUpdate(pullNowUpdate, { args: [{}] }), { accepted: true, kind: 'manual' });
    await x.waitForStatus('manual pull', (st) => st.lastPull?.kind === 'manual');
    await disconnect(x, 'window-refusals');
  });

  it('startSyncNow ends the window early; it is refused before the connection is verified', async () => {
    const x = await s.start({ plan: 'paid' });
    await x.waitForPhase('configuring');
    await s.env.sleep('1h');
    assert.deepEqual(await x.handle.executeUpdate(startSyncNowUpdate, { args: [{}] }), { phase: 'configuring' });
    const st = await x.waitForPhase('syncing');
    assert.ok(Date.parse(st.lastPull!.startedAt) < Date.parse(st.windowEndsAt!));
    await disconnect(x, 'start-sync-now');
  });

  it('initial pull: progress in status, the child continues as new past 150 chunks, then syncing', async () => {
    const x = await s.start({
      stub: {
        streams: [
          { name: 'companies', objectKind: 'account', records: 40 },
          { name: 'contacts', objectKind: 'contact', records: 1_560 },
        ],
      },
    });
    const st = await x.waitForPhase('syncing');
    assert.deepEqual(st.initialPull, { done: 1_600, total: 1_600, finished: true });
    assert.equal(st.lastPull?.seen, 1_600);
    assert.equal(x.crm.calls.filter((c) => c.name === 'pullChunk').length, 160);
    assert.equal(st.manualPushAvailable, true);
    await disconnect(x, 'initial-pull');
  });

  it('a new pull interval moves the pending pull at once', async () => {
    const x = await s.start();
    const first = await x.waitForPhase('syncing');
    const initialEnd = Date.parse(first.lastPull!.finishedAt!);
    assert.equal(Date.parse(first.nextPullAt!), initialEnd + 15 * 60_000);
    await s.env.sleep('7m'); // off the 5-minute push sweeps, so no batch is in flight
    const longer = await x.handle.executeUpdate(updateSettingsUpdate, { args: [{ pullIntervalMinutes: 60 }] });
    assert.equal(longer.pullIntervalMinutes, 60);
    assert.equal(
      Date.parse((await x.status()).nextPullAt!),
      initialEnd + 60 * 60_000,
      'one new interval after the last slot',
    );
    await s.env.sleep('21m');
    assert.equal(
      x.crm.calls.filter((c) => c.name === 'beginPull' && c.kind === 'recurring').length,
      0,
      'no pull at the old 15-minute slot',
    );
    // Shorter than the time already waited: the pull runs now.
    await x.handle.executeUpdate(updateSettingsUpdate, { args: [{ pullIntervalMinutes: 10 }] });
    const now = await x.waitForStatus('a pull at once', (v) => v.lastPull?.kind === 'recurring');
    assert.equal(Date.parse(now.nextPullAt!), Date.parse(now.lastPull!.startedAt) + 10 * 60_000);
    await disconnect(x, 'interval-change');
  });

  it('a field mapping the CRM refuses is rejected with the reason; a valid one is taken', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    const before = await x.handle.query(settingsQuery);
    const entry = { crmField: 'Not_A_Field__c', localField: 'title', direction: 'both' as const };
    const reason = await refusal(
      x.handle.executeUpdate(updateSettingsUpdate, { args: [{ fieldMapping: { contact: [entry] } }] }),
    );
    assert.match(reason, /^invalid settings: .*Not_A_Field__c/);
    assert.deepEqual((await x.handle.query(settingsQuery)).fieldMapping, before.fieldMapping, 'nothing changed');
    const contact = [
      ...before.fieldMapping.contact,
      { crmField: 'Department', localField: 'custom.dept', direction: 'push' as const },
    ];
    const after = await x.handle.executeUpdate(updateSettingsUpdate, { args: [{ fieldMapping: { contact } }] });
    assert.deepEqual(after.fieldMapping.contact, contact);
    await disconnect(x, 'mapping-check');
  });

  it('push: a signal drains the outbox in lanes; manual push and retry are queued and pushed', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    x.crm.outbox = 450;
    await x.handle.signal(pushPendingSignal, {});
    let st = await x.waitForStatus('450 pushed', (v) => v.push.totals.linked === 450 && !v.push.pushing);
    assert.equal(st.push.due, 0);
    const lanes = new Set(x.crm.calls.filter((c) => c.name === 'pushBatch').map((c) => `${c.lane}/${c.lanes}`));
    assert.deepEqual([...lanes].sort(), ['0/2', '1/2']);
    assert.deepEqual(
      await x.handle.executeUpdate(pushRecordsUpdate, { args: [{ objectKind: 'contact', ids: UUIDS }] }),
      { queued: 3 },
    );
    st = await x.waitForStatus('453 pushed', (v) => v.push.totals.linked === 453);
    assert.deepEqual(await x.handle.executeUpdate(retryFailedUpdate, { args: [{}] }), { queued: 0 });
    assert.ok(x.crm.calls.some((c) => c.name === 'requeueFailedPushes'));
    // Changing the push rules re-queues rejected records by themselves.
    const { pushGuessedEmails } = (await x.handle.query(settingsQuery)).push;
    await x.handle.executeUpdate(updateSettingsUpdate, { args: [{ push: { pushGuessedEmails: !pushGuessedEmails } }] });
    await x.waitForStatus(
      'requeue after a rules change',
      () => x.crm.calls.filter((c) => c.name === 'requeueFailedPushes').length === 2,
    );
    await disconnect(x, 'push-lanes');
  });

  it('push: a manual push of every unlinked record is queued in bounded pages, pushing as they come', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    x.crm.unlinked = 1_250;
    const r = await x.handle.executeUpdate(pushRecordsUpdate, { args: [{ objectKind: 'account', all: true }] });
    assert.deepEqual(r, { queued: 1_250 });
    await x.waitForStatus('all pushed', (v) => v.push.totals.linked === 1_250 && !v.push.pushing);
    const pages = x.crm.calls.filter((c) => c.name === 'enqueueManualPush');
    assert.ok(pages.length > 1, `several bounded activities, not one (${pages.length})`);
    await disconnect(x, process.env.PUSH_ALL_HISTORY ?? 'push-all-pages');
  });

  it('bad credentials: needsReauth without retries, refusals say why, reauthorize (also to a new connection) resumes', async () => {
    const x = await s.start({ stub: { authorized: false } });
    const waiting = await x.waitForPhase('needsReauth');
    assert.match(waiting.needsReauthReason!, /401 INVALID_AUTHENTICATION/);
    assert.match(
      await refusal(x.handle.executeUpdate(startSyncNowUpdate, { args: [{}] })),
      /^sync cannot start before the CRM connection is verified \(phase needsReauth\)$/,
    );
    assert.match(
      await refusal(x.handle.executeUpdate(pullNowUpdate, { args: [{}] })),
      /^manual pull needs a verified CRM connection \(phase needsReauth: HubSpot account details failed/,
    );
    await s.env.sleep('3h');
    assert.equal(x.crm.calls.filter((c) => c.name === 'connect').length, 1, 'one attempt, no retry storm');
    x.crm.authorized = true;
    await x.handle.signal(reauthorizeSignal, {});
    await x.waitForPhase('syncing');

    // Revoked while syncing: the next pull fails, the integration waits, then resumes on a new connection.
    x.crm.authorized = false;
    await s.env.sleep('16m');
    const again = await x.waitForPhase('needsReauth');
    assert.equal(again.errors.failedPulls, 1);
    x.crm.authorized = true;
    await x.handle.signal(reauthorizeSignal, { connection: 'rotated-conn' });
    await x.waitForPhase('syncing');
    assert.equal(x.crm.calls.filter((c) => c.name === 'connect').at(-1)?.connection, 'rotated-conn');
    await disconnect(x, 'reauthorize');
  });

  it('daily allowance spent: pull and push pause on a timer shown in status, then go on by themselves', async () => {
    const x = await s.start({ stub: { dailyLimitFailures: { pull: 1, push: 0 } } });
    const paused = await x.waitForStatus('pull paused', (v) => v.pausedUntil !== null);
    assert.equal(paused.phase, 'initialPull');
    assert.equal(paused.pauseReason, 'daily API allowance spent (reserve kept)');
    await s.env.sleep(DAILY_LIMIT_WAIT_MS);
    const st = await x.waitForPhase('syncing');
    assert.equal(st.pausedUntil, null);
    assert.equal(st.lastPull?.seen, 25);

    x.crm.outbox = 250;
    x.crm.dailyLimitFailures.push = 2; // both lanes' first batches
    await x.handle.signal(pushPendingSignal, {});
    const pushPaused = await x.waitForStatus('push paused', (v) => v.pausedUntil !== null);
    assert.equal(pushPaused.push.failure, 'daily API allowance spent (reserve kept)');
    assert.equal(pushPaused.push.totals.linked, 0);
    await s.env.sleep(DAILY_LIMIT_WAIT_MS);
    const resumed = await x.waitForStatus(
      'pushed after the pause',
      (v) => v.push.totals.linked === 250 && v.pausedUntil === null,
    );
    assert.equal(resumed.push.failure, null);
    await disconnect(x, 'daily-limit-pause');
  });

  it('a malformed signal, as the UI lets anyone send, is dropped with its reason and the integration goes on', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    const send = (name: string, arg: unknown) => s.client.workflow.getHandle(x.handle.workflowId).signal(name, arg);
    await send('pullProgress', null);
    await x.waitForStatus(
      'pullProgress dropped',
      (v) => v.lastIgnoredSignal?.startsWith('pullProgress signal ignored: ') === true,
    );
    await send('pullProgress', { seen: 'many', total: null });
    await send('reauthorize', 5);
    const st = await x.waitForStatus(
      'reauthorize dropped',
      (v) => v.lastIgnoredSignal?.startsWith('reauthorize signal ignored: ') === true,
    );
    assert.equal(st.phase, 'syncing');
    assert.deepEqual(st.initialPull, { done: 25, total: 25, finished: true }, 'progress untouched by the bad reports');
    await send('reauthorize', { connection: '' });
    assert.equal(
      (await x.waitForStatus('empty connection dropped', (v) => /connection must name/.test(v.lastIgnoredSignal ?? '')))
        .phase,
      'syncing',
    );
    await s.env.sleep('16m');
    await x.waitForStatus('still pulling', (v) => v.lastPull?.kind === 'recurring');
    assert.ok(
      x.crm.calls.filter((c) => c.name === 'connect').every((c) => c.connection === `${x.workspaceId}-conn`),
      'connection unchanged',
    );
    await disconnect(x, 'malformed-signals');
  });

  it('disconnect in the window ends the workflow; settings stay readable until then', async () => {
    const x = await s.start({ plan: 'paid', crm: 'salesforce' });
    await x.waitForPhase('configuring');
    assert.equal((await x.handle.query(settingsQuery)).pullIntervalMinutes, 30);
    await disconnect(x, 'disconnect-in-window');
    assert.equal(x.crm.calls.filter((c) => c.name === 'beginPull').length, 0);
  });
});
