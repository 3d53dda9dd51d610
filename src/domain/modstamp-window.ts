/**
 * Where a Salesforce incremental query starts. Salesforce keeps SystemModstamp to the whole second:
 * a change at 14:15:59.700 reads as 14:15:59.000. A pull that began at 14:15:59.400 may or may not
 * have seen that change, so the next pull, asked for changes since 14:15:59.400, must read every
 * record stamped 14:15:59: its lower bound is rounded down to the stamp's precision. The records of
 * that second are read twice (writing an unchanged record changes nothing) rather than lost.
 */
export function windowStartMs(sinceMs: number, precisionMs: number): number {
  return Math.floor(sinceMs / precisionMs) * precisionMs;
}
