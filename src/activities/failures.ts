import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { FAILURE_TYPE } from '../domain/failure-types';
import { callMissingScope, setupIncompleteMessage, type SetupProblem } from '../domain/crm-setup';
import { isCrmError, oneLineCause } from '../crm/errors';
import { storeOrCodeFailure } from './store-failures';

/**
 * Turns an activity's error into the Temporal failure that makes the right thing happen: a 429
 * retries after the CRM's own delay (nextRetryDelay), a 5xx with backoff, bad credentials not at
 * all. Every failure's message is its cause in one line, without credentials (oneLineCause), as
 * the workflow shows it in `status`. Only the causes named retryable are retried: an error nobody
 * classified fails visibly rather than being retried for ever (store-failures.ts).
 */
export function toActivityFailure(err: unknown): unknown {
  // Ours already (SyncUserUnknown), or Temporal's own (a cancellation): as they are.
  if (err instanceof TemporalFailure) return err;
  if (!isCrmError(err)) return storeOrCodeFailure(err);
  const message = oneLineCause(err.message);
  switch (err.kind) {
    case 'rateLimited':
      return ApplicationFailure.create({
        type: FAILURE_TYPE.CrmRateLimited,
        message,
        nextRetryDelay: err.retryAfterMs ?? 10_000,
      });
    case 'transient':
      return ApplicationFailure.retryable(message, FAILURE_TYPE.CrmTransient);
    case 'auth':
      return ApplicationFailure.nonRetryable(message, FAILURE_TYPE.CrmAuth);
    case 'dailyLimit':
      // Not retried by the activity: the pull workflow pauses on a timer, visible in `status`.
      return ApplicationFailure.create({
        type: FAILURE_TYPE.CrmDailyLimit,
        message,
        nonRetryable: true,
        details: [{ retryAfterMs: err.retryAfterMs ?? 3_600_000 }],
      });
    case 'setup':
      return setupIncomplete([callMissingScope(message, err.details.scopes ?? [])]);
    default:
      return ApplicationFailure.nonRetryable(message, FAILURE_TYPE.CrmInvalid);
  }
}

/** Not retried: pushes wait with their rows kept, and `status.setup` lists the problems. */
export function setupIncomplete(problems: SetupProblem[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPE.CrmSetupIncomplete,
    message: oneLineCause(setupIncompleteMessage(problems)),
    nonRetryable: true,
    details: [{ problems }],
  });
}

export async function asActivity<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
