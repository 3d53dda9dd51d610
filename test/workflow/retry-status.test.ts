import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { disconnectSignal, pushPendingSignal, type IntegrationStatus } from '../../src/workflows/contract';
import { ACTIVITY_ATTEMPTS } from '../../src/workflows/retry-transient';
import { OUTAGE_MESSAGE } from './stub-activities';
import { recordHistories, startStubEnv, type StubEnv, type StubIntegration } from './stub-env';

/**
 * An outage that outlasts an activity's own attempts: the workflow shows the retry in status (its
 * cause, attempts, since when), waits on a timer and calls again, and clears it once through;
 * nothing fails, no workflow task either.
 */
describe('retries through an outage, shown in status (workflow tier)', () => {
  let s: StubEnv;
  before(async () => {
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
  });

  async function noFailedWorkflowTask(x: StubIntegration) {
    const ids = [x.handle.workflowId, `${x.handle.workflowId}/pull-1`];
    for (const id of ids) {
      const history = await s.client.workflow.getHandle(id).fetchHistory();
      const failed = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes);
      assert.deepEqual(failed, [], `${id}: no failed workflow task`);
    }
  }

  it('a pull and a push through a CRM outage: status.retrying while it lasts, cleared after, nothing failed', async () => {
    const x = await s.start({ stub: { transientFailures: { pull: Number.MAX_SAFE_INTEGER, push: 0 } } });
    const first = await x.waitForStatus('pull retrying', (v) => v.retrying !== null);
    assert.equal(first.phase, 'initialPull');
    const since = first.retrying!.since;
    assert.deepEqual(first.retrying, {
      activity: 'pullChunk',
      cause: OUTAGE_MESSAGE,
      failureType: 'CrmTransient',
      attempts: ACTIVITY_ATTEMPTS,
      since,
    });
    // The activity's own attempts run in real time on the test server; the workflow's waits are timers.
    await s.env.sleep('1m');
    const later = await x.waitForStatus('retried again', (v) => (v.retrying?.attempts ?? 0) >= 2 * ACTIVITY_ATTEMPTS);
    assert.equal(later.retrying!.since, since, 'since the first failing call');
    assert.ok(Date.parse(since) <= Date.parse(later.retrying!.since) && Date.parse(since) > 0);
    assert.equal(later.errors.failedPulls, 0, 'the pull has not failed');
    assertNoSecret(later);

    x.crm.transientFailures.pull = 0; // the CRM is back
    await s.env.sleep('2m');
    const synced = await x.waitForPhase('syncing');
    assert.equal(synced.retrying, null, 'cleared after recovery');
    assert.equal(synced.lastPull?.seen, 25);
    assert.equal(synced.lastPull?.failure, undefined);
    assert.equal(synced.errors.failedPulls, 0);

    x.crm.outbox = 150;
    x.crm.transientFailures.push = Number.MAX_SAFE_INTEGER;
    await x.handle.signal(pushPendingSignal, {});
    const pushing = await x.waitForStatus('push retrying', (v) => v.retrying?.activity === 'pushBatch');
    assert.equal(pushing.retrying!.cause, OUTAGE_MESSAGE);
    assert.equal(pushing.retrying!.failureType, 'CrmTransient');
    assert.equal(pushing.push.failure, null, 'a retried push has not failed');
    assertNoSecret(pushing);
    x.crm.transientFailures.push = 0;
    await s.env.sleep('1m');
    const pushed = await x.waitForStatus(
      'pushed after the outage',
      (v) => v.push.totals.linked === 150 && !v.push.pushing,
    );
    assert.equal(pushed.retrying, null);
    assert.equal(pushed.push.failureType, null);

    await x.handle.signal(disconnectSignal, {});
    assert.deepEqual(await x.handle.result(), { phase: 'disconnected' });
    await noFailedWorkflowTask(x);
    await recordHistories(s.client, x.handle, 'transient-retry-status', 1);
  });

  it('a pull that fails for a cause waiting cannot cure shows its failure type beside the failure', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    x.crm.authorized = false;
    await s.env.sleep('16m');
    const st = await x.waitForPhase('needsReauth');
    assert.match(st.lastPull!.failure!, /401 INVALID_AUTHENTICATION/);
    assert.equal(st.lastPull!.failureType, 'CrmAuth');
    assert.equal(st.retrying, null, 'bad credentials are not retried');
    await x.handle.signal(disconnectSignal, {});
    await x.handle.result();
  });
});

/** Status carries causes as the activities wrote them: never the connection's credentials. */
function assertNoSecret(st: IntegrationStatus) {
  assert.doesNotMatch(JSON.stringify(st), /token=|Bearer |accessToken|pat-na1-/i);
}
