import {
  ApplicationFailure,
  ParentClosePolicy,
  condition,
  getExternalWorkflowHandle,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { pullWatchSignal, type PullEnded } from '../contract';
import { pullWorkflow, type PullTotals } from '../pull';
import { continueWithCarriedState, historyIsLong } from './history-limit';
import type { Integration, PullInFlight } from './state';

/**
 * A pull whose child outlives the run that started it. A pull can take hours (a big CRM, a daily
 * allowance spent), and meanwhile the integration's history grows with the pull's progress signals
 * and with the pushes beside it; an awaited child would hold the parent in one run until the pull
 * ends, past Temporal's history limit. So the child is started with the ABANDON close policy (a
 * continue-as-new closes the run, which would otherwise terminate it), the pull is carried as
 * `s.pull`, and the child reports its end to whichever run is current by the `pullEnded` signal.
 */

/**
 * How long a running pull may stay silent (no progress, pause or retry report, counted from the end
 * of a pause it announced) before the integration checks it still runs. A pull reports after every
 * chunk (at most 10 minutes) and every retry round, so a live one is rarely quiet this long.
 */
export const PULL_WATCH_MS = 15 * 60_000;

export function pullChildId(seq: number): string {
  return `${workflowInfo().workflowId}/pull-${seq}`;
}

/**
 * Starts the pull (unless it is the carried one, already running) and waits for its end; continues
 * as new meanwhile when `continueWhenLong` says this caller may (no other work of the run would be
 * cut short). Its totals, or its failure as the error an awaited child would have thrown.
 */
export async function runOutlivingPull(
  x: Integration,
  p: PullInFlight,
  continueWhenLong: boolean,
): Promise<PullTotals> {
  const { input, s } = x;
  // A child this run started: the run hears when it closes (a later run does not).
  const own = { started: false, closed: false };
  if (s.pull !== p) {
    // Carried before the child starts: its pullEnded may come in before the start is confirmed.
    s.pull = p;
    const child = await startChild(pullWorkflow, {
      workflowId: pullChildId(p.seq),
      args: [
        {
          workspaceId: input.workspaceId,
          crm: input.crm,
          connection: s.connection,
          syncUserId: input.syncUserId,
          kind: p.kind,
          fieldMapping: s.settings.fieldMapping,
          direction: s.settings.direction,
          parentId: workflowInfo().workflowId,
          reportEndAs: p.seq,
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `${p.kind} pull`,
    });
    // Its failure is in its pullEnded; here only that it closed counts.
    const closed = () => {
      own.closed = true;
    };
    child.result().then(closed, closed);
    own.started = true;
  }
  const ended = await endOf(x, p, continueWhenLong, own);
  // The child's close follows its report at once: take it in before going on, so this run never
  // completes (disconnect) while that event comes in, which the server would refuse and retry.
  if (own.started) await condition(() => own.closed);
  s.pull = null;
  if (ended.failure) {
    const { message, type, detail } = ended.failure;
    throw ApplicationFailure.create({
      message,
      ...(type ? { type } : {}),
      ...(detail !== undefined ? { details: [detail] } : {}),
      nonRetryable: true,
    });
  }
  return ended.totals!;
}

/**
 * Waits for the pull's `pullEnded`. A child that was terminated, cancelled before it could tell, or
 * timed out sends none. The run that started it may hear it close; a later run cannot, so once the
 * pull has been silent for PULL_WATCH_MS the integration signals it, and a signal that cannot be
 * delivered means it has ended. (A child that did report had its signal
 * recorded here before it closed, so that report is seen first.) A timer that fires after a report
 * came meanwhile just waits on: the reports themselves set no timers, which would double their cost
 * in history.
 */
async function endOf(
  x: Integration,
  p: PullInFlight,
  continueWhenLong: boolean,
  own: { started: boolean; closed: boolean },
): Promise<PullEnded> {
  const lost = (): PullEnded => ({
    seq: p.seq,
    failure: {
      message: `the ${p.kind} pull (workflow ${pullChildId(p.seq)}) ended without reporting how: it was terminated, cancelled or timed out`,
    },
  });
  for (;;) {
    const checkAt = Math.max(p.startedAt, p.heardAt ?? 0) + PULL_WATCH_MS;
    if (Date.now() >= checkAt) {
      try {
        await getExternalWorkflowHandle(pullChildId(p.seq)).signal(pullWatchSignal);
        p.heardAt = Math.max(p.heardAt ?? 0, Date.now());
        continue;
      } catch {
        return p.ended ?? lost();
      }
    }
    const woke = await condition(
      () => p.ended !== undefined || own.closed || (continueWhenLong && historyIsLong()),
      checkAt - Date.now(),
      { summary: `${p.kind} pull running` },
    );
    if (p.ended) return p.ended;
    if (own.closed) return lost();
    if (woke) await continueWithCarriedState(x);
  }
}
