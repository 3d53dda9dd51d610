import { condition, executeChild, patched, workflowInfo } from '@temporalio/workflow';
import { nextSlotAfter, rescheduledPull } from '../../domain/pull-schedule';
import type { IntegrationSettings } from '../../domain/settings';
import type { PullKind } from '../../domain/types';
import { failureMessage } from '../failure-type';
import { pullWorkflow } from '../pull';
import { pullChildInput, pullInSegments } from './pull-segments';
import { shownFailureType } from '../retry-transient';
import { continueWithCarriedState } from './history-limit';
import { recoverFrom } from './recovery';
import { iso, minutes, type Integration } from './state';

/**
 * One pull as child workflows (pull-segments.ts); its totals (counts only) go to status. A pull the
 * previous run handed off (`s.pullHandOff`) goes on here under its own seq, kind and start time.
 * 'handedOff': the pull goes on in the next run, and the caller must continue as new now.
 * Integrations whose history predates segments awaited one child for the whole pull, and replay so.
 */
export async function runPull(
  x: Integration,
  requested: PullKind,
): Promise<'ok' | 'failed' | 'disconnected' | 'handedOff'> {
  const { s, session } = x;
  const resumed = s.pullHandOff ?? undefined;
  if (resumed) delete s.pullHandOff;
  const kind = resumed?.kind ?? requested;
  const seq = resumed?.seq ?? ++s.pullSeq;
  const startedAt = resumed?.startedAt ?? Date.now();
  session.pullInProgress = kind;
  session.progress = resumed ? resumed.progress : kind === 'initial' ? { done: 0, total: null } : session.progress;
  let handedOff = false;
  try {
    const totals =
      resumed || patched('pull-segments')
        ? await pullInSegments(x, seq, kind, startedAt, resumed)
        : await executeChild(pullWorkflow, {
            workflowId: `${workflowInfo().workflowId}/pull-${seq}`,
            args: [pullChildInput(x, kind)],
            staticSummary: `${kind} pull`,
          });
    if (totals === 'handedOff') {
      handedOff = true;
      return 'handedOff';
    }
    s.lastPull = {
      kind,
      startedAt: iso(startedAt)!,
      finishedAt: iso(Date.now()),
      seen: totals.seen,
      created: totals.created,
      updated: totals.updated,
      ownerChanges: totals.ownerChanges,
    };
    s.errors.ownerSync += totals.errors;
    s.potentialDuplicates = totals.potentialDuplicates;
    if (totals.removals) s.removals = totals.removals;
    // Its beginPull opened the reconciliation asked for, and it ran to the end.
    if (kind === 'recurring' && s.reconcileQueued) delete s.reconcileQueued;
    return 'ok';
  } catch (err) {
    s.lastPull = {
      kind,
      startedAt: iso(startedAt)!,
      finishedAt: iso(Date.now()),
      seen: 0,
      created: 0,
      updated: 0,
      ownerChanges: 0,
      failure: failureMessage(err),
      ...(shownFailureType(err) ? { failureType: shownFailureType(err)! } : {}),
    };
    s.errors.failedPulls++;
    return (await recoverFrom(x, err, s.phase)) === 'disconnected' ? 'disconnected' : 'failed';
  } finally {
    // A handed-off pull still runs (status shows it) until this run continues as new.
    if (!handedOff) session.pullInProgress = null;
    session.pause = null;
    // The child's retries end with it, whether it reported so or not.
    for (const key of Object.keys(session.retrying)) if (key.startsWith('pull:')) delete session.retrying[key];
  }
}

/** The initial pull, tried again one interval after a failure (already-written pages are kept). */
export async function initialPull(x: Integration): Promise<'ok' | 'disconnected'> {
  while (!x.s.initialPullDone) {
    x.setPhase('initialPull');
    const r = await runPull(x, 'initial');
    if (r === 'disconnected') return 'disconnected';
    // Nothing else runs during the initial pull (pushes wait for it): the next run goes on with it.
    if (r === 'handedOff') await continueWithCarriedState(x);
    if (r === 'ok') x.s.initialPullDone = true;
    else if (
      await condition(() => x.session.disconnectRequested, minutes(x.s.settings.pullIntervalMinutes), {
        summary: 'retry the initial pull',
      })
    )
      return 'disconnected';
  }
  return 'ok';
}

/** After a recurring pull: the next slot of the fixed cadence. */
export function scheduleNextPull(x: Integration): void {
  x.s.nextPullAt = nextSlotAfter(x.s.nextPullAt!, minutes(x.s.settings.pullIntervalMinutes), Date.now());
}

/**
 * A settings change that moves the pull interval moves the pending pull at once. Integrations whose
 * history predates this keep their pending pull where it was, and replay that way.
 */
export function rescheduleOnIntervalChange(x: Integration, before: IntegrationSettings): void {
  const { s } = x;
  if (s.nextPullAt === null || before.pullIntervalMinutes === s.settings.pullIntervalMinutes) return;
  if (!patched('pull-interval-reschedules')) return;
  s.nextPullAt = rescheduledPull(
    s.nextPullAt,
    minutes(before.pullIntervalMinutes),
    minutes(s.settings.pullIntervalMinutes),
    Date.now(),
  );
}
