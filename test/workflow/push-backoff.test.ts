import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { disconnectSignal, pushPendingSignal } from '../../src/workflows/contract';
import { MAX_HISTORY_EVENTS } from '../../src/workflows/integration';
import { waitFor } from '../support/wait';
import { REFUSAL_MESSAGE } from './stub-activities';
import { recordHistories, startStubEnv, type StubEnv, type StubIntegration } from './stub-env';

/**
 * A push the CRM refuses (CrmInvalid: the same call fails the same way) must not drain again at
 * once: the drains back off on a workflow timer, 1 minute doubling to the 5-minute sweep, whatever
 * pushPending signals come meanwhile; status shows the failure and the next attempt; a drain that
 * goes through resets the backoff; a disconnect ends the wait at once, a settings change early.
 */
describe('a refused push backs off (workflow tier, stub activities)', () => {
  let s: StubEnv;
  before(async () => {
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
  });

  it('drains 1, 2, 4, 5, 5 minutes apart through signals; status shows the next attempt; a fix resets it; disconnect ends the wait', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    await s.env.sleep('7m'); // off the 5-minute push sweeps, so no batch is in flight
    const before = pushBatchCalls(x);
    x.crm.outbox = 150;
    x.crm.pushRefusals = Number.MAX_SAFE_INTEGER;
    await x.handle.signal(pushPendingSignal, {});
    const waiting = await x.waitForStatus('the first backoff', (v) => v.push.nextAttemptAt !== null);
    assert.equal(waiting.push.failure, REFUSAL_MESSAGE);
    assert.equal(waiting.push.failureType, 'CrmInvalid');
    assert.equal(waiting.push.pushing, false);
    assert.equal(waiting.retrying, null, 'a refusal is not an outage retried in place');
    assert.equal(pushBatchCalls(x) - before, 2, 'one failing batch per lane');
    const [failedAt] = await drainTimes(x, before);
    assertNear(Date.parse(waiting.push.nextAttemptAt!) - failedAt, 60_000, 'the first wait: 1 minute');

    // Writes during the wait: their signals do not drain, they wait for the drain after it.
    for (let burst = 0; burst < 3; burst++)
      await Promise.all(Array.from({ length: 10 }, () => x.handle.signal(pushPendingSignal, {})));
    await signalsHandled(x);
    assert.equal(pushBatchCalls(x) - before, 2, 'no drain on the signals');
    assert.equal((await x.status()).push.nextAttemptAt, waiting.push.nextAttemptAt, 'the wait is unchanged');

    // Half an hour of refusals: drains at 0, 1, 3, 7, 12, 17, 22, 27 minutes, two batches each.
    await s.env.sleep('30m');
    const times = await drainTimes(x, before);
    assert.equal(times.length, 8, `drains in 30 minutes: ${times.length}`);
    assert.equal(pushBatchCalls(x) - before, 16, 'two batches a drain');
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    [60, 120, 240, 300, 300, 300, 300].forEach((seconds, i) => assertNear(gaps[i], seconds * 1000, `gap ${i + 1}`));
    const still = await x.waitForStatus('still backing off', (v) => v.push.nextAttemptAt !== null);
    assert.equal(still.push.failureType, 'CrmInvalid');
    assertNear(Date.parse(still.push.nextAttemptAt!) - times.at(-1)!, 300_000, 'at most the push sweep');
    assert.equal(still.push.totals.linked, 0);

    // The CRM takes the batches again: the next drain pushes everything, and clears the failure.
    x.crm.pushRefusals = 0;
    await s.env.sleep('5m');
    const pushed = await x.waitForStatus('pushed', (v) => v.push.totals.linked === 150 && !v.push.pushing);
    assert.equal(pushed.push.failure, null);
    assert.equal(pushed.push.failureType, null);
    assert.equal(pushed.push.nextAttemptAt, null);

    // The drain that went through reset the backoff: the next refusal waits 1 minute, not 5.
    const beforeRefusal = pushBatchCalls(x);
    x.crm.outbox = 10;
    x.crm.pushRefusals = 2;
    await x.handle.signal(pushPendingSignal, {});
    const again = await x.waitForStatus('backing off again', (v) => v.push.nextAttemptAt !== null);
    const [refusedAt] = await drainTimes(x, beforeRefusal);
    assertNear(Date.parse(again.push.nextAttemptAt!) - refusedAt, 60_000, 'reset to the first wait');

    // A disconnect ends the wait at once: the workflow closes before the next attempt, with no drain.
    const calls = pushBatchCalls(x);
    await x.handle.signal(disconnectSignal, {});
    assert.deepEqual(await x.handle.result(), { phase: 'disconnected' });
    assert.equal(pushBatchCalls(x), calls, 'no drain after the disconnect');
    const events = (await x.handle.fetchHistory()).events ?? [];
    assert.ok(
      eventMs(events.at(-1)!) < Date.parse(again.push.nextAttemptAt!),
      'closed before the next attempt was due',
    );
    await recordHistories(s.client, x.handle, 'push-refused-backoff');
  });

  it('a settings change ends the wait early (the operator may have fixed the cause); the doubling goes on until a drain goes through', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    await s.env.sleep('7m');
    const before = pushBatchCalls(x);
    x.crm.outbox = 150;
    x.crm.pushRefusals = 4; // two drains' worth
    await x.handle.signal(pushPendingSignal, {});
    await x.waitForStatus('the first backoff', (v) => v.push.nextAttemptAt !== null);

    // No time passes here (the test server skips time only in sleep and result): the drain that
    // follows the update runs because the update ended the wait.
    await x.updateSettings({ pullIntervalMinutes: 20 });
    await waitFor(
      'a drain on the settings change',
      async () => pushBatchCalls(x) - before,
      (n) => n === 4,
    );
    const second = await x.waitForStatus('the second backoff', (v) => v.push.nextAttemptAt !== null);
    const times = await drainTimes(x, before);
    assert.equal(times.length, 2);
    assert.ok(times[1] - times[0] < 60_000, 'the second drain did not wait out the first minute');
    assertNear(Date.parse(second.push.nextAttemptAt!) - times[1], 120_000, 'the doubling went on');

    await x.updateSettings({ pullIntervalMinutes: 15 });
    const pushed = await x.waitForStatus('pushed', (v) => v.push.totals.linked === 150 && !v.push.pushing);
    assert.equal(pushed.push.failure, null);
    assert.equal(pushed.push.nextAttemptAt, null);
    assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
  });
});

/**
 * The wait is carried across continue-as-new: the writes' signals that grow the history during it
 * start the next run, which waits out the rest rather than draining at once. In its own
 * environment, since signal bursts can hold the time-skipping lock (see continue-as-new.test.ts).
 */
describe('a push backoff across continue-as-new (workflow tier, stub activities)', () => {
  let s: StubEnv;
  before(async () => {
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
  });

  it('signals during the wait continue the integration as new; the next run keeps the wait and its doubling', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    await s.env.sleep('7m');
    const before = pushBatchCalls(x);
    x.crm.outbox = 150;
    x.crm.pushRefusals = Number.MAX_SAFE_INTEGER;
    await x.handle.signal(pushPendingSignal, {});
    await x.waitForStatus('the first backoff', (v) => v.push.nextAttemptAt !== null);
    await s.env.sleep('3m'); // the drains at 1 and 3 minutes: the wait is 4 minutes now
    await waitFor(
      'the third failed drain',
      async () => pushBatchCalls(x) - before,
      (n) => n === 6,
    );
    const waiting = await x.waitForStatus('the third backoff', (v) => v.push.nextAttemptAt !== null);
    const calls = pushBatchCalls(x);

    for (let burst = 0; burst < 200 && (await x.handle.describe()).historyLength <= MAX_HISTORY_EVENTS; burst++) {
      await Promise.all(Array.from({ length: 25 }, () => x.handle.signal(pushPendingSignal, {})));
    }
    await x.handle.signal(pushPendingSignal, {});
    await waitFor(
      'the next run',
      () => x.handle.describe(),
      (d) => d.runId !== x.handle.firstExecutionRunId,
    );
    const carried = await x.status();
    assert.equal(carried.push.nextAttemptAt, waiting.push.nextAttemptAt, 'the wait carried over');
    assert.equal(carried.push.failureType, 'CrmInvalid');
    assert.equal(pushBatchCalls(x), calls, 'the new run did not drain at once');

    await s.env.sleep('4m');
    const fourth = await x.waitForStatus(
      'the fourth backoff',
      (v) => pushBatchCalls(x) === calls + 2 && v.push.nextAttemptAt !== null,
    );
    const [lastDrain] = (await drainTimes(x, 0)).slice(-1);
    assertNear(Date.parse(fourth.push.nextAttemptAt!) - lastDrain, 300_000, 'the doubling carried over');

    x.crm.pushRefusals = 0;
    await s.env.sleep('5m');
    await x.waitForStatus('pushed', (v) => v.push.totals.linked === 150 && v.push.nextAttemptAt === null);
    assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
    await recordHistories(s.client, x.handle, 'push-backoff-continue-as-new', 0);
  });
});

function pushBatchCalls(x: StubIntegration): number {
  return x.crm.calls.filter((c) => c.name === 'pushBatch').length;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function eventMs(e: HistoryEvent): number {
  return Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
}

/**
 * The workflow times at which the current run started each drain after the first `skip` pushBatch
 * calls: a drain's lanes are scheduled in one workflow task, so at one time.
 */
async function drainTimes(x: StubIntegration, skip: number): Promise<number[]> {
  const events = (await x.handle.fetchHistory()).events ?? [];
  const scheduled = events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'pushBatch')
    .map(eventMs);
  return [...new Set(scheduled.slice(skip))];
}

/** Waits until the workflow has handled every signal sent so far: a workflow task completed after the last. */
async function signalsHandled(x: StubIntegration): Promise<void> {
  await waitFor(
    'the signals handled',
    async () => (await x.handle.fetchHistory()).events ?? [],
    (events) => {
      let last = -1;
      events.forEach((e, i) => {
        if (e.workflowExecutionSignaledEventAttributes) last = i;
      });
      return events.slice(last + 1).some((e) => e.workflowTaskCompletedEventAttributes);
    },
  );
}

/** A workflow-time span as planned, give or take the real time the activities and tasks took. */
function assertNear(actualMs: number, expectedMs: number, what: string): void {
  assert.ok(
    actualMs >= expectedMs - 1_000 && actualMs <= expectedMs + 5_000,
    `${what}: ${actualMs} ms, not ~${expectedMs}`,
  );
}
