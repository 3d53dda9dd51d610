import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPE } from '../domain/failure-types';
import { isCrmError } from '../crm/errors';

/**
 * Turns an adapter error into the Temporal failure that makes the right thing happen: a 429 retries
 * after the CRM's own delay (nextRetryDelay), a 5xx with backoff, bad credentials not at all.
 * Messages come from CrmError, which never includes credentials.
 */
export function toActivityFailure(err: unknown): unknown {
  if (!isCrmError(err)) return err;
  switch (err.kind) {
    case 'rateLimited':
      return ApplicationFailure.create({
        type: FAILURE_TYPE.CrmRateLimited,
        message: err.message,
        nextRetryDelay: err.retryAfterMs ?? 10_000,
      });
    case 'transient':
      return ApplicationFailure.retryable(err.message, FAILURE_TYPE.CrmTransient);
    case 'auth':
      return ApplicationFailure.nonRetryable(err.message, FAILURE_TYPE.CrmAuth);
    case 'dailyLimit':
      // Not retried by the activity: the pull workflow pauses on a timer, visible in `status`.
      return ApplicationFailure.create({
        type: FAILURE_TYPE.CrmDailyLimit,
        message: err.message,
        nonRetryable: true,
        details: [{ retryAfterMs: err.retryAfterMs ?? 3_600_000 }],
      });
    default:
      return ApplicationFailure.nonRetryable(err.message, FAILURE_TYPE.CrmInvalid);
  }
}

export async function asActivity<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
