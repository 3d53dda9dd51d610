import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountMismatch, crmMismatch } from '../../src/domain/connection-binding';

describe('connection binding', () => {
  it('a connection for the other CRM is refused with one sentence naming both', () => {
    assert.equal(crmMismatch('acme-sf', 'salesforce', 'salesforce'), null);
    assert.equal(
      crmMismatch('acme-sf', 'salesforce', 'hubspot'),
      'connection "acme-sf" is a Salesforce connection, and this integration syncs HubSpot: reauthorize with a HubSpot connection',
    );
    assert.match(crmMismatch('acme-hs', 'hubspot', 'salesforce')!, /is a HubSpot connection.*syncs Salesforce/);
  });

  it('the first connect binds; later ones must reach the same account', () => {
    assert.equal(accountMismatch('acme', 'hubspot', null, '111'), null, 'nothing bound yet');
    assert.equal(accountMismatch('acme', 'hubspot', '111', '111'), null);
    assert.equal(
      accountMismatch('other', 'hubspot', '111', '222'),
      'connection "other" reaches HubSpot portal 222, and this integration is bound to HubSpot portal 111, where its ' +
        'linked records are: reauthorize with a connection to HubSpot portal 111',
    );
    assert.match(
      accountMismatch('other', 'salesforce', '00DA', '00DB')!,
      /reaches Salesforce org 00DB.*bound to Salesforce org 00DA/,
    );
    for (const r of [crmMismatch('x', 'hubspot', 'salesforce')!, accountMismatch('x', 'salesforce', 'a', 'b')!])
      assert.ok(!r.includes('\n'), 'one line');
  });
});
