import { Context } from '@temporalio/activity';
import { withRequestScope } from '../crm/request-scope';
import { asActivity } from './failures';

/** Sends a heartbeat now with these details; the timer repeats the last ones given. */
export type Beat = (details?: unknown) => void;

/** Never less often than this, even with a long (or no) heartbeat timeout. */
const MAX_INTERVAL_MS = 5_000;

/** A third of the heartbeat timeout: two beats may be lost before the server gives up on the attempt. */
export function heartbeatIntervalMs(heartbeatTimeoutMs: number | undefined): number {
  if (!heartbeatTimeoutMs) return MAX_INTERVAL_MS;
  return Math.max(50, Math.min(MAX_INTERVAL_MS, Math.floor(heartbeatTimeoutMs / 3)));
}

/**
 * Runs an activity body with heartbeats on a timer for as long as it runs: while a CRM request is
 * in flight (a Salesforce query may take two minutes before QUERY_TIMEOUT), while it waits for a
 * slot of the rate pacer, while a database write waits for its turn. Heartbeats between calls alone
 * let the server time such an attempt out and start a second one beside it.
 *
 * The body's CRM calls run in the attempt's request scope (src/crm/request-scope.ts): each has a
 * deadline, and once the attempt is abandoned (cancelled, timed out by the server, the worker
 * shutting down; Temporal only tells an activity that heartbeats) its waiting and in-flight calls end
 * with the cancellation and it sends nothing more.
 */
export async function whileHeartbeating<T>(fn: (beat: Beat) => Promise<T>): Promise<T> {
  const ctx = activityContext();
  // Called directly, outside an activity (a script, a test): nothing to heartbeat to.
  if (!ctx) return fn(() => undefined);
  let last: unknown;
  const beat: Beat = (details) => {
    last = details;
    ctx.heartbeat(details);
  };
  const timer = setInterval(() => ctx.heartbeat(last), heartbeatIntervalMs(ctx.info.heartbeatTimeoutMs));
  try {
    return await withRequestScope({ signal: ctx.cancellationSignal }, () => fn(beat));
  } finally {
    clearInterval(timer);
  }
}

/** `asActivity` (errors to Temporal failures) with heartbeats on a timer and the request scope. */
export function heartbeatingActivity<T>(fn: (beat: Beat) => Promise<T>): Promise<T> {
  return whileHeartbeating((beat) => asActivity(() => fn(beat)));
}

/** Throws the cancellation once the attempt is abandoned: call before each database write. */
export function stopIfAbandoned(): void {
  activityContext()?.cancellationSignal.throwIfAborted();
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
