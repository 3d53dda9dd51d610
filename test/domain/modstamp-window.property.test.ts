import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { windowStartMs } from '../../src/domain/modstamp-window';

/**
 * Random edits and pulls against records whose modified time is kept to the whole second, as
 * Salesforce keeps SystemModstamp. Each pull begins at `until`, reads every record once at some
 * later moment (edits land between its reads), and keeps what is stamped within
 * [windowStartMs(since), until); the next pull's `since` is this one's `until` less an overlap,
 * 0 included. Checked: a record's last edit made before the last pull began is read by a pull at
 * or after that edit, so the workspace ends with it (one edited again after that is a later pull's).
 */

const SECOND = 1000;
const stamp = (ms: number) => Math.floor(ms / SECOND) * SECOND;

interface Scenario {
  /** Per record, its edit times (ms). */
  edits: number[][];
  /** Per pull: how long after the previous one it begins, the overlap its successor keeps, and when it reads each record. */
  pulls: { gap: number; overlap: number; readDelays: number[] }[];
}

const RECORDS = 4;
const scenario: fc.Arbitrary<Scenario> = fc.record({
  edits: fc.array(fc.array(fc.integer({ min: 0, max: 6_000 }), { maxLength: 4 }), {
    minLength: RECORDS,
    maxLength: RECORDS,
  }),
  pulls: fc.array(
    fc.record({
      gap: fc.integer({ min: 1, max: 2_500 }),
      overlap: fc.constantFrom(0, 0, 0, 1, 250, 999, 1_000, 2_000),
      readDelays: fc.array(fc.integer({ min: 0, max: 1_500 }), { minLength: RECORDS, maxLength: RECORDS }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});

/** True when every record last edited before the last pull began was read at or after that edit. */
function nothingLost(s: Scenario, start: (sinceMs: number) => number): boolean {
  const lastRead = new Array<number>(RECORDS).fill(-1);
  let until = 0;
  let since: number | null = null;
  for (const p of s.pulls) {
    until += p.gap;
    for (let r = 0; r < RECORDS; r++) {
      const readAt = until + p.readDelays[r];
      const seen = s.edits[r].filter((e) => e <= readAt);
      // Never edited: created at 0. The record is read as it is at readAt.
      const modstamp = stamp(seen.length ? Math.max(...seen) : 0);
      const from = since === null ? -Infinity : start(since);
      if (modstamp >= from && modstamp < until) lastRead[r] = Math.max(lastRead[r], readAt);
    }
    since = until - p.overlap;
  }
  // A record edited again after the last pull began is left for a later one.
  return s.edits.every(
    (edits, r) => edits.length === 0 || Math.max(...edits) >= until || lastRead[r] >= Math.max(...edits),
  );
}

describe('Salesforce incremental window over whole-second SystemModstamps', () => {
  it('loses no edit, with or without overlap, when the lower bound is rounded down to its second', () => {
    fc.assert(
      fc.property(scenario, (s) => nothingLost(s, (since) => windowStartMs(since, SECOND))),
      { numRuns: 3_000 },
    );
  });

  it('the unrounded lower bound loses an edit made in the second the previous pull began in', () => {
    // The same model finds the bug it guards against, so the property above is not vacuous.
    const found = fc.check(
      fc.property(scenario, (s) => nothingLost(s, (since) => since)),
      { numRuns: 3_000 },
    );
    assert.equal(found.failed, true);
  });
});
