import { CrmError, networkError, oneLineCause, type CrmErrorKind } from '../errors';

/**
 * Turns what jsforce throws into a CrmError. jsforce names its errors after Salesforce's errorCode
 * (wire facts B0); its messages carry Salesforce's text, never the request (so never the token).
 *
 * An allow-list, not a default: only the codes below are retried. Salesforce has hundreds of codes
 * and an unknown one is far more often a standing refusal (a disabled API, an expired password)
 * than an outage, and a standing refusal retried in silence is a pull that never ends. So anything
 * not named here is `invalid`: not retried, its code and Salesforce's message in the failure.
 */
export function salesforceError(err: unknown, what: string): CrmError {
  if (err instanceof CrmError) return err;
  const net = networkError(err);
  if (net) return net;
  const e = err as { name?: string; errorCode?: string; message?: string };
  const code = e?.errorCode ?? e?.name ?? 'UNKNOWN';
  const text = oneLineCause(e?.message ?? String(err));
  const message = oneLineCause(`Salesforce ${what} failed (${code}): ${text}`);
  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    // ConcurrentRequests clears in seconds; TotalRequests (the daily allowance) does not.
    if (/concurrent/i.test(text)) return new CrmError('rateLimited', message, { code, retryAfterMs: 20_000 });
    return new CrmError('dailyLimit', message, { code, retryAfterMs: DAILY_LIMIT_RECHECK_MS });
  }
  const kind = salesforceErrorKind(code);
  const hint = kind === 'auth' ? ACCOUNT_HINT[code] : undefined;
  // A collection refused for one malformed Id names it ("Contact ID: id value of incorrect type: X"),
  // so src/crm/batch-isolation.ts refuses that record alone without halving.
  const malformed = code === 'MALFORMED_ID' ? /id value of incorrect type: (\S+)$/.exec(text)?.[1] : undefined;
  return new CrmError(kind, hint ? `${message} (${hint})` : message, {
    code,
    crmMessage: text,
    ...(malformed ? { inputs: [malformed] } : {}),
  });
}

/** The kind of a whole-call Salesforce error code (REQUEST_LIMIT_EXCEEDED aside, which needs its message). */
export function salesforceErrorKind(code: string): CrmErrorKind {
  if (TRANSIENT.has(code)) return 'transient';
  // jsforce's name for an error response whose body it could not read: only the status is known.
  const http = /^ERROR_HTTP_(\d{3})$/.exec(code);
  if (http) {
    const status = Number(http[1]);
    if (status === 420 || status === 429) return 'rateLimited';
    if (status >= 500 || status === 408) return 'transient';
    if (status === 401 || status === 403) return 'auth';
    if (status === 404) return 'notFound';
    return 'invalid';
  }
  if (AUTH.has(code)) return 'auth';
  if (code === 'NOT_FOUND' || code === 'ENTITY_IS_DELETED') return 'notFound';
  return 'invalid';
}

/** Causes that pass by themselves, so a later attempt of the same call can succeed. */
const TRANSIENT = new Set([
  // 503: the instance is down or being upgraded.
  'SERVER_UNAVAILABLE',
  // Another transaction holds the row; Salesforce's own advice is to retry.
  'UNABLE_TO_LOCK_ROW',
  // A query that slicing could not shrink enough (the adapter splits time ranges on it first).
  'QUERY_TIMEOUT',
  'REQUEST_RUNNING_TOO_LONG',
  // A queryMore locator expired outside the pull's own recovery: a retry starts the query again.
  'INVALID_QUERY_LOCATOR',
  // Salesforce's 500, "An unexpected error occurred": an internal fault on its side.
  'UNKNOWN_EXCEPTION',
]);

/**
 * The connection is refused for what its user or org is, not for this call: nothing retries past it,
 * and the fix is the customer's (new credentials, a changed password, API access switched on), after
 * which `reauthorize` verifies again. So they are `auth`: the integration waits in needsReauth with
 * the reason shown, instead of retrying.
 */
const AUTH = new Set([
  'INVALID_SESSION_ID',
  'INVALID_AUTH_HEADER',
  'INSUFFICIENT_ACCESS',
  'API_DISABLED_FOR_ORG',
  'API_CURRENTLY_DISABLED',
  'INVALID_OPERATION_WITH_EXPIRED_PASSWORD',
  // The token endpoint's refusals of a session refresh (jsforce names the error after `error`).
  'invalid_grant',
  'invalid_client_id',
  'invalid_client',
  'unsupported_grant_type',
  'inactive_user',
  'inactive_org',
]);

/** What the customer has to do, for the account refusals whose Salesforce text does not say it. */
const ACCOUNT_HINT: Record<string, string> = {
  API_DISABLED_FOR_ORG:
    'the org\'s edition or the sync user\'s profile has no API access: enable "API Enabled", then reauthorize',
  API_CURRENTLY_DISABLED: 'API access is switched off for this org or user: switch it on, then reauthorize',
  INVALID_OPERATION_WITH_EXPIRED_PASSWORD:
    "the sync user's Salesforce password has expired: set a new one, then reauthorize",
  invalid_grant:
    'the refresh token was revoked or has expired: authorize the connected app again, put the new refresh token in the connections file, then reauthorize',
  invalid_client_id: "the connections file's clientId is not a connected app of this org: correct it, then reauthorize",
  invalid_client: "the connections file's clientSecret does not match the connected app: correct it, then reauthorize",
};

/** Salesforce's allowance is a rolling 24 hours; how long a paused pull waits before it looks again. */
export const DAILY_LIMIT_RECHECK_MS = 60 * 60 * 1000;
