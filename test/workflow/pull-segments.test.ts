import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { disconnectSignal, pushPendingSignal } from '../../src/workflows/contract';
import { MAX_HISTORY_EVENTS } from '../../src/workflows/integration';
import { MAX_CHUNKS_PER_EXECUTION } from '../../src/workflows/pull';
import { runsOf } from '../support/runs';
import { DAILY_LIMIT_WAIT_MS } from './stub-activities';
import { recordHistories, startStubEnv, type StubEnv, type StubIntegration } from './stub-env';

/**
 * Pulls longer than one run of the integration: a pull runs in segments of child workflows, and
 * between two of them the integration continues as new when its history is long, handing the pull
 * to its next run (integration/pull-segments.ts). Without that, a long pull would keep one run
 * open while progress signals and the pushes beside it grow its history with no bound.
 */
describe('pulls in segments: the integration continues as new during a long pull (workflow tier)', () => {
  let s: StubEnv;
  before(async () => {
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
  });

  /** Every run of the integration, oldest first, with its history length and its pull children's ids. */
  async function runs(client: Client, x: StubIntegration) {
    return (await runsOf(client.workflow, x.handle.workflowId)).map((r) => ({
      runId: r.runId,
      events: r.events.length,
      children: r.events.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []),
      continuedAsNew: r.continuedAsNew,
    }));
  }

  // A run hands the pull over at the first segment's end past the limit: at most one segment (a
  // progress signal and its workflow task, 4 events, per chunk) beyond it.
  const RUN_BOUND = MAX_HISTORY_EVENTS + 4 * MAX_CHUNKS_PER_EXECUTION + 100;

  const count = (x: StubIntegration, name: string, kind?: string) =>
    x.crm.calls.filter((c) => c.name === name && (kind === undefined || c.kind === kind)).length;

  it('an initial pull of 7,000 records goes on in the next run, each chunk pulled once, beginPull called once', async () => {
    const x = await s.start({
      stub: {
        streams: [
          { name: 'companies', objectKind: 'account', records: 1_000 },
          { name: 'contacts', objectKind: 'contact', records: 6_000 },
        ],
      },
    });
    const done = await x.waitForStatus('the initial pull done', (v) => v.phase === 'syncing', 240_000);
    assert.deepEqual(
      { seen: done.lastPull?.seen, created: done.lastPull?.created, kind: done.lastPull?.kind },
      { seen: 7_000, created: 7_000, kind: 'initial' },
    );
    assert.equal(done.errors.failedPulls, 0);
    assert.equal(count(x, 'beginPull'), 1, 'the next run went on with the pull instead of opening another');
    assert.equal(count(x, 'pullChunk'), 700, 'no chunk pulled twice, none skipped');

    const all = await runs(s.client, x);
    assert.ok(all.length >= 2, `the integration continued as new during the pull (${all.length} run)`);
    for (const r of all) assert.ok(r.events < RUN_BOUND, `a run of ${r.events} events`);
    const children = all.flatMap((r) => r.children);
    const id = x.handle.workflowId;
    // 700 chunks in segments of 150: five children, the first under the id pulls always had.
    assert.deepEqual(children, [
      `${id}/pull-1`,
      `${id}/pull-1.2`,
      `${id}/pull-1.3`,
      `${id}/pull-1.4`,
      `${id}/pull-1.5`,
    ]);
    assert.ok(all[0].children.length < 5 && all[0].continuedAsNew, 'the first run handed the pull over');
    assert.equal(MAX_CHUNKS_PER_EXECUTION, 150);

    await x.handle.signal(disconnectSignal, {});
    assert.deepEqual(await x.handle.result(), { phase: 'disconnected' });
    await recordHistories(s.client, x.handle, 'initial-pull-segments');
  });

  it('a recurring pull of 7,000 records, paused an hour on the daily allowance, is handed to the next run and finishes there', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    const chunksBefore = count(x, 'pullChunk');
    x.crm.streams = [{ name: 'contacts', objectKind: 'contact', records: 7_000 }];
    // The 140th chunk of the next pull meets the spent allowance: the pull pauses for an hour.
    x.crm.dailyLimitAtChunk = chunksBefore + 140;
    const firstRun = (await x.handle.describe()).runId;
    await s.env.sleep('15m');
    const paused = await x.waitForStatus('the recurring pull paused', (v) => v.pausedUntil !== null, 120_000);
    assert.equal(paused.pullInProgress, 'recurring');
    assert.ok(Date.parse(paused.pausedUntil!) > Date.parse(paused.nextPullAt!));
    // The wait is the integration's own timer, no child runs meanwhile.
    const during = await runs(s.client, x);
    assert.deepEqual(during.at(-1)!.children.slice(-1), [`${x.handle.workflowId}/pull-2`]);

    // The allowance comes back: the pull goes on, and continues in the next run once history is long.
    await s.env.sleep(DAILY_LIMIT_WAIT_MS);
    const finished = await x.waitForStatus(
      'the pull finished',
      (v) => v.pullInProgress === null && v.lastPull?.kind === 'recurring' && v.lastPull.seen === 7_000,
      240_000,
    );
    assert.equal(finished.pausedUntil, null);
    assert.equal(finished.errors.failedPulls, 0);
    // Its start is the one the first run recorded: the pull's slot, 15 minutes after syncing began.
    assert.ok(Math.abs(Date.parse(finished.lastPull!.startedAt) - Date.parse(paused.nextPullAt!)) < 60_000);
    assert.equal(count(x, 'beginPull', 'recurring'), 1, 'one pull, not two');
    // 700 chunks, plus the one attempt that met the spent allowance.
    assert.equal(count(x, 'pullChunk') - chunksBefore, 701);
    // The cadence holds: the next pull is at a slot after the pull's end.
    assert.ok(Date.parse(finished.nextPullAt!) > Date.parse(paused.pausedUntil!));

    const all = await runs(s.client, x);
    assert.ok(all.length >= 2 && all[0].runId === firstRun && all[0].continuedAsNew, 'handed over');
    for (const r of all) assert.ok(r.events < RUN_BOUND, `a run of ${r.events} events`);
    const id = x.handle.workflowId;
    assert.deepEqual(
      all.flatMap((r) => r.children).filter((c) => c.startsWith(`${id}/pull-2`)),
      [`${id}/pull-2`, `${id}/pull-2.2`, `${id}/pull-2.3`, `${id}/pull-2.4`, `${id}/pull-2.5`],
      'the pause ended the first segment early: 139 + 150 x 3 + 111 chunks',
    );

    // Pushes go on in the new run, and so do the recurring pulls.
    x.crm.outbox += 10;
    await x.handle.signal(pushPendingSignal, {});
    await x.waitForStatus('pushes in the new run', (v) => v.push.totals.linked === 10, 120_000);
    await s.env.sleep('15m');
    await x.waitForStatus('the next recurring pull', () => count(x, 'beginPull', 'recurring') === 2, 240_000);
    await x.handle.signal(disconnectSignal, {});
    assert.deepEqual(await x.handle.result(), { phase: 'disconnected' });
    await recordHistories(s.client, x.handle, 'recurring-pull-handed-off');
  });
});
