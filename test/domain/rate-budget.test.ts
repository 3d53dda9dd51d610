import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blockFor,
  grantSizeFor,
  lateFor,
  leaseFor,
  releaseSlots,
  reserveSlots,
  type SharedWindowState,
} from '../../src/domain/rate-budget';

const fresh = (max: number, windowMs: number): SharedWindowState => ({ max, windowMs, grants: [], blockedUntil: 0 });
const margin = { marginMs: 100 };

describe('shared rate window arithmetic', () => {
  it('grants up to what the window has free, each grant stamped at the end of its lease', () => {
    let s = fresh(10, 10_000);
    const a = reserveSlots(s, 4, 1_000, margin);
    assert.equal(a.granted, 4);
    assert.equal(a.at, 1_000 + leaseFor(s) + lateFor(s));
    s = a.state;
    const b = reserveSlots(s, 8, 1_200, margin);
    assert.equal(b.granted, 6, 'only the 6 left');
    const c = reserveSlots(b.state, 1, 1_300, margin);
    assert.equal(c.granted, 0);
    // The first grant frees its 4 slots a window (and the margin) after its lease ended.
    assert.equal(c.waitMs, a.at + 10_000 + 100 - 1_300);
    const d = reserveSlots(c.state, 5, a.at + 10_100, margin);
    assert.equal(d.granted, 4, 'the first grant has left the window');
  });

  it('waits for as many old grants to leave as it takes to free one slot', () => {
    const s: SharedWindowState = {
      max: 5,
      windowMs: 1_000,
      grants: [
        [100, 2],
        [200, 3],
      ],
      blockedUntil: 0,
    };
    assert.equal(reserveSlots(s, 1, 300, margin).waitMs, 100 + 1_000 + 100 - 300);
    const over: SharedWindowState = { ...s, max: 3 };
    // A lower limit learned meanwhile: 5 held of 3, so both grants must go before one is free.
    assert.equal(reserveSlots(over, 1, 300, margin).waitMs, 200 + 1_000 + 100 - 300);
  });

  it('gives unused slots back to the grant they came from', () => {
    const s: SharedWindowState = {
      max: 5,
      windowMs: 1_000,
      grants: [
        [100, 2],
        [200, 3],
      ],
      blockedUntil: 0,
    };
    assert.deepEqual(releaseSlots(s, 200, 2).grants, [
      [100, 2],
      [200, 1],
    ]);
    assert.deepEqual(releaseSlots(s, 100, 2).grants, [[200, 3]]);
    assert.deepEqual(releaseSlots(s, 999, 2).grants, s.grants, 'a grant that left the window is gone already');
    assert.deepEqual(
      releaseSlots(s, 200, 1, 150).grants,
      [
        [100, 2],
        [150, 2],
      ],
      'a grant whose last call went early leaves the window from then',
    );
    assert.deepEqual(
      releaseSlots(s, 200, 0, 900).grants,
      [
        [100, 2],
        [900, 3],
      ],
      'a call the CRM counted after the lease keeps its slot until a window after that',
    );
  });

  it('after a 429 nothing is granted until the retry-after has passed', () => {
    const s = blockFor(fresh(100, 10_000), 10_000, 5_000);
    assert.deepEqual(
      { granted: reserveSlots(s, 1, 6_000, margin).granted, waitMs: reserveSlots(s, 1, 6_000, margin).waitMs },
      { granted: 0, waitMs: 9_000 },
    );
    assert.equal(blockFor(s, 1_000, 6_000).blockedUntil, 15_000, 'a shorter back-off does not shorten a longer one');
    assert.equal(reserveSlots(s, 1, 15_000, margin).granted, 1);
  });

  it('grants and leases are small against the window', () => {
    assert.equal(grantSizeFor({ max: 190, windowMs: 10_000 }), 10);
    assert.equal(grantSizeFor({ max: 20, windowMs: 10_000 }), 2);
    assert.equal(grantSizeFor({ max: 4, windowMs: 1_000 }), 1);
    assert.equal(leaseFor({ max: 190, windowMs: 10_000 }), 500);
    assert.equal(leaseFor({ max: 4, windowMs: 1_000 }), 100);
  });
});
