/**
 * One CRM account's rate limit ("at most `max` calls in any `windowMs`"), shared by every worker
 * process: the state lives in one database row per account and bucket, and a worker takes call
 * slots from it in small grants. Pure: the store passes the database's clock as `now`, so workers
 * on different hosts agree on it.
 *
 * A grant is recorded as [at, n]: n calls that all reach the CRM no later than `at` (the grant
 * time plus a short lease in which they must be sent, plus how late one may arrive, lateFor;
 * slots still unused when the lease ends are given back, never sent). A grant frees its slots
 * `windowMs + marginMs` after `at`, so however the worker spread its calls over the lease, the CRM
 * has stopped counting them by then. The price of batching: a slot used at
 * the start of its lease stays taken up to `leaseMs` longer than it needs to, unless the worker's
 * next reservation says when the grant's last call ended (releaseSlots `sentBy`), which a busy
 * worker's does; an idle worker's last grant keeps its lease's cost until it leaves the window.
 */

export interface RateWindow {
  max: number;
  windowMs: number;
}

export interface SharedWindowState extends RateWindow {
  /** [at, n]: n calls sent no later than `at` (epoch ms), oldest first. */
  grants: [number, number][];
  /** After a 429: nothing goes out before this (epoch ms). */
  blockedUntil: number;
}

export interface ReserveOptions {
  /** Covers the gap between when a call is sent and when the CRM counts it. */
  marginMs: number;
}

export interface Reservation {
  state: SharedWindowState;
  /** Slots granted now (0: wait `waitMs` and ask again). */
  granted: number;
  /** The grant's key, and until it is settled the latest its calls are taken to reach the CRM. */
  at: number;
  /** How long the grant's calls may take to go out. */
  leaseMs: number;
  waitMs: number;
}

/** The lease of a grant: short against the window (search's is 1 s), at most half a second. */
export function leaseFor(w: RateWindow): number {
  return Math.max(20, Math.min(500, Math.floor(w.windowMs / 10)));
}

/**
 * How late after its lease a grant's call may still reach the CRM (a busy process, a slow
 * network): a grant nobody settles leaves the window this much after its lease, and the margin,
 * later. A tenth of the window (1 s of HubSpot's 10 s). Settled grants do not pay it.
 */
export function lateFor(w: RateWindow): number {
  return Math.floor(w.windowMs / 10);
}

/** Slots per grant: a tenth of the window at most (so no worker holds it all), at most 10. */
export function grantSizeFor(w: RateWindow): number {
  return Math.max(1, Math.min(10, Math.floor(w.max / 10)));
}

/** Takes up to `want` slots at `now`, or says how long until one frees. */
export function reserveSlots(s: SharedWindowState, want: number, now: number, o: ReserveOptions): Reservation {
  const grants = s.grants.filter(([at]) => at + s.windowMs + o.marginMs > now).sort((a, b) => a[0] - b[0]);
  const state = { ...s, grants };
  const leaseMs = leaseFor(s);
  if (s.blockedUntil > now) return { state, granted: 0, at: 0, leaseMs, waitMs: s.blockedUntil - now };
  let used = grants.reduce((n, [, k]) => n + k, 0);
  const free = s.max - used;
  if (free <= 0) {
    // The next slot frees when enough of the oldest grants have left the window.
    let waitMs = 0;
    for (const [at, k] of grants) {
      used -= k;
      waitMs = at + s.windowMs + o.marginMs - now;
      if (used < s.max) break;
    }
    return { state, granted: 0, at: 0, leaseMs, waitMs: Math.max(1, waitMs) };
  }
  const granted = Math.max(1, Math.min(want, free));
  const at = now + leaseMs + lateFor(s);
  return { state: { ...state, grants: [...grants, [at, granted]] }, granted, at, leaseMs, waitMs: 0 };
}

/**
 * The worker is done with the grant made for `at`: its `unused` slots go back (they were never
 * sent), and when `sentBy` is known (on this clock, no earlier than the CRM counted the grant's
 * last call: when that call ended) the grant leaves the window a window after it, rather than
 * after the end of its lease: sooner for calls that went early (the lease's cost given back to a
 * busy worker), later for one the CRM counted after the lease had ended (a slow network, a busy
 * process).
 */
export function releaseSlots(s: SharedWindowState, at: number, unused: number, sentBy?: number): SharedWindowState {
  const grants = s.grants
    .map(([a, k]): [number, number] => (a === at ? [sentBy ?? a, Math.max(0, k - unused)] : [a, k]))
    .filter(([, k]) => k > 0);
  return { ...s, grants };
}

/** After a 429 with the CRM's retry-after: nothing goes out before `now + retryAfterMs`. */
export function blockFor(s: SharedWindowState, retryAfterMs: number, now: number): SharedWindowState {
  return { ...s, blockedUntil: Math.max(s.blockedUntil, now + retryAfterMs) };
}
