import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { MAX_HISTORY_EVENTS } from '../../src/workflows/integration';
import {
  recordHistories,
  signalUntilContinuedAsNew,
  startStubEnv,
  type StubEnv,
  type StubIntegration,
} from './stub-env';

/**
 * A pull can run for hours (a big CRM, a spent daily allowance), and the integration's history grows
 * meanwhile with the workspace's writes and the pushes they bring: it continues as new while the
 * pull runs on, and the next run takes the pull's end. A pull that ends without a word (an operator
 * terminated it) is noticed and reported. One environment per case: the signal bursts can hold the
 * time-skipping lock (see continue-as-new.test.ts).
 */
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const beginPulls = (x: StubIntegration) => x.crm.calls.filter((c) => c.name === 'beginPull').length;

/** The pull child's id, as the workflow names it (pull-child.ts). */
const childId = (x: StubIntegration, seq: number) => `${x.handle.workflowId}/pull-${seq}`;

/** The runs an integration went through, first to current, each as its history's events. */
async function runsOf(client: Client, x: StubIntegration): Promise<HistoryEvent[][]> {
  const runs: HistoryEvent[][] = [];
  let runId: string | null | undefined = x.handle.firstExecutionRunId;
  while (runId) {
    const history = await client.workflow.getHandle(x.handle.workflowId, runId).fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    runs.push(events);
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}

describe('a recurring pull outlives the run that started it (workflow tier)', () => {
  let s: StubEnv;
  before(async () => {
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
  });

  it('writes during a paused pull continue the integration as new; the pull ends in the next run, totals exact', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    x.crm.dailyLimitFailures.pull = 1;
    await s.env.sleep('15m');
    const paused = await x.waitForStatus(
      'the recurring pull paused on the daily allowance',
      (v) => v.pullInProgress === 'recurring' && v.pausedUntil !== null,
    );
    // A workspace busy meanwhile: its writes are pushed beside the pull, and their signals grow the history.
    x.crm.outbox = 1_000;
    await signalUntilContinuedAsNew(x);
    const carried = await x.status();
    assert.equal(carried.pullInProgress, 'recurring', 'the new run waits for the running pull');
    assert.equal(carried.pausedUntil, paused.pausedUntil, 'the pause is still shown');
    assert.equal(beginPulls(x), 2, 'no second pull was started');
    await x.waitForStatus('pushed beside the pull', (v) => v.push.totals.linked === 1_000 && v.push.due === 0);
    assert.equal((await x.status()).pullInProgress, 'recurring');

    await s.env.sleep('1h');
    const done = await x.waitForStatus('the pull ended', (v) => v.pullInProgress === null);
    assert.equal(done.lastPull?.kind, 'recurring');
    assert.equal(done.lastPull?.failure, undefined);
    assert.equal(done.lastPull?.seen, 25);
    assert.ok(
      Date.parse(done.lastPull!.startedAt) > Date.parse(paused.lastPull!.startedAt),
      'this pull, not the initial one',
    );
    assert.deepEqual(done.errors, { ownerSync: 0, failedPulls: 0 });
    assert.equal(done.push.totals.linked, 1_000, 'each write pushed once');

    const runs = await runsOf(s.client, x);
    assert.ok(runs.length >= 2);
    const started = runs.findIndex((events) =>
      events.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId === childId(x, 2)),
    );
    assert.equal(started, 0, 'the pull was started by the first run');
    assert.ok(
      !runs[0].some(
        (e) => e.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId === childId(x, 2),
      ),
      'the first run continued as new before the pull completed',
    );
    for (const events of runs) assert.ok(events.length < MAX_HISTORY_EVENTS + 500, `a run of ${events.length} events`);
    const child = (await s.client.workflow.getHandle(childId(x, 2)).fetchHistory()).events ?? [];
    assert.ok(child.at(-1)?.workflowExecutionCompletedEventAttributes, 'the pull completed');

    // (The next pull at its slot is checked in a case that sleeps less after its signal bursts: a
    // third env.sleep here can hang on the test server's time-skipping lock.)
    assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
    await recordHistories(s.client, x.handle, 'pull-outlives-run', 3);
  });
});

describe('the initial pull outlives the run that started it (workflow tier)', () => {
  let s: StubEnv;
  before(async () => {
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
  });

  it('writes during the initial pull continue the integration as new; the pull finishes once, then syncing', async () => {
    const x = await s.start({ stub: { dailyLimitFailures: { pull: 1, push: 0 } } });
    const paused = await x.waitForStatus('the initial pull paused', (v) => v.pausedUntil !== null);
    assert.equal(paused.phase, 'initialPull');
    x.crm.outbox = 300;
    await signalUntilContinuedAsNew(x);
    const carried = await x.status();
    assert.equal(carried.phase, 'initialPull');
    assert.equal(carried.pullInProgress, 'initial');
    assert.deepEqual(carried.initialPull, paused.initialPull);
    assert.equal(carried.push.totals.linked, 0, 'writes wait for the initial pull');

    await s.env.sleep('1h');
    const st = await x.waitForStatus(
      'syncing, its writes pushed',
      (v) => v.phase === 'syncing' && v.push.totals.linked === 300,
    );
    assert.deepEqual(st.initialPull, { done: 25, total: 25, finished: true });
    assert.equal(st.lastPull?.seen, 25);
    assert.equal(beginPulls(x), 1, 'the initial pull ran once');
    assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
    await recordHistories(s.client, x.handle, 'initial-pull-continue-as-new', 2);
  });
});

describe('a pull that ends without reporting (workflow tier)', () => {
  let s: StubEnv;
  before(async () => {
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
  });

  async function pausedRecurringPull() {
    const x = await s.start();
    await x.waitForPhase('syncing');
    x.crm.dailyLimitFailures.pull = 1;
    await s.env.sleep('15m');
    await x.waitForStatus(
      'the recurring pull paused',
      (v) => v.pullInProgress === 'recurring' && v.pausedUntil !== null,
    );
    return x;
  }

  it('a later run notices a terminated pull after 15 minutes of silence; the next pull runs at its slot', async () => {
    const x = await pausedRecurringPull();
    await signalUntilContinuedAsNew(x);
    await s.client.workflow.getHandle(childId(x, 2)).terminate('stopped by an operator');
    // It announced a 1-hour pause; 15 minutes of silence after it, the integration looks.
    await s.env.sleep('74m');
    assert.equal((await x.status()).pullInProgress, 'recurring', 'not given up before 15 minutes of silence');
    await s.env.sleep('2m');
    const st = await x.waitForStatus('the lost pull reported', (v) => v.pullInProgress === null);
    assert.match(st.lastPull?.failure ?? '', /pull \(workflow .*\/pull-2\) ended without reporting how/);
    assert.equal(st.errors.failedPulls, 1);

    await s.env.sleep('15m');
    const next = await x.waitForStatus(
      'the next pull went through',
      (v) => beginPulls(x) === 3 && v.lastPull?.failure === undefined && v.pullInProgress === null,
    );
    assert.equal(next.lastPull?.seen, 25);
    assert.equal(next.errors.failedPulls, 1);
    assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
    await recordHistories(s.client, x.handle, 'pull-terminated-watch', 3);
  });
});
