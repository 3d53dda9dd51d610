import { CrmError, networkError } from '../errors';

/** Turns what @hubspot/api-client throws into a CrmError; never copies request headers (the token). */
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
    // e.g. "Cannot parse content. No Content-Type defined." from a proxy's HTML error page.
    return new CrmError('transient', `HubSpot ${what} failed: ${oneLine(e?.message ?? String(err))}`);
  }
  const body = (e.body ?? {}) as { message?: string; category?: string; policyName?: string; errorType?: string };
  const message = `HubSpot ${what} failed (${status}${body.category ? ` ${body.category}` : ''}): ${oneLine(body.message ?? 'no message')}`;
  const code = body.policyName ?? body.category;
  if (status === 429)
    return new CrmError('rateLimited', message, { status, code, retryAfterMs: retryAfter(body.policyName, e.headers) });
  if (status === 401 || status === 403) return new CrmError('auth', message, { status, code });
  if (status === 404) return new CrmError('notFound', message, { status, code });
  if (status === 409) return new CrmError('conflict', message, { status, code });
  if (status >= 500) return new CrmError('transient', message, { status, code });
  return new CrmError('invalid', message, { status, code });
}

/** HubSpot may not send Retry-After; the policy says how long its window is. */
function retryAfter(policy: string | undefined, headers: Record<string, string> | undefined): number {
  const header = headers && Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  if (header && /^\d+$/.test(header)) return Number(header) * 1000;
  if (policy === 'SECONDLY') return 1000;
  if (policy === 'DAILY') {
    const now = new Date();
    return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime();
  }
  const interval =
    headers &&
    Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-hubspot-ratelimit-interval-milliseconds')?.[1];
  return interval ? Number(interval) : 10_000;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').slice(0, 500);
}
