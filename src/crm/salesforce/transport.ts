import { Transport } from 'jsforce/lib/transport';
import type { HttpRequest, HttpRequestOptions } from 'jsforce/lib/types';

/**
 * jsforce 3 has no per-call signal; every request of a Connection goes through its transport
 * (`Connection._transport`, which HttpApi uses), whose options take a `timeout` that jsforce turns
 * into an abort of the fetch (request.ts `executeWithTimeout`). This transport gives every request
 * one, so a hung request is stopped at the socket by jsforce itself, retries of GETs included. It is
 * a little longer than the adapter's own deadline (request-scope.ts), which settles the call first
 * with a clear error; the adapter also stops waiting at once when the attempt is abandoned.
 */
export class DeadlineTransport extends Transport {
  constructor(private readonly timeoutMs: number) {
    super();
  }

  override httpRequest(req: HttpRequest, options: HttpRequestOptions = {}) {
    return super.httpRequest(req, { ...options, timeout: this.timeoutMs + 1_000 });
  }
}
