import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { disconnectSignal, pushPendingSignal } from '../../src/workflows/contract';
import { MAX_HISTORY_EVENTS } from '../../src/workflows/integration';
import { waitFor } from '../support/wait';
import { recordHistories, startStubEnv, type StubEnv } from './stub-env';

/**
 * Continue-as-new of the syncing loop, in its own file and environment: the signal bursts it sends
 * can leave the Java test server's time-skipping lock held, which would stall later tests' timers.
 */
describe('integration history stays bounded (workflow tier, stub activities)', () => {
  let s: StubEnv;
  before(async () => {
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
  });

  it('recurring pulls at the interval; past 2,000 history events it continues as new and keeps its state', async () => {
    const x = await s.start();
    const first = await x.waitForPhase('syncing');
    await s.env.sleep('1h');
    await x.waitForStatus(
      '4 recurring pulls',
      () => x.crm.calls.filter((c) => c.name === 'beginPull' && c.kind === 'recurring').length === 4,
    );
    // Workspace writes signal the integration; bursts of them grow its history fastest. (While
    // signals keep arriving the server refuses the continue-as-new; it goes through once they stop.)
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
    assert.equal(carried.connectedAt, first.connectedAt, 'state carried across continue-as-new');
    assert.equal(carried.initialPull?.finished, true);
    assert.equal(carried.lastPull?.kind, 'recurring');
    // The new run keeps the cadence.
    await s.env.sleep('15m');
    await x.waitForStatus(
      'a recurring pull in the new run',
      () => x.crm.calls.filter((c) => c.name === 'beginPull' && c.kind === 'recurring').length === 5,
    );
    await x.handle.signal(disconnectSignal, {});
    assert.deepEqual(await x.handle.result(), { phase: 'disconnected' });
    await recordHistories(s.client, x.handle, 'recurring-continue-as-new');
  });
});
