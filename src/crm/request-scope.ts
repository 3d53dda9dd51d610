import { AsyncLocalStorage } from 'node:async_hooks';
import { CrmError } from './errors';

/**
 * What the unit of work making CRM calls (an activity attempt) says about them: `signal` aborts
 * when the attempt is abandoned (cancelled, timed out by the server, the worker shutting down).
 * Carried in async context rather than through every port method, so each adapter's one `call()`
 * sees it whichever activity called (src/activities/heartbeat.ts enters it).
 */
export interface RequestScope {
  signal?: AbortSignal;
}

interface Scope extends RequestScope {
  /** The signal of the one request in flight in this async context: for a client's transport hook. */
  request?: AbortSignal;
}

const scopes = new AsyncLocalStorage<Scope>();

export function withRequestScope<T>(scope: RequestScope, fn: () => Promise<T>): Promise<T> {
  return scopes.run({ ...scope }, fn);
}

/** The abandoning signal of the current unit of work, if any. */
export function scopeSignal(): AbortSignal | undefined {
  return scopes.getStore()?.signal;
}

/** The signal of the request being sent from this async context (see `boundedRequest`). */
export function requestSignal(): AbortSignal | undefined {
  return scopes.getStore()?.request;
}

/** Throws the abandoning reason (a Temporal CancelledFailure in activities) once the work is abandoned. */
export function throwIfAbandoned(): void {
  scopeSignal()?.throwIfAborted();
}

/**
 * One CRM request with a deadline: it ends (rejects) when `timeoutMs` passes without an answer,
 * with a transient CrmError (retried), or as soon as the unit of work is abandoned, with its reason.
 * It never waits for the client to notice: the client gets the request's signal (`requestSignal()`
 * inside `send`, or the argument) to stop the socket where its transport allows, but the promise
 * settles on the abort whether or not it does.
 */
export async function boundedRequest<T>(
  label: string,
  timeoutMs: number,
  send: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const outer = scopeSignal();
  outer?.throwIfAborted();
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new CrmError('transient', `${label} got no answer within ${formatSeconds(timeoutMs)}`, {
          code: 'REQUEST_TIMEOUT',
        }),
      ),
    timeoutMs,
  );
  const onAbandon = () => controller.abort(outer!.reason);
  outer?.addEventListener('abort', onAbandon, { once: true });
  const signal = controller.signal;
  try {
    return await new Promise<T>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      scopes
        .run({ ...scopes.getStore(), request: signal }, () => send(signal))
        .then(resolve, (err: unknown) => reject(signal.aborted ? signal.reason : err));
    });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbandon);
  }
}

/** Waits `ms`, or less if the unit of work is abandoned (then rejects with its reason). */
export function abandonableSleep(ms: number): Promise<void> {
  const outer = scopeSignal();
  return new Promise((resolve, reject) => {
    if (outer?.aborted) return reject(outer.reason);
    const onAbandon = () => {
      clearTimeout(t);
      reject(outer!.reason);
    };
    const t = setTimeout(() => {
      outer?.removeEventListener('abort', onAbandon);
      resolve();
    }, ms);
    outer?.addEventListener('abort', onAbandon, { once: true });
  });
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
