import { grantSizeFor, type RateWindow } from '../domain/rate-budget';

/**
 * One CRM account's rate budget and daily allowance as every worker process shares them. The
 * activities layer binds it to the workspace database (src/store/rate-budgets.ts); src/crm only
 * sees this port. Without one (unit tests, `connect` before the account is known) an adapter paces
 * by its process-local pacer alone (pacing.ts).
 */
export interface SharedRateBudget {
  /** The CRM account (HubSpot portal id, Salesforce org id): this process's grants are kept per account. */
  readonly account: string;
  /**
   * Where the budget lives (the database): this process's grants are kept per scope too, so a
   * test process that opens a second database never spends grants recorded in the first.
   */
  readonly scope: object;
  /** Up to `want` slots of `bucket`, after settling earlier grants of this process (releaseSlots). */
  reserve(
    bucket: string,
    want: number,
    initial: RateWindow,
    marginMs: number,
    settle: { at: number; unused: number; sentBy?: number }[],
  ): Promise<{ granted: number; at: number; leaseMs: number; waitMs: number; limit: RateWindow; now: number }>;
  /** After a 429: every worker waits `retryAfterMs` before its next call on the bucket. */
  block(bucket: string, retryAfterMs: number, initial: RateWindow): Promise<void>;
  /** The limit the CRM announced, for every worker. */
  learn(bucket: string, limit: RateWindow): Promise<void>;
  recordDailyUsage(usage: { used: number; limit: number }): Promise<void>;
  dailyUsage(): Promise<{ used: number; limit: number } | undefined>;
}

/**
 * This process's share of one account bucket: the slots of its current grant, spent by whichever
 * activity asks next. One reservation is in flight at a time, and it asks for several slots
 * (grantSizeFor), so N calls cost about N / grant-size database round trips. Slots must go out
 * within the grant's lease; the next reservation settles the grant (unused slots back, and when
 * its last call ended), so a busy worker loses neither slots nor the rest of a lease.
 */
export class SharedSlots {
  /** The grants this process holds, oldest first: at most the one being spent and the one fetched ahead. */
  private grants: HeldGrant[] = [];
  private refilling: Promise<void> | null = null;
  /** Reservations made, for the bench and tests. */
  reservations = 0;

  constructor(
    private readonly budget: SharedRateBudget,
    private readonly bucket: string,
    private limit: RateWindow,
    private readonly marginMs: number,
  ) {}

  /**
   * Resolves when this process may send one call, with the function to call once the call has
   * ended (answered, failed, or not sent after all); an abort stops the wait (it uses no slot).
   */
  async take(signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      const g = this.grants.find((x) => x.slots > 0 && now < x.leaseEnd);
      if (g) {
        g.slots--;
        g.inFlight++;
        // Running low: the next grant is fetched while these slots are spent, so a caller seldom
        // waits for the database's round trip. Not for grants of one or two (search's): a slot
        // fetched ahead and not needed would sit taken in a window of a second.
        const size = grantSizeFor(this.limit);
        if (size >= 3 && this.usable(now) <= Math.floor(size / 3)) void this.startRefill().catch(() => undefined);
        return () => {
          g.inFlight--;
          g.lastEnded = Date.now();
        };
      }
      await untilAborted(this.startRefill(), signal);
    }
  }

  /**
   * After a 429: the grants held take no more calls (they are settled once their calls have
   * ended), and every worker waits.
   */
  async backOff(retryAfterMs: number): Promise<void> {
    for (const g of this.grants) g.leaseEnd = 0;
    await this.budget.block(this.bucket, retryAfterMs, this.limit);
  }

  /** A limit the CRM announced that differs from the one the row holds becomes every worker's. */
  async learn(limit: RateWindow): Promise<void> {
    if (limit.max === this.limit.max && limit.windowMs === this.limit.windowMs) return;
    await this.budget.learn(this.bucket, limit);
    this.limit = limit;
  }

  private usable(now: number): number {
    return this.grants.reduce((n, g) => n + (now < g.leaseEnd ? g.slots : 0), 0);
  }

  /** The one reservation in flight, started if none is. */
  private startRefill(): Promise<void> {
    this.refilling ??= this.refill().finally(() => (this.refilling = null));
    return this.refilling;
  }

  private async refill(): Promise<void> {
    // The grants this process is done with (spent or past their lease, and none of their calls
    // still out) are settled with this reservation: their unused slots, and when their last call
    // ended, on the database's clock (late by at most a round trip, never early). A call has ended
    // only after the CRM counted it, so from then on the CRM's window holds no more of the grant's
    // calls than the account's row does.
    const now = Date.now();
    const done = this.grants.filter((g) => g.inFlight === 0 && (g.slots === 0 || now >= g.leaseEnd));
    this.grants = this.grants.filter((g) => !done.includes(g));
    const settle = done.map((g) => ({
      at: g.at,
      unused: g.slots,
      ...(g.lastEnded ? { sentBy: g.lastEnded + g.offset } : {}),
    }));
    const asked = Date.now();
    const r = await this.budget.reserve(this.bucket, grantSizeFor(this.limit), this.limit, this.marginMs, settle);
    this.reservations++;
    this.limit = r.limit;
    if (r.granted > 0) {
      this.grants.push({
        at: r.at,
        slots: r.granted,
        leaseEnd: asked + r.leaseMs,
        offset: r.now - asked,
        inFlight: 0,
        lastEnded: 0,
      });
      return;
    }
    // Unref'd: a wait for the CRM's window keeps no process alive that has nothing else to do.
    await new Promise((resolve) => setTimeout(resolve, Math.min(r.waitMs, 60_000)).unref());
  }
}

interface HeldGrant {
  /** The grant's `at`, on the database's clock: what settling it names. */
  at: number;
  slots: number;
  /** When its lease ends, on this process's clock (measured from before the request). */
  leaseEnd: number;
  /** The database's clock minus this process's, over-estimated by the round trip (so, conservative). */
  offset: number;
  /** Its calls sent and not yet ended. */
  inFlight: number;
  /** When the last of its calls ended (this process's clock); 0: none yet. */
  lastEnded: number;
}

/** `p`, or the signal's reason as soon as it aborts (the shared wait goes on for the others). */
function untilAborted(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** This process's shares, per scope, account and bucket, shared by every activity and adapter of the process. */
const shares = new WeakMap<object, Map<string, SharedSlots>>();
export function sharedSlotsFor(
  budget: SharedRateBudget,
  crm: string,
  bucket: string,
  initial: RateWindow,
  marginMs: number,
): SharedSlots {
  const key = `${crm}:${budget.account}:${bucket}`;
  let inScope = shares.get(budget.scope);
  if (!inScope) shares.set(budget.scope, (inScope = new Map()));
  let s = inScope.get(key);
  if (!s) inScope.set(key, (s = new SharedSlots(budget, bucket, initial, marginMs)));
  return s;
}

/** How stale this process lets its view of the shared daily usage get: one read and one write a second at most. */
export const DAILY_USAGE_REFRESH_MS = 1_000;

/**
 * The account's daily allowance (Salesforce's Sforce-Limit-Info) as every worker sees it: each
 * process writes what the CRM last told it, at most once a second, and reads what any worker last
 * wrote, at most once a second. A second's staleness on an allowance of tens of thousands of calls
 * a day is a handful of calls past the reserve at worst.
 */
export class SharedDailyUsage {
  private lastWrite = 0;
  private lastRead = 0;
  private seen: { used: number; limit: number } | undefined;
  private latest: { used: number; limit: number } | undefined;

  constructor(private readonly budget: SharedRateBudget) {}

  /**
   * `fresh`: a look at /limits just now, which may show the allowance renewed (usage lower than
   * anyone saw): written at once, and what this process goes by until its next read.
   */
  async observe(usage: { used: number; limit: number }, fresh = false): Promise<void> {
    this.latest = usage;
    if (fresh) {
      this.seen = usage;
      this.lastRead = Date.now();
    } else if (Date.now() - this.lastWrite < DAILY_USAGE_REFRESH_MS) return;
    this.lastWrite = Date.now();
    await this.budget.recordDailyUsage(usage);
  }

  async current(): Promise<{ used: number; limit: number } | undefined> {
    if (Date.now() - this.lastRead >= DAILY_USAGE_REFRESH_MS) {
      this.lastRead = Date.now();
      this.seen = await this.budget.dailyUsage();
    }
    // Both are the org's total: the higher is the later, within the day.
    if (this.seen && this.latest && this.seen.limit === this.latest.limit)
      return this.seen.used >= this.latest.used ? this.seen : this.latest;
    return this.seen ?? this.latest;
  }
}

const dailies = new WeakMap<object, Map<string, SharedDailyUsage>>();
export function sharedDailyUsageFor(budget: SharedRateBudget, crm: string): SharedDailyUsage {
  const key = `${crm}:${budget.account}`;
  let inScope = dailies.get(budget.scope);
  if (!inScope) dailies.set(budget.scope, (inScope = new Map()));
  let d = inScope.get(key);
  if (!d) inScope.set(key, (d = new SharedDailyUsage(budget)));
  return d;
}
