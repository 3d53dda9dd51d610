import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  callMissingScope,
  missingExternalId,
  missingPropertyScope,
  missingSourceField,
  notExternalId,
  notUniqueProperty,
  picklistValueMissing,
  setupIncompleteMessage,
} from '../../src/domain/crm-setup';

describe('CRM set-up problems', () => {
  const all = [
    missingExternalId('Contact', 'Apollo_Id__c'),
    notExternalId('Lead', 'Apollo_Id__c'),
    missingPropertyScope('contacts', 'apollo_contact_id', ['crm.schemas.contacts.write']),
    missingPropertyScope('companies', 'apollo_source', []),
    notUniqueProperty('contacts', 'apollo_contact_id'),
    picklistValueMissing('Salesforce Lead', 'LeadSource', 'Apollo', ['Web', 'Other']),
    missingSourceField('HubSpot contacts', 'lead_origin'),
    callMissingScope('HubSpot contacts page failed (403 MISSING_SCOPES): no', ['crm.objects.contacts.read']),
  ];

  it('each is one sentence saying what is wrong and how to fix it', () => {
    for (const p of all) {
      assert.ok(!/\n/.test(p.message), p.message);
      assert.match(p.message, /[.]$/, p.message);
      assert.match(p.message, /: /, `${p.message} names a fix after the colon`);
    }
    assert.match(all[3].message, /missing scope crm\.schemas\.companies\.write/);
    assert.ok(!all[3].message.includes('unique values'), 'a source property is not a key');
    assert.match(all[2].message, /with unique values\.$/);
  });

  it('the push failure names the count and the first problem', () => {
    assert.match(
      setupIncompleteMessage(all.slice(0, 1)),
      /^CRM set-up incomplete; pushes wait: Salesforce Contact has no field/,
    );
    assert.match(
      setupIncompleteMessage(all),
      /^CRM set-up incomplete \(8 problems, see status\.setup\); pushes wait: /,
    );
  });
});
