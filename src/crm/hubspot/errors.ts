import { CrmError, networkError, oneLineCause } from '../errors';

/**
 * Turns what @hubspot/api-client throws into a CrmError; never copies request headers (the token).
 * Retried (transient, rateLimited) only for an allow-list of causes: network failures, 429, 5xx and
 * the client's one parse failure that stands for a proxy's error page. Everything else HubSpot said
 * (a 4xx) or that broke on our side (a TypeError, a body that is not JSON) would fail the same way on
 * every attempt, so it is `invalid`: not retried, its cause in the failure message.
 */
export function hubspotError(err: unknown, what: string): CrmError {
  if (err instanceof CrmError) return err;
  const net = networkError(err);
  if (net) return net;
  const e = err as {
    code?: number;
    body?: Record<string, unknown>;
    headers?: Record<string, string>;
    message?: string;
  };
  const status = typeof e?.code === 'number' ? e.code : undefined;
  if (status === undefined) {
    const text = oneLineCause(e?.message ?? String(err));
    // The client throws this, status lost, for a response without a Content-Type: a proxy's or load
    // balancer's error page in front of HubSpot, which passes like the outage behind it.
    if (text === NO_CONTENT_TYPE) return new CrmError('transient', `HubSpot ${what} failed: ${text}`);
    return new CrmError('invalid', `HubSpot ${what} failed: ${text}`);
  }
  const body = (typeof e.body === 'object' && e.body !== null ? e.body : {}) as {
    message?: string;
    category?: string;
    policyName?: string;
    errorType?: string;
    context?: { ids?: unknown };
  };
  const detail = typeof body.message === 'string' ? body.message : 'no message';
  // A batch refused as a whole may say which inputs it refused (context.ids); src/crm/batch-isolation.ts.
  const inputs = Array.isArray(body.context?.ids) ? body.context.ids.map(String) : undefined;
  const message = oneLineCause(
    `HubSpot ${what} failed (${status}${body.category ? ` ${body.category}` : ''}): ${detail}`,
  );
  const code = body.policyName ?? body.category;
  // The daily limit does not free a slot in seconds: retrying (or waiting in the pacer) until it
  // renews would hold activities for hours in silence. A dailyLimit failure pauses visibly instead.
  if (status === 429 && body.policyName === 'DAILY')
    return new CrmError('dailyLimit', `${message} (calls resume once the daily limit renews)`, {
      status,
      code,
      retryAfterMs: dailyRecheckMs(),
    });
  if (status === 429)
    return new CrmError('rateLimited', message, { status, code, retryAfterMs: retryAfter(body.policyName, e.headers) });
  if (TRANSIENT_STATUSES.has(status) || status >= 500) return new CrmError('transient', message, { status, code });
  // A token that works but lacks a scope (e.g. to create properties) is the portal's set-up, not bad
  // credentials: reauthorizing with the same app would meet the same 403 for ever.
  if (status === 403 && body.category === 'MISSING_SCOPES')
    return new CrmError('setup', message, { status, code, scopes: requiredScopes(e.body) });
  if (status === 401 || status === 403) return new CrmError('auth', message, { status, code });
  const refusal = { status, code, crmMessage: detail, ...(inputs ? { inputs } : {}) };
  if (status === 404) return new CrmError('notFound', message, refusal);
  if (status === 409) return new CrmError('conflict', message, refusal);
  return new CrmError('invalid', message, refusal);
}

/**
 * The scopes a MISSING_SCOPES answer names: `errors[].context.requiredGranularScopes` in current
 * answers, `requiredScopes` in older ones.
 */
function requiredScopes(body: unknown): string[] {
  const errors = (body as { errors?: unknown })?.errors;
  if (!Array.isArray(errors)) return [];
  const out = new Set<string>();
  for (const e of errors) {
    const ctx = (e as { context?: Record<string, unknown> })?.context ?? {};
    for (const key of ['requiredGranularScopes', 'requiredScopes'])
      if (Array.isArray(ctx[key])) for (const v of ctx[key] as unknown[]) if (typeof v === 'string') out.add(v);
  }
  return [...out];
}

/** What @hubspot/api-client 13.5 throws when a response has no Content-Type (ObjectSerializer.parse). */
const NO_CONTENT_TYPE = 'Cannot parse content. No Content-Type defined.';
/** Below 500, only a request timeout passes by itself (408); the rest of 4xx is an answer. */
const TRANSIENT_STATUSES = new Set([408]);

/** HubSpot may not send Retry-After; the policy says how long its window is. */
function retryAfter(policy: string | undefined, headers: Record<string, string> | undefined): number {
  const header = headers && Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  if (header && /^\d+$/.test(header)) return Number(header) * 1000;
  if (policy === 'SECONDLY') return 1000;
  const interval =
    headers &&
    Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-hubspot-ratelimit-interval-milliseconds')?.[1];
  return interval ? Number(interval) : 10_000;
}

/**
 * How long a daily-limited connection waits before one call looks again: until the next UTC
 * midnight, at most an hour. HubSpot renews the limit at midnight in the account's time zone, which
 * the API does not tell, so an hourly look finds the renewal within the hour wherever it is.
 */
export function dailyRecheckMs(now = Date.now()): number {
  const d = new Date(now);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  return Math.max(1_000, Math.min(midnight - now, HUBSPOT_DAILY_RECHECK_MS));
}

export const HUBSPOT_DAILY_RECHECK_MS = 60 * 60 * 1000;
