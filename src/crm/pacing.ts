/**
 * Who a request is for. A push carries a user's edit and is a few calls; a pull pages through the
 * whole CRM. Both spend the same rate budget, so a push takes the next free slot before any pull.
 */
export type PacePriority = 'push' | 'pull';

/** Time and timers, injectable so the pacer can be tested on a clock the test moves. */
export interface PacerClock {
  now(): number;
  /** Calls `fn` after `ms`; the result cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: PacerClock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

interface Waiter {
  grant: () => void;
  refuse: (reason: unknown) => void;
  since: number;
}

/**
 * Client-side pacing for a rolling-window rate limit ("at most `max` requests in any `windowMs`").
 * Requests wait for a slot here instead of bouncing off 429s. The margin covers the gap between
 * when we send and when the CRM counts the request. One pacer per connection per process.
 *
 * Waiting requests queue by priority: every free slot goes to the oldest waiting push, and to the
 * oldest waiting pull only when no push waits. Pushes are few, so pulls are not starved in practice.
 */
export class RollingWindowPacer {
  private stamps: number[] = [];
  private blockedUntil = 0;
  /** While set (until `until`), every request is refused at once with `cause` instead of waiting. */
  private suspended: { until: number; cause: (remainingMs: number) => Error } | null = null;
  private readonly queues: Record<PacePriority, Waiter[]> = { push: [], pull: [] };
  /** Cancels the timer set for the next free slot, while one is set. */
  private cancelTimer: (() => void) | null = null;
  /** How long requests waited for a slot, in total: for the bench and logs. */
  waitedMs = 0;

  constructor(
    private max: number,
    private windowMs: number,
    private readonly marginMs = 150,
    private readonly clock: PacerClock = systemClock,
  ) {}

  get limit(): { max: number; windowMs: number } {
    return { max: this.max, windowMs: this.windowMs };
  }

  /** Requests waiting for a slot, by priority. */
  get waiting(): Record<PacePriority, number> {
    return { push: this.queues.push.length, pull: this.queues.pull.length };
  }

  /** Adopts the limit the CRM announces in its response headers. */
  learn(max: number, windowMs: number): void {
    if (max > 0 && windowMs > 0 && (max !== this.max || windowMs !== this.windowMs)) {
      this.max = max;
      this.windowMs = windowMs;
      // A higher limit may free a slot before the timer that is set.
      this.reschedule();
    }
  }

  /** After a 429 despite pacing: nothing goes out before `ms` from now. */
  backOff(ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.clock.now() + ms);
    this.reschedule();
  }

  /**
   * A limit that will not free a slot for hours (HubSpot's daily one): until `untilMs`, requests
   * are refused at once with `cause(time left)`, and those already waiting now, rather than parked
   * in silence until the limit renews. The caller's failure shows the cause; a later call after
   * `untilMs` finds out whether the limit has renewed.
   */
  suspend(untilMs: number, cause: (remainingMs: number) => Error): void {
    const now = this.clock.now();
    if (untilMs <= now) return;
    this.suspended = { until: untilMs, cause };
    for (const queue of Object.values(this.queues)) for (const w of queue.splice(0)) w.refuse(cause(untilMs - now));
  }

  /** Why requests are refused now, if the pacer is suspended. */
  get suspendedBy(): Error | null {
    const now = this.clock.now();
    if (this.suspended && this.suspended.until <= now) this.suspended = null;
    return this.suspended ? this.suspended.cause(this.suspended.until - now) : null;
  }

  /**
   * Resolves when one more request may be sent: pushes before pulls, in order within each. With a
   * `signal`, an abort takes the request out of the queue (it uses no slot) and rejects with the
   * signal's reason; a suspended pacer rejects with its cause.
   */
  acquire(priority: PacePriority = 'pull', signal?: AbortSignal): Promise<void> {
    return new Promise((grant, refuse) => {
      if (signal?.aborted) return refuse(signal.reason);
      const suspended = this.suspendedBy;
      if (suspended) return refuse(suspended);
      const queue = this.queues[priority];
      const onAbort = () => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        refuse(signal!.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          grant();
        },
        refuse: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          refuse(reason);
        },
        since: this.clock.now(),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      // With a timer set, the slot it waits for goes to whoever is first when it fires.
      if (!this.cancelTimer) this.serve();
    });
  }

  private reschedule(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.serve();
  }

  /** Hands out the slots free now, pushes first, then sets a timer for the next one if anyone waits. */
  private serve(): void {
    for (;;) {
      const queue = this.queues.push.length ? this.queues.push : this.queues.pull;
      if (!queue.length) return;
      const now = this.clock.now();
      const wait = this.waitAt(now);
      if (wait > 0) {
        this.cancelTimer = this.clock.setTimer(() => {
          this.cancelTimer = null;
          this.serve();
        }, wait);
        return;
      }
      const next = queue.shift()!;
      this.stamps.push(now);
      this.waitedMs += now - next.since;
      next.grant();
    }
  }

  /** How long from `now` until a request may go out (0: now). */
  private waitAt(now: number): number {
    while (this.stamps.length && this.stamps[0] <= now - this.windowMs - this.marginMs) this.stamps.shift();
    let wait = this.blockedUntil - now;
    // The window holds `max` stamps at most: the next slot frees when the one `max` from the end expires.
    if (this.stamps.length >= this.max)
      wait = Math.max(wait, this.stamps[this.stamps.length - this.max] + this.windowMs + this.marginMs - now);
    return wait;
  }
}
