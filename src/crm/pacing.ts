/**
 * Client-side pacing for a rolling-window rate limit ("at most `max` requests in any `windowMs`").
 * Requests wait for a slot here instead of bouncing off 429s. The margin covers the gap between
 * when we send and when the CRM counts the request. One pacer per connection per process.
 */
export class RollingWindowPacer {
  private stamps: number[] = [];
  private blockedUntil = 0;
  private chain: Promise<void> = Promise.resolve();
  /** How long requests waited for a slot, in total: for the bench and logs. */
  waitedMs = 0;

  constructor(
    private max: number,
    private windowMs: number,
    private readonly marginMs = 150,
    private readonly now: () => number = Date.now,
  ) {}

  get limit(): { max: number; windowMs: number } {
    return { max: this.max, windowMs: this.windowMs };
  }

  /** Adopts the limit the CRM announces in its response headers. */
  learn(max: number, windowMs: number): void {
    if (max > 0 && windowMs > 0) {
      this.max = max;
      this.windowMs = windowMs;
    }
  }

  /** After a 429 despite pacing: nothing goes out before `ms` from now. */
  backOff(ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + ms);
  }

  /** Resolves when one more request may be sent. Calls are served in order. */
  acquire(): Promise<void> {
    const turn = this.chain.then(() => this.waitForSlot());
    this.chain = turn.catch(() => undefined);
    return turn;
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.stamps.length && this.stamps[0] <= now - this.windowMs - this.marginMs) this.stamps.shift();
      let wait = this.blockedUntil - now;
      if (this.stamps.length >= this.max) wait = Math.max(wait, this.stamps[0] + this.windowMs + this.marginMs - now);
      if (wait <= 0) {
        this.stamps.push(now);
        return;
      }
      this.waitedMs += wait;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
