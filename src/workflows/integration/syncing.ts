import { allHandlersFinished, condition, continueAsNew, patched } from '@temporalio/workflow';
import type { PullKind } from '../../domain/types';
import { requeueFailedPushes } from './activity-proxies';
import { runPull, scheduleNextPull } from './pull-schedule';
import { continueWithCarriedState, historyIsLong } from './history-limit';
import { drainPush, type Drained } from './push-drain';
import type { Integration } from './state';
import type { integrationWorkflow } from './index';

/** The outbox is swept this often even without a signal: lost signals, transient-failure retries. */
export const PUSH_SWEEP_MS = 5 * 60_000;

/**
 * The wait before the next drain after the `failedDrains`-th failed one in a row (drainPush's
 * 'failed': a cause nothing waits out, e.g. the CRM refused the call): 1 minute, doubling, at most
 * the push sweep, so 1, 2, 4, 5, 5, ... minutes. Draining again at once would make the same call
 * and most likely meet the same refusal, hammering the CRM and growing the history. The first wait
 * is short because some of these clear by themselves (a CRM hiccup reported as invalid, a row
 * another writer held), and a minute is little delay for a write. Doubling soon brings a lasting
 * failure down to one drain per sweep (one call per lane every 5 minutes), and no further: the
 * sweep is the delay the integration already accepts for a lost signal, and a fix made in the CRM
 * or in the data, which no signal reports, is picked up within it.
 */
export function pushRetryWaitMs(failedDrains: number): number {
  return Math.min(60_000 * 2 ** (failedDrains - 1), PUSH_SWEEP_MS);
}

/**
 * Syncing, forever: a pull every interval (or now, when asked), and pushes as soon as the workspace
 * writes, also while a pull runs: a user's edit must not wait for a bulk pull's pages. Returns only
 * when the integration is disconnected; continues as new when history is long, between pulls.
 * Integrations whose history predates concurrent pushes replay the loop that awaited each pull.
 *
 * After a drain that failed on a cause nothing waits out, the next one waits until `push.retryAt`
 * (pushRetryWaitMs), also through sweeps, pushPending signals, manual pushes and retryFailed: what
 * they queue stays wanted and the drain after the wait pushes it (queueing more records does not
 * cure a refused call). A disconnect ends the wait at once; so does a settings change (and the
 * re-queue of rejected records it may bring), since the operator may have fixed the cause (a field
 * mapping, the push rules), though it leaves the doubling as it is: only a drain that goes through
 * resets it. The wait is carried across continue-as-new, so a new run waits it out too.
 */
export async function syncLoop(x: Integration): Promise<void> {
  if (!patched('push-beside-pull')) return serialSyncLoop(x);
  const { input, s, session } = x;
  const push = s.push;
  let nextSweepAt = Date.now() + PUSH_SWEEP_MS;
  // Without a failed drain (retryAt null or absent) this is false, and the loop is as it was before the backoff.
  const backingOff = () => push.retryAt != null && Date.now() < push.retryAt;
  let pull: Promise<void> | null = null;
  let pullEnded = false;
  let disconnected = false;
  let handedOff = false;
  const startPull = (kind: PullKind) => {
    pull = (async () => {
      const r = await runPull(x, kind);
      if (r === 'disconnected') disconnected = true;
      else if (r === 'handedOff') handedOff = true;
      else if (kind === 'recurring') scheduleNextPull(x);
      pull = null;
      pullEnded = true;
    })();
  };
  // The previous run handed its pull over between two segments: it goes on now, at its cursors.
  if (s.pullHandOff) startPull(s.pullHandOff.kind);
  for (;;) {
    // The loop comes here between drains: a handed-off pull is carried over with no push in flight.
    // (Not once a disconnect is asked for: the session, which holds that request, is not carried.)
    if (((!pull && historyIsLong()) || handedOff) && !session.disconnectRequested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof integrationWorkflow>({ ...input, carried: s });
    }
    session.settingsChanged = false;
    const woken = () =>
      (s.manualPullQueued && !pull) ||
      session.disconnectRequested ||
      session.settingsChanged ||
      (push.wanted && !backingOff()) ||
      session.requeueRejected ||
      pullEnded ||
      disconnected ||
      // The signals of writes made during the wait still grow the history: continue as new (between pulls).
      (!pull && backingOff() && historyIsLong());
    if (pull && !backingOff()) {
      // No sweep timer while a pull runs: signals still wake the drain, and the sweep (lost signals,
      // retry backoffs) comes when the pull ends, as it did when pushes waited for pulls.
      await condition(woken);
    } else if (pull) {
      await condition(woken, push.retryAt! - Date.now(), { summary: 'push failure backoff' });
    } else {
      const retryAt = backingOff() ? push.retryAt! : Infinity;
      const until = Math.min(s.nextPullAt!, nextSweepAt, retryAt);
      await condition(woken, Math.max(0, until - Date.now()), {
        summary: until === s.nextPullAt ? 'next pull' : until === retryAt ? 'push failure backoff' : 'push sweep',
      });
    }
    pullEnded = false;
    if (session.disconnectRequested || disconnected) {
      // As before pushes ran beside pulls, a running pull finishes first (its recovery waits end at once).
      if (pull) await pull;
      return;
    }
    // Pushes wanted now are carried (push.wanted) and drained by the next run.
    if (handedOff) continue;
    // The operator changed settings: that may be the fix, so the drain after a failure need not wait.
    if (backingOff() && (session.settingsChanged || session.requeueRejected)) push.retryAt = null;
    if (session.requeueRejected) {
      session.requeueRejected = false;
      await requeueFailedPushes({ workspaceId: input.workspaceId, crm: input.crm, cause: 'rejected', manual: false });
      push.wanted = true;
    }
    if (!backingOff() && (push.wanted || Date.now() >= nextSweepAt)) {
      if ((await drainWithBackoff(x)) === 'disconnected') {
        if (pull) await pull;
        return;
      }
      nextSweepAt = Date.now() + PUSH_SWEEP_MS;
    }
    if (pull || (!s.manualPullQueued && Date.now() < s.nextPullAt!)) continue;
    const kind: PullKind = s.manualPullQueued ? 'manual' : 'recurring';
    s.manualPullQueued = false;
    startPull(kind);
  }
}

/**
 * A drain that keeps the backoff: one that goes through resets it; one that failed on a cause
 * nothing waits out (drainPush's 'failed') sets when the next may run. Histories recorded before
 * the backoff (patch absent) drained again at once after such a failure, and replay that way.
 */
async function drainWithBackoff(x: Integration): Promise<Drained> {
  const push = x.s.push;
  // The wait, if any, is over (status no longer shows it).
  if (push.retryAt != null) push.retryAt = null;
  const drained = await drainPush(x);
  if (drained === 'drained') {
    if (push.failedDrains) push.failedDrains = 0;
  } else if (drained === 'failed' && patched('push-failure-backoff')) {
    push.failedDrains = (push.failedDrains ?? 0) + 1;
    push.retryAt = Date.now() + pushRetryWaitMs(push.failedDrains);
  }
  return drained;
}

/**
 * The loop before pushes ran beside pulls: kept for the replay of histories that recorded it. It
 * drains again at once after a failed drain (no backoff); a run still in it takes the backoff up at
 * its next continue-as-new.
 */
async function serialSyncLoop(x: Integration): Promise<void> {
  const { input, s, session } = x;
  const push = s.push;
  let nextSweepAt = Date.now() + PUSH_SWEEP_MS;
  for (;;) {
    if (historyIsLong()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof integrationWorkflow>({ ...input, carried: s });
    }
    session.settingsChanged = false;
    const pullFirst = s.nextPullAt! <= nextSweepAt;
    await condition(
      () =>
        s.manualPullQueued ||
        session.disconnectRequested ||
        session.settingsChanged ||
        push.wanted ||
        session.requeueRejected,
      Math.max(0, Math.min(s.nextPullAt!, nextSweepAt) - Date.now()),
      { summary: pullFirst ? 'next pull' : 'push sweep' },
    );
    if (session.disconnectRequested) return;
    if (session.requeueRejected) {
      session.requeueRejected = false;
      await requeueFailedPushes({ workspaceId: input.workspaceId, crm: input.crm, cause: 'rejected', manual: false });
      push.wanted = true;
    }
    if (push.wanted || Date.now() >= nextSweepAt) {
      if ((await drainPush(x)) === 'disconnected') return;
      nextSweepAt = Date.now() + PUSH_SWEEP_MS;
    }
    if (!s.manualPullQueued && Date.now() < s.nextPullAt!) continue;

    const kind: PullKind = s.manualPullQueued ? 'manual' : 'recurring';
    s.manualPullQueued = false;
    const r = await runPull(x, kind);
    if (r === 'disconnected') return;
    // The next run is the loop that pushes beside pulls, and goes on with the pull there.
    if (r === 'handedOff') await continueWithCarriedState(x);
    if (kind === 'recurring') scheduleNextPull(x);
  }
}
