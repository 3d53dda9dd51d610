import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { removalObjectOf, removalOn } from '../../src/domain/removal-settings';
import { applySettingsPatch, defaultSettings } from '../../src/domain/settings';

describe('deletion and merge settings', () => {
  it('are off by default and set per object; a patch keeps the objects it leaves out', () => {
    const d = defaultSettings('salesforce');
    assert.equal(removalOn(d.deletion, 'contacts'), false);
    const one = applySettingsPatch('salesforce', d, {
      deletion: { contacts: true, leads: true },
      merge: { accounts: true },
    });
    const two = applySettingsPatch('salesforce', one, { deletion: { accounts: true } });
    assert.deepEqual(two.deletion, { contacts: true, leads: true, accounts: true });
    assert.deepEqual(two.merge, { accounts: true });
    assert.equal(removalOn(two.merge, 'contacts'), false);
  });

  it('refuses anything else with one sentence', () => {
    for (const [crm, patch, reason] of [
      ['hubspot', { deletion: { leads: true } }, /^invalid settings: deletion\.leads: HubSpot has no leads/],
      [
        'hubspot',
        { deletion: { deals: true } },
        /^invalid settings: deletion: Unrecognized key\(s\) in object: 'deals'$/,
      ],
      [
        'salesforce',
        { merge: { contacts: 'yes' } },
        /^invalid settings: merge\.contacts: Expected boolean, received string$/,
      ],
      ['salesforce', { deletion: true }, /^invalid settings: deletion: must be an object of booleans by object/],
    ] as const) {
      assert.throws(
        () => applySettingsPatch(crm, defaultSettings(crm), patch),
        (e: Error) => {
          assert.match(e.message, reason);
          assert.ok(!e.message.includes('\n'));
          return true;
        },
      );
    }
  });

  it('key each CRM object by the setting that governs it', () => {
    assert.equal(removalObjectOf('salesforce', 'Lead'), 'leads');
    assert.equal(removalObjectOf('salesforce', 'Contact'), 'contacts');
    assert.equal(removalObjectOf('salesforce', 'Account'), 'accounts');
    assert.equal(removalObjectOf('hubspot', 'companies'), 'accounts');
    assert.equal(removalObjectOf('hubspot', 'contacts'), 'contacts');
  });
});
