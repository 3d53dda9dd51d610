import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crmFieldNameProblem } from '../../src/domain/crm-field-names';

const oneSentence = (s: string) => assert.doesNotMatch(s, /[.!?]\s+\S/, `one sentence: ${s}`);

describe('CRM field names', () => {
  it('HubSpot: lowercase letters, digits and underscores, beginning with a letter, at most 100', () => {
    for (const ok of [
      'email',
      'hs_lead_status',
      'apollo_contact_id',
      'x',
      'a1_2',
      'questions__comments',
      'a'.repeat(100),
    ])
      assert.equal(crmFieldNameProblem('hubspot', ok), null, ok);
    const cases: [string, RegExp][] = [
      ['', /must not be empty/],
      ['JobTitle', /must be lowercase/],
      ['job title', /only lowercase letters, digits and underscores/],
      ['jobtitle; DROP', /only lowercase letters, digits and underscores/],
      ['custom.tier', /only lowercase letters, digits and underscores/],
      ['1st_touch', /must begin with a letter/],
      ['_private', /must begin with a letter/],
      ['a'.repeat(101), /longer than the 100 characters/],
    ];
    for (const [name, re] of cases) {
      const p = crmFieldNameProblem('hubspot', name);
      assert.ok(p, `refused: ${name}`);
      assert.match(p, re);
      oneSentence(p);
    }
  });

  it('Salesforce: standard, custom __c, namespaced, person-account and geolocation names', () => {
    for (const ok of [
      'Email',
      'LastName',
      'Apollo_Id__c',
      'apollo_id__C',
      'acme__Score__c',
      'Region__pc',
      'Location__Latitude__s',
      'geo__Location__Longitude__s',
      'A'.repeat(40),
      `${'B'.repeat(40)}__c`,
      `${'n'.repeat(15)}__Field__c`,
    ])
      assert.equal(crmFieldNameProblem('salesforce', ok), null, ok);
  });

  it('Salesforce: anything else is refused with one sentence, before it can reach SOQL', () => {
    const cases: [string, RegExp][] = [
      ['', /must not be empty/],
      ['Title; DELETE', /only letters, digits and underscores/],
      ['Email FROM Lead', /only letters, digits and underscores/],
      ["Email' OR Name != '", /only letters, digits and underscores/],
      ['Account.Name', /only letters, digits and underscores/],
      ['1Field__c', /must begin with a letter/],
      ['_Field', /must begin with a letter/],
      ['Field_', /must not end with an underscore/],
      ['Field___c', /does not end with an underscore before its suffix/],
      ['My__Field', /two underscores in a row only in a custom field's namespace prefix/],
      ['a__b__Field__c', /two underscores in a row only after a namespace prefix and before its __c suffix/],
      ['My__Field__r', /two underscores in a row/],
      ['A'.repeat(41), /longer than the 40 characters/],
      [`${'B'.repeat(41)}__c`, /longer than the 40 characters/],
      [`${'n'.repeat(16)}__Field__c`, /namespace prefix longer than the 15 characters/],
    ];
    for (const [name, re] of cases) {
      const p = crmFieldNameProblem('salesforce', name);
      assert.ok(p, `refused: ${name}`);
      assert.match(p, re);
      oneSentence(p);
    }
  });

  it('names the field, quoted, and keeps a very long one short', () => {
    assert.equal(
      crmFieldNameProblem('salesforce', 'Title; DELETE'),
      'Salesforce field name "Title; DELETE" may contain only letters, digits and underscores',
    );
    const p = crmFieldNameProblem('hubspot', 'x'.repeat(500))!;
    assert.ok(p.length < 160, p);
  });
});
