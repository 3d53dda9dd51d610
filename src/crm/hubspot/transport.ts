import http from 'node:http';
import https from 'node:https';
import { requestSignal } from '../request-scope';

/**
 * @hubspot/api-client 13.5 sends through node-fetch with only method, body, headers and `agent`
 * (codegen `http/isomorphic-fetch.ts`): no signal, no timeout. Its documented `httpAgent` option is
 * therefore the one place a request can be stopped without changing the client. This agent keeps
 * connections alive like Node's default one and, for each request it is handed, ties the
 * request's signal (request-scope.ts) to the request: an abort destroys the request and its socket,
 * so an abandoned attempt stops sending and stops reading.
 *
 * (`addRequest` is how Node's ClientRequest hands itself to its agent; agent-base and the proxy
 * agents hook it the same way.)
 */
export function abortableAgent(baseUrl: string): http.Agent {
  const Base: typeof http.Agent = baseUrl.startsWith('http://') ? http.Agent : https.Agent;
  class AbortableAgent extends Base {
    addRequest(req: http.ClientRequest, options: unknown): void {
      const signal = requestSignal();
      if (signal) {
        const abort = () =>
          req.destroy(signal.reason instanceof Error ? signal.reason : new Error('request abandoned'));
        if (signal.aborted) abort();
        else {
          signal.addEventListener('abort', abort, { once: true });
          req.once('close', () => signal.removeEventListener('abort', abort));
        }
      }
      (Base.prototype as unknown as { addRequest(r: http.ClientRequest, o: unknown): void }).addRequest.call(
        this,
        req,
        options,
      );
    }
  }
  return new AbortableAgent({ keepAlive: true });
}
