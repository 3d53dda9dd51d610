/**
 * The one error type adapters throw. Activities turn `kind` into Temporal behaviour:
 * rateLimited -> retry after `retryAfterMs`; transient -> retry with backoff; auth -> no retry, the
 * integration waits for re-authorisation; dailyLimit -> the daily API allowance (less its reserve)
 * is spent: the pull pauses for `retryAfterMs` instead of retrying; invalid / conflict / notFound ->
 * per-record, to the error log.
 */
export type CrmErrorKind = 'rateLimited' | 'transient' | 'auth' | 'dailyLimit' | 'invalid' | 'conflict' | 'notFound';

export class CrmError extends Error {
  override readonly name = 'CrmError';
  constructor(
    readonly kind: CrmErrorKind,
    message: string,
    readonly details: { status?: number; code?: string; retryAfterMs?: number } = {},
  ) {
    super(message);
  }

  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }
}

export function isCrmError(err: unknown): err is CrmError {
  return err instanceof CrmError;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/** Errors below HTTP (refused connections, resets) are transient whatever the client wraps them in. */
export function networkError(err: unknown): CrmError | undefined {
  const e = err as { code?: string; cause?: { code?: string }; type?: string; message?: string };
  const code = e?.code ?? e?.cause?.code;
  if ((code && NETWORK_CODES.has(code)) || e?.type === 'system' || e?.type === 'request-timeout') {
    return new CrmError('transient', `network error talking to the CRM: ${code ?? e?.type}`, { code });
  }
  return undefined;
}
