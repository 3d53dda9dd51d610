import type { IntegrationStatus, Retrying } from '../contract';
import { iso, type Integration } from './state';

/** The `status` query's answer, from the carried state and what this execution knows. */
export function statusOf({ input, s, session }: Integration): IntegrationStatus {
  const { push, progress, pause } = { push: s.push, progress: session.progress, pause: session.pause };
  return {
    workspaceId: input.workspaceId,
    crm: input.crm,
    phase: s.phase,
    connectedAt: iso(s.connectedAt),
    windowEndsAt: iso(s.windowEndsAt),
    initialPull: s.initialPullDone
      ? { done: progress?.done ?? 0, total: progress?.total ?? null, finished: true }
      : progress
        ? { ...progress, finished: false }
        : null,
    pullInProgress: session.pullInProgress,
    lastPull: s.lastPull,
    nextPullAt: s.phase === 'syncing' ? iso(s.nextPullAt) : null,
    manualPushAvailable: s.initialPullDone && s.phase === 'syncing',
    needsReauthReason: session.needsReauthReason,
    pausedUntil: pause?.until ?? null,
    pauseReason: pause?.reason ?? null,
    retrying: longestRetry(Object.values(session.retrying)),
    potentialDuplicates: s.potentialDuplicates ?? 0,
    errors: s.errors,
    setup: s.setup ?? [],
    removals: s.removals ?? { deleted: 0, unlinked: 0, merged: 0 },
    setupCreated: s.setupCreated ?? [],
    lastIgnoredSignal: session.lastIgnoredSignal,
    ignoredSignals: s.ignoredSignals ?? 0,
    push: {
      pushing: session.pushing,
      due: push.due,
      deferred: push.deferred,
      lastBatchAt: iso(push.lastBatchAt),
      totals: push.totals,
      failure: push.failure,
      failureType: push.failureType ?? null,
      nextAttemptAt: iso(push.retryAt ?? null),
    },
  };
}

/** Of the activities retried at once (a pull's, each push lane's), the one failing the longest. */
function longestRetry(all: Retrying[]): Retrying | null {
  return all.reduce<Retrying | null>((a, b) => (a === null || Date.parse(b.since) < Date.parse(a.since) ? b : a), null);
}
