import { allHandlersFinished, condition, continueAsNew, patched } from '@temporalio/workflow';
import type { PullKind } from '../../domain/types';
import { requeueFailedPushes } from './activity-proxies';
import { runPull, scheduleNextPull } from './pull-schedule';
import { historyIsLong } from './history-limit';
import { drainPush } from './push-drain';
import type { Integration } from './state';
import type { integrationWorkflow } from './index';

/** The outbox is swept this often even without a signal: lost signals, transient-failure retries. */
export const PUSH_SWEEP_MS = 5 * 60_000;

/**
 * Syncing, forever: a pull every interval (or now, when asked), and pushes as soon as the workspace
 * writes, also while a pull runs: a user's edit must not wait for a bulk pull's pages. Returns only
 * when the integration is disconnected; continues as new when history is long, between pulls.
 * Integrations whose history predates concurrent pushes replay the loop that awaited each pull.
 */
export async function syncLoop(x: Integration): Promise<void> {
  if (!patched('push-beside-pull')) return serialSyncLoop(x);
  const { input, s, session } = x;
  const push = s.push;
  let nextSweepAt = Date.now() + PUSH_SWEEP_MS;
  let pull: Promise<void> | null = null;
  let pullEnded = false;
  let disconnected = false;
  const startPull = (kind: PullKind) => {
    pull = (async () => {
      if ((await runPull(x, kind)) === 'disconnected') disconnected = true;
      else if (kind === 'recurring') scheduleNextPull(x);
      pull = null;
      pullEnded = true;
    })();
  };
  for (;;) {
    if (!pull && historyIsLong()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof integrationWorkflow>({ ...input, carried: s });
    }
    session.settingsChanged = false;
    const woken = () =>
      (s.manualPullQueued && !pull) ||
      session.disconnectRequested ||
      session.settingsChanged ||
      push.wanted ||
      session.requeueRejected ||
      pullEnded ||
      disconnected;
    if (pull) {
      // No sweep timer while a pull runs: signals still wake the drain, and the sweep (lost signals,
      // retry backoffs) comes when the pull ends, as it did when pushes waited for pulls.
      await condition(woken);
    } else {
      const until = Math.min(s.nextPullAt!, nextSweepAt);
      await condition(woken, Math.max(0, until - Date.now()), {
        summary: until === s.nextPullAt ? 'next pull' : 'push sweep',
      });
    }
    pullEnded = false;
    if (session.disconnectRequested || disconnected) {
      // As before pushes ran beside pulls, a running pull finishes first (its recovery waits end at once).
      if (pull) await pull;
      return;
    }
    if (session.requeueRejected) {
      session.requeueRejected = false;
      await requeueFailedPushes({ workspaceId: input.workspaceId, crm: input.crm, cause: 'rejected', manual: false });
      push.wanted = true;
    }
    if (push.wanted || Date.now() >= nextSweepAt) {
      if ((await drainPush(x)) === 'disconnected') {
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

/** The loop before pushes ran beside pulls: kept for the replay of histories that recorded it. */
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
    if ((await runPull(x, kind)) === 'disconnected') return;
    if (kind === 'recurring') scheduleNextPull(x);
  }
}
