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
    // jsforce retried GETs answering 429 / 5xx five times over ~15 s, out of sight of the rate pacer
    // and of status, and an outage cost 15 s per attempt: those retries are Temporal's now, as on
    // HubSpot (each one an activity attempt, shown when it lasts). A GET whose socket failed (an idle
    // keep-alive connection the server closed: ECONNRESET) is still retried here, twice, at once:
    // failing a whole pull chunk for it would redo pages for nothing.
    return super.httpRequest(req, {
      ...options,
      timeout: this.timeoutMs + 1_000,
      retry: { ...options.retry, statusCodes: [], maxRetries: 2 },
    });
  }
}
