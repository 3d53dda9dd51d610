import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pushPendingSignal } from '../../src/workflows/contract';
import { MAX_HISTORY_EVENTS } from '../../src/workflows/integration';
import { waitFor } from '../support/wait';
import { recordHistories, startStubEnv, type StubEnv, type StubIntegration } from './stub-env';

/**
 * Each workspace write signals `pushPending`, also during the 6-hour configuration window: the
 * window must continue as new like the syncing loop does, or a busy workspace's writes grow its
 * history to the server's limit (51,200 events), where the integration is terminated. Its own file
 * and environment, since signal bursts can hold the time-skipping lock (see continue-as-new.test.ts).
 */
describe('history stays bounded in the configuration window (workflow tier, stub activities)', () => {
  let s: StubEnv;
  before(async () => {
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
  });

  /**
   * Sends `count` pushPending signals as fast as `inFlight` concurrent calls go, in bursts of
   * `burst`: a workspace's writes come in bursts, and the server refuses a continue-as-new while
   * signals keep arriving (the workflow task that carries it fails and the next one retries it), so
   * after a burst that took the run past the limit the sender lets it go through before the next.
   * Returns the longest history any run reached, how many runs there were, and the time taken.
   */
  async function flood(x: StubIntegration, count: number, burst: number, inFlight: number) {
    const runs = new Set<string>();
    let longest = 0;
    const look = async () => {
      const d = await x.handle.describe();
      runs.add(d.runId);
      longest = Math.max(longest, d.historyLength);
      return d;
    };
    const started = Date.now();
    for (let sent = 0; sent < count;) {
      const n = Math.min(burst, count - sent);
      let left = n;
      await Promise.all(
        Array.from({ length: Math.min(inFlight, n) }, async () => {
          while (left > 0) {
            left--;
            await x.handle.signal(pushPendingSignal, {});
          }
        }),
      );
      sent += n;
      const d = await look();
      if (d.historyLength > MAX_HISTORY_EVENTS)
        await waitFor('the next run', look, (next) => next.runId !== d.runId, 120_000);
    }
    await look();
    return { runs: runs.size, longest, elapsedMs: Date.now() - started };
  }

  async function windowStillOpen(x: StubIntegration, windowEndsAt: string | null) {
    const st = await x.waitForStatus('the window answers', (v) => v.phase === 'configuring');
    assert.equal(st.windowEndsAt, windowEndsAt, 'the window keeps its end across runs');
    assert.equal(x.crm.calls.filter((c) => c.name === 'beginPull').length, 0, 'no pull in the window');
  }

  async function syncAndPush(x: StubIntegration) {
    x.crm.outbox = 250;
    await x.startSyncNow();
    await x.waitForPhase('syncing');
    // The writes made in the window wait in the outbox; they are pushed once the initial pull is done.
    await waitFor(
      'the window writes pushed',
      async () => x.crm.outbox,
      (n) => n === 0,
    );
  }

  it('past 2,000 events the window continues as new, keeping its end; writes made in it are pushed after', async () => {
    const x = await s.start({ plan: 'paid' });
    const { windowEndsAt } = await x.waitForPhase('configuring');
    const f = await flood(x, 2_400, 2_400, 20);
    await waitFor(
      'the next run',
      () => x.handle.describe(),
      (d) => d.runId !== x.handle.firstExecutionRunId,
    );
    assert.ok(f.longest < MAX_HISTORY_EVENTS + 1_000, `longest run history ${f.longest}`);
    await windowStillOpen(x, windowEndsAt);
    await syncAndPush(x);
    assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
    await recordHistories(s.client, x.handle, 'window-continue-as-new', 1);
  });

  it('60,000 pushPending signals in the window: still running, every run bounded, then it syncs', async () => {
    const count = Number(process.env.WINDOW_SIGNALS ?? 60_000);
    const x = await s.start({ plan: 'paid' });
    const { windowEndsAt } = await x.waitForPhase('configuring');
    const burst = 1_000;
    const f = await flood(x, count, burst, 100);
    const d = await x.handle.describe();
    console.log(
      `window flood: ${count} signals in ${(f.elapsedMs / 1000).toFixed(1)} s, ${f.runs} runs, longest history ${f.longest} events`,
    );
    assert.equal(d.status.name, 'RUNNING');
    // The server's limit is 51,200 events; a run continues as new past 2,000, at the end of a burst.
    // A burst that arrives just before the run passes the limit lands in it whole: each signal is an
    // event, and the workflow tasks between them add up to two more (measured: 3,052 and 4,037).
    const bound = MAX_HISTORY_EVENTS + 3 * burst;
    assert.ok(f.longest < bound, `longest run history ${f.longest}`);
    assert.ok(f.runs >= Math.floor(count / bound), `${f.runs} runs`);
    await windowStillOpen(x, windowEndsAt);
    await syncAndPush(x);
    assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
  });
});
