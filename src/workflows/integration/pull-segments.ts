import { condition, executeChild, workflowInfo } from '@temporalio/workflow';
import type { PullKind } from '../../domain/types';
import { pullWorkflow, type PullCursors, type PullTotals, type PullPause, type PullWorkflowInput } from '../pull';
import { historyIsLong } from './history-limit';
import { iso, type Integration } from './state';

/**
 * A pull that the integration hands to its next run: everything that run needs to go on with it
 * (cursors and counts, never records). Carried in `s.pullHandOff` across continue-as-new.
 */
export interface PullHandOff {
  seq: number;
  kind: PullKind;
  /** When the pull began (epoch ms), for `lastPull.startedAt`. */
  startedAt: number;
  /** Segments already run: the next one's child is `<integration>/pull-<seq>.<segment + 1>`. */
  segments: number;
  progress: { done: number; total: number | null } | null;
  cursors: PullCursors;
  /** The daily allowance is spent: the next segment starts then. */
  pause?: PullPause;
}

/**
 * Runs one pull as a chain of child workflows of at most MAX_CHUNKS_PER_EXECUTION chunks each.
 * A child awaited with executeChild ties the integration to its run: the integration cannot
 * continue as new while it waits, and meanwhile the child's progress signals and the pushes beside
 * the pull grow its history with no bound (a bulk push during a day-long pull would reach Temporal's
 * 51,200-event limit). Between two segments no child runs, so when the history is long there the
 * pull is written to `s.pullHandOff` and 'handedOff' returned: the caller continues as new, and the
 * next run goes on from the same cursors (beginPull is not called again, nothing is pulled twice).
 * A segment that meets the spent daily allowance returns at once with its cursors and the pause: the
 * wait (hours, perhaps, while the workspace's writes keep signalling) is here, where the history is
 * watched, and not in a child that would keep the integration from continuing as new.
 *
 * Each segment has its own child id (the first keeps the id older pulls had): a new child under the
 * id of one that has just completed is a reuse the UI shows as one workflow with two runs.
 */
export async function pullInSegments(
  x: Integration,
  seq: number,
  kind: PullKind,
  startedAt: number,
  resumed: PullHandOff | undefined,
): Promise<PullTotals | 'handedOff'> {
  const { s, session } = x;
  let cursors = resumed?.cursors;
  let segments = resumed?.segments ?? 0;
  let pause = resumed?.pause;
  // A disconnect lets the pull finish, as it always has: it is not handed to a run that would end.
  const mayHandOff = () => historyIsLong() && !session.disconnectRequested;
  const handOff = (c: PullCursors): 'handedOff' => {
    s.pullHandOff = {
      seq,
      kind,
      startedAt,
      segments,
      progress: session.progress,
      cursors: c,
      ...(pause ? { pause } : {}),
    };
    return 'handedOff';
  };
  for (;;) {
    if (pause && cursors) {
      // The segment stopped on the spent daily allowance; the wait is here, where history is watched.
      session.pause = { until: iso(pause.untilMs)!, reason: pause.reason };
      if (
        await condition(mayHandOff, Math.max(0, pause.untilMs - Date.now()), {
          summary: 'wait for the daily API allowance',
        })
      )
        return handOff(cursors);
      session.pause = null;
      pause = undefined;
    }
    const id = `${workflowInfo().workflowId}/pull-${seq}${segments === 0 ? '' : `.${segments + 1}`}`;
    const totals = await executeChild(pullWorkflow, {
      workflowId: id,
      args: [{ ...pullChildInput(x, kind), handBack: true, ...(cursors ? { carried: cursors } : {}) }],
      staticSummary: segments === 0 ? `${kind} pull` : `${kind} pull, segment ${segments + 1}`,
    });
    segments++;
    if (!totals.resume) return totals;
    cursors = totals.resume;
    pause = totals.pause;
    if (!pause && mayHandOff()) return handOff(cursors);
  }
}

/** What every pull child starts with: the integration's CRM, connection and sync rules of now. */
export function pullChildInput({ input, s }: Integration, kind: PullKind): PullWorkflowInput {
  return {
    workspaceId: input.workspaceId,
    crm: input.crm,
    connection: s.connection,
    syncUserId: input.syncUserId,
    kind,
    fieldMapping: s.settings.fieldMapping,
    direction: s.settings.direction,
    ...(s.settings.deletion || s.settings.merge
      ? { removal: { deletion: s.settings.deletion, merge: s.settings.merge } }
      : {}),
    ...(kind === 'recurring' && s.reconcileQueued ? { reconcile: true } : {}),
    parentId: workflowInfo().workflowId,
  };
}
