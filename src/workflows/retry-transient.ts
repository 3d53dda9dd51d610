import { ActivityFailure, TimeoutFailure, patched } from '@temporalio/workflow';
import { FAILURE_TYPE } from '../domain/failure-types';
import type { Retrying } from './contract';
import { failureMessage, failureType } from './failure-type';

/** Attempts the activities that meet CRM and database outages make before the workflow hears of it. */
export const ACTIVITY_ATTEMPTS = 5;

/** Failures that only delay the work: the workflow calls again rather than failing the pull or push. */
const PASSING: readonly string[] = [
  FAILURE_TYPE.CrmTransient,
  FAILURE_TYPE.CrmRateLimited,
  FAILURE_TYPE.StoreUnavailable,
];

/** The waits between the workflow's own calls: 30 s, doubling, at most 5 minutes. */
export function retryWaitMs(round: number): number {
  return Math.min(30_000 * 2 ** (round - 1), 5 * 60_000);
}

/** The failure type an operator is shown: the ApplicationFailure's, or "Timeout" for an activity that timed out. */
export function shownFailureType(err: unknown): string | null {
  const type = failureType(err);
  if (type) return type;
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure ? 'Timeout' : null;
}

/** A failure that only delays the work (an outage, a rate limit, a lost database, a timeout): retryTransient waits it out. */
export function isPassing(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const type = shownFailureType(err);
  return type === 'Timeout' || (type !== null && PASSING.includes(type));
}

export interface RetryHooks {
  /** Shows the retry in status (null: cleared). */
  show(r: Retrying | null): Promise<void> | void;
  /** Waits `ms` before the next call; false: stop retrying (the failure is then thrown). */
  wait(ms: number): Promise<boolean>;
}

/**
 * Calls an activity until it succeeds or fails for a cause that waiting cannot cure. A passing
 * failure (an outage, a rate limit, a lost database, a timeout) that outlasted the activity's own
 * attempts is shown in status with its cause, attempts and since when, waited out on a workflow
 * timer and called again (pulls resume at their cursor in the database, push batches are
 * idempotent); the status entry clears when the call succeeds. Histories recorded before this
 * (patch absent) failed there, and replay that way.
 */
export async function retryTransient<T>(activity: string, call: () => Promise<T>, hooks: RetryHooks): Promise<T> {
  let rounds = 0;
  let since: number | null = null;
  try {
    for (;;) {
      const calledAt = Date.now();
      try {
        return await call();
      } catch (err) {
        if (!isPassing(err) || !patched('retry-transient-in-workflow')) throw err;
        rounds++;
        since ??= calledAt;
        await hooks.show({
          activity,
          cause: failureMessage(err),
          failureType: shownFailureType(err)!,
          attempts: rounds * ACTIVITY_ATTEMPTS,
          since: new Date(since).toISOString(),
        });
        if (!(await hooks.wait(retryWaitMs(rounds)))) throw err;
      }
    }
  } finally {
    if (rounds) await hooks.show(null);
  }
}
