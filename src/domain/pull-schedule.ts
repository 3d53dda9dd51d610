/**
 * When recurring pulls run. The cadence is fixed from the first pull time: a pull that overruns its
 * slot skips the slots it overran instead of running back to back.
 */

/** The first slot after `now`, stepping from the one that was due. */
export function nextSlotAfter(due: number, everyMs: number, now: number): number {
  let next = due;
  while (next <= now) next += everyMs;
  return next;
}

/**
 * A new interval moves the pending pull at once: to one new interval after the slot the pending
 * pull followed, or now if that moment has already passed.
 */
export function rescheduledPull(pending: number, oldEveryMs: number, newEveryMs: number, now: number): number {
  return Math.max(now, pending - oldEveryMs + newEveryMs);
}
