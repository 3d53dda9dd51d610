/**
 * The one error type adapters throw. Activities turn `kind` into Temporal behaviour:
 * rateLimited -> retry after `retryAfterMs`; transient -> retry with backoff; auth -> no retry, the
 * integration waits for re-authorisation; dailyLimit -> the daily API allowance (less its reserve)
 * is spent: the pull pauses for `retryAfterMs` instead of retrying; setup -> the CRM account lacks
 * something the call needs that only its administrator can give (a HubSpot scope): not the
 * credentials' fault, so no reauthorization, and not retried; invalid / conflict / notFound ->
 * per-record, to the error log.
 */
export type CrmErrorKind =
  'rateLimited' | 'transient' | 'auth' | 'dailyLimit' | 'setup' | 'invalid' | 'conflict' | 'notFound';

export class CrmError extends Error {
  override readonly name = 'CrmError';
  constructor(
    readonly kind: CrmErrorKind,
    message: string,
    readonly details: {
      status?: number;
      code?: string;
      retryAfterMs?: number;
      /** A whole call's refusal in the CRM's own words (no prefix), for the record it is pinned on. */
      crmMessage?: string;
      /** The inputs (ids or keys) a whole call's refusal names, when the CRM says which. */
      inputs?: string[];
      /** For `setup`: the scopes the CRM said the call needs. */
      scopes?: string[];
    } = {},
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

/**
 * Failures below HTTP that a later attempt can get past: connections refused, reset, timed out,
 * names that did not resolve (node-fetch, which both CRM clients use, and undici / pg spellings).
 */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
/** node-fetch's FetchError types for a failed connection or a response that stopped arriving. */
const NETWORK_TYPES = new Set(['system', 'request-timeout', 'body-timeout']);

/** Errors below HTTP (refused connections, resets) are transient whatever the client wraps them in. */
export function networkError(err: unknown): CrmError | undefined {
  const e = err as { code?: string; cause?: { code?: string }; type?: string; message?: string };
  const code = e?.code ?? e?.cause?.code;
  if ((typeof code === 'string' && NETWORK_CODES.has(code)) || (e?.type !== undefined && NETWORK_TYPES.has(e.type))) {
    // The code, never the message: node-fetch's names the URL, and Salesforce's identity URL carries the token.
    return new CrmError('transient', `network error talking to the CRM: ${code ?? e?.type}`, { code });
  }
  return undefined;
}

/**
 * A cause as one line an operator can read in `status`: whitespace collapsed, at most 500
 * characters, and anything shaped like a credential blanked out (a bearer token, a token in a
 * query string), in case a CRM or a library echoes a request into its message.
 */
export function oneLineCause(s: string): string {
  const line = s
    .replace(/\bBearer\s+[^\s"',;]+/gi, 'Bearer [redacted]')
    .replace(/([?&](?:oauth_token|access_token|refresh_token|token|hapikey|client_secret)=)[^&\s"']+/gi, '$1[redacted]')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > 500 ? `${line.slice(0, 499)}\u2026` : line;
}
