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
  /** Up to `want` slots of `bucket`, after giving back `giveBack.unused` slots of an earlier grant. */
  reserve(
    bucket: string,
    want: number,
    initial: RateWindow,
    marginMs: number,
    giveBack?: { at: number; unused: number },
  ): Promise<{ granted: number; at: number; leaseMs: number; waitMs: number; limit: RateWindow }>;
  release(bucket: string, at: number, unused: number, initial: RateWindow): Promise<void>;
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
 * within the grant's lease; the ones still unused when it ends are given back with the next
 * reservation, so they are lost to no one.
 */
export class SharedSlots {
  private slots = 0;
  /** When the grant's lease ends, on this process's clock (measured from before the request). */
  private leaseEnd = 0;
  /** The grant's `at`, on the database's clock: what a give-back names. */
  private grantAt = 0;
  private refilling: Promise<void> | null = null;
  /** Reservations made, for the bench and tests. */
  reservations = 0;

  constructor(
    private readonly budget: SharedRateBudget,
    private readonly bucket: string,
    private limit: RateWindow,
    private readonly marginMs: number,
  ) {}

  /** Resolves when this process may send one call; an abort stops the wait (it uses no slot). */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      if (this.slots > 0 && Date.now() < this.leaseEnd) {
        this.slots--;
        return;
      }
      this.refilling ??= this.refill().finally(() => (this.refilling = null));
      await untilAborted(this.refilling, signal);
    }
  }

  /** After a 429: the slots held are dropped (conservatively still counted), and every worker waits. */
  async backOff(retryAfterMs: number): Promise<void> {
    this.slots = 0;
    await this.budget.block(this.bucket, retryAfterMs, this.limit);
  }

  /** A limit the CRM announced that differs from the one the row holds becomes every worker's. */
  async learn(limit: RateWindow): Promise<void> {
    if (limit.max === this.limit.max && limit.windowMs === this.limit.windowMs) return;
    await this.budget.learn(this.bucket, limit);
    this.limit = limit;
  }

  private async refill(): Promise<void> {
    const giveBack = this.slots > 0 ? { at: this.grantAt, unused: this.slots } : undefined;
    this.slots = 0;
    const asked = Date.now();
    const r = await this.budget.reserve(this.bucket, grantSizeFor(this.limit), this.limit, this.marginMs, giveBack);
    this.reservations++;
    this.limit = r.limit;
    if (r.granted > 0) {
      this.slots = r.granted;
      this.grantAt = r.at;
      this.leaseEnd = asked + r.leaseMs;
      return;
    }
    // Unref'd: a wait for the CRM's window keeps no process alive that has nothing else to do.
    await new Promise((resolve) => setTimeout(resolve, Math.min(r.waitMs, 60_000)).unref());
  }
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

/** This process's shares, per account and bucket, shared by every activity and adapter of the process. */
const shares = new Map<string, SharedSlots>();
export function sharedSlotsFor(
  budget: SharedRateBudget,
  crm: string,
  bucket: string,
  initial: RateWindow,
  marginMs: number,
): SharedSlots {
  const key = `${crm}:${budget.account}:${bucket}`;
  let s = shares.get(key);
  if (!s) shares.set(key, (s = new SharedSlots(budget, bucket, initial, marginMs)));
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

const dailies = new Map<string, SharedDailyUsage>();
export function sharedDailyUsageFor(budget: SharedRateBudget, crm: string): SharedDailyUsage {
  const key = `${crm}:${budget.account}`;
  let d = dailies.get(key);
  if (!d) dailies.set(key, (d = new SharedDailyUsage(budget)));
  return d;
}
