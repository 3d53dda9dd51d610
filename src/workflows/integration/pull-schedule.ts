import { condition, executeChild, patched, workflowInfo } from '@temporalio/workflow';
import { nextSlotAfter, rescheduledPull } from '../../domain/pull-schedule';
import type { IntegrationSettings } from '../../domain/settings';
import type { PullKind } from '../../domain/types';
import { failureMessage } from '../failure-type';
import { pullWorkflow } from '../pull';
import { shownFailureType } from '../retry-transient';
import { recoverFrom } from './recovery';
import { iso, minutes, type Integration } from './state';

/** One pull as a child workflow; its totals (counts only) go to status. */
export async function runPull(x: Integration, kind: PullKind): Promise<'ok' | 'failed' | 'disconnected'> {
  const { input, s, session } = x;
  const seq = ++s.pullSeq;
  const startedAt = Date.now();
  session.pullInProgress = kind;
  session.progress = kind === 'initial' ? { done: 0, total: null } : session.progress;
  try {
    const totals = await executeChild(pullWorkflow, {
      workflowId: `${workflowInfo().workflowId}/pull-${seq}`,
      args: [
        {
          workspaceId: input.workspaceId,
          crm: input.crm,
          connection: s.connection,
          syncUserId: input.syncUserId,
          kind,
          fieldMapping: s.settings.fieldMapping,
          direction: s.settings.direction,
          parentId: workflowInfo().workflowId,
        },
      ],
      staticSummary: `${kind} pull`,
    });
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
    session.pullInProgress = null;
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
