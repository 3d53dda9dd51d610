import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextSlotAfter, rescheduledPull } from '../../src/domain/pull-schedule';

const MIN = 60_000;

describe('pull schedule', () => {
  it('keeps a fixed cadence and skips the slots a long pull overran', () => {
    assert.equal(nextSlotAfter(15 * MIN, 15 * MIN, 16 * MIN), 30 * MIN);
    assert.equal(nextSlotAfter(15 * MIN, 15 * MIN, 47 * MIN), 60 * MIN, 'two slots skipped');
    assert.equal(nextSlotAfter(15 * MIN, 15 * MIN, 15 * MIN), 30 * MIN, 'a slot at now is taken');
    assert.equal(nextSlotAfter(30 * MIN, 15 * MIN, 20 * MIN), 30 * MIN, 'a future slot stays');
  });

  it('a new interval moves the pending pull to one new interval after its slot, or to now', () => {
    // Pending at 15 min (slot 0 + 15); at 7 min the interval becomes 60: the pull moves to 60 min.
    assert.equal(rescheduledPull(15 * MIN, 15 * MIN, 60 * MIN, 7 * MIN), 60 * MIN);
    // Pending at 60 min (slot 0 + 60); at 28 min the interval becomes 10: overdue, so now.
    assert.equal(rescheduledPull(60 * MIN, 60 * MIN, 10 * MIN, 28 * MIN), 28 * MIN);
    // Shorter but still ahead.
    assert.equal(rescheduledPull(30 * MIN, 30 * MIN, 20 * MIN, 5 * MIN), 20 * MIN);
  });
});
