import { CrmError, networkError } from '../errors';

/**
 * Turns what jsforce throws into a CrmError. jsforce names its errors after Salesforce's errorCode
 * (wire facts B0); its messages carry Salesforce's text, never the request (so never the token).
 */
export function salesforceError(err: unknown, what: string): CrmError {
  if (err instanceof CrmError) return err;
  const net = networkError(err);
  if (net) return net;
  const e = err as { name?: string; errorCode?: string; message?: string };
  const code = e?.errorCode ?? e?.name ?? 'UNKNOWN';
  const message = `Salesforce ${what} failed (${code}): ${oneLine(e?.message ?? String(err))}`;
  switch (code) {
    case 'INVALID_SESSION_ID':
    case 'INVALID_AUTH_HEADER':
    case 'INSUFFICIENT_ACCESS':
      return new CrmError('auth', message, { code });
    case 'REQUEST_LIMIT_EXCEEDED':
      // ConcurrentRequests clears in seconds; TotalRequests (the daily allowance) does not.
      if (/concurrent/i.test(e?.message ?? ''))
        return new CrmError('rateLimited', message, { code, retryAfterMs: 20_000 });
      return new CrmError('dailyLimit', message, { code, retryAfterMs: DAILY_LIMIT_RECHECK_MS });
    case 'MALFORMED_QUERY':
    case 'INVALID_FIELD':
    case 'INVALID_TYPE':
    case 'INVALID_QUERY_FILTER_OPERATOR':
      return new CrmError('invalid', message, { code });
    case 'NOT_FOUND':
    case 'ENTITY_IS_DELETED':
      return new CrmError('notFound', message, { code });
    default:
      // SERVER_UNAVAILABLE, UNABLE_TO_LOCK_ROW, QUERY_TIMEOUT that slicing could not avoid, ERROR_HTTP_5xx.
      return new CrmError('transient', message, { code });
  }
}

/** Salesforce's allowance is a rolling 24 hours; how long a paused pull waits before it looks again. */
export const DAILY_LIMIT_RECHECK_MS = 60 * 60 * 1000;

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 500);
}
