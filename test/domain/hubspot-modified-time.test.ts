import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hubspotModifiedAt, hubspotModifiedMs } from '../../src/crm/hubspot/modified-time';

/**
 * A HubSpot record's modified time when its data is bad. (It lives in src/crm, but is pure: it runs
 * with the fast tier.) @hubspot/api-client turns `updatedAt` into `new Date(text)` whatever the text.
 */
describe('HubSpot modified time', () => {
  const valid = new Date('2026-01-02T03:04:05.678Z');

  it('takes lastmodifieddate when it reads as a time', () => {
    assert.equal(hubspotModifiedAt('2026-02-01T00:00:00.000Z', valid), '2026-02-01T00:00:00.000Z');
  });

  it('falls back to updatedAt when lastmodifieddate is missing or malformed', () => {
    assert.equal(hubspotModifiedAt(null, valid), '2026-01-02T03:04:05.678Z');
    assert.equal(hubspotModifiedAt(undefined, valid), '2026-01-02T03:04:05.678Z');
    assert.equal(hubspotModifiedAt('last tuesday', valid), '2026-01-02T03:04:05.678Z');
  });

  it('is unknown (empty), not a RangeError, when neither is usable', () => {
    const malformed = new Date('not-a-date');
    assert.throws(() => malformed.toISOString(), RangeError, 'what the adapter used to call');
    assert.equal(hubspotModifiedAt(null, malformed), '');
    assert.equal(hubspotModifiedAt('garbage', malformed), '');
    assert.equal(hubspotModifiedAt(null, undefined), '');
    assert.equal(hubspotModifiedMs(null, malformed), null);
    assert.equal(hubspotModifiedMs(null, valid), valid.getTime());
  });
});
