import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  crmObjectsFor,
  mappingCheckProblems,
  type CrmFieldFacts,
  type MappingCheckEntry,
  type MappingCheckInput,
} from '../../src/domain/mapping-check';

const text = (length: number | null = 255): CrmFieldFacts => ({
  type: 'string',
  options: null,
  restricted: false,
  multiValued: false,
  writable: true,
  calculated: false,
  length,
});
const picklist = (options: string[], restricted = true, multiValued = false): CrmFieldFacts => ({
  ...text(255),
  type: multiValued ? 'multipicklist' : 'picklist',
  options,
  restricted,
  multiValued,
});
const readOnly: CrmFieldFacts = { ...text(), writable: false };

function salesforceContacts(
  lead: Record<string, CrmFieldFacts | null>,
  contact: Record<string, CrmFieldFacts | null>,
): MappingCheckInput['objects'] {
  const [l, c] = crmObjectsFor('salesforce', 'contact');
  return [
    { ...l, fields: new Map(Object.entries(lead)) },
    { ...c, fields: new Map(Object.entries(contact)) },
  ];
}

function check(
  entries: MappingCheckEntry[],
  objects: MappingCheckInput['objects'],
  values: Record<string, string[]> = {},
  crm: MappingCheckInput['crm'] = 'salesforce',
) {
  return mappingCheckProblems({ crm, kind: 'contact', entries, objects, values: new Map(Object.entries(values)) });
}

const oneSentence = (s: string) => assert.doesNotMatch(s, /[.!?]\s+\S/, `one sentence: ${s}`);

describe('mapping checked against the CRM (pure)', () => {
  it('accepts a mapping whose fields exist and take the workspace values', () => {
    const objects = salesforceContacts({ Title: text(128), Status: picklist(['Open']) }, { Title: text(128) });
    assert.deepEqual(
      check(
        [
          { crmField: 'Title', localField: 'title', direction: 'both' },
          { crmField: 'Status', localField: 'stage', direction: 'push', crmObject: 'Lead' },
        ],
        objects,
        { title: ['CTO'], stage: ['Open'] },
      ),
      [],
    );
  });

  it('a field must exist on every object the entry applies to, or the one crmObject names', () => {
    const objects = salesforceContacts({ Status: picklist(['Open']), Title: text() }, { Title: text() });
    const [both, one] = check(
      [
        { crmField: 'Status', localField: 'stage', direction: 'pull' },
        { crmField: 'Nope__c', localField: 'custom.x', direction: 'pull' },
      ],
      objects,
    );
    assert.equal(
      both,
      'contact field mapping names field "Status", which does not exist on Salesforce Contact (set "crmObject": "Lead" if it belongs there only)',
    );
    assert.match(one, /"Nope__c", which does not exist on Salesforce Lead or Salesforce Contact$/);
    assert.deepEqual(
      check([{ crmField: 'Status', localField: 'stage', direction: 'pull', crmObject: 'Lead' }], objects),
      [],
    );
  });

  it('read-only and calculated fields may be pulled, never pushed', () => {
    const objects = salesforceContacts({ Name: readOnly }, { Name: readOnly });
    assert.deepEqual(check([{ crmField: 'Name', localField: 'last_name', direction: 'pull' }], objects), []);
    const [p] = check([{ crmField: 'Name', localField: 'last_name', direction: 'both' }], objects);
    assert.match(p, /pushes workspace field "last_name" to Salesforce Lead field "Name", which is read-only/);
    oneSentence(p);

    const [hs] = crmObjectsFor('hubspot', 'contact');
    const calc = { ...text(null), type: 'number', writable: false, calculated: true };
    const [c] = check(
      [{ crmField: 'num_associated_deals', localField: 'custom.deals', direction: 'push' }],
      [{ ...hs, fields: new Map([['num_associated_deals', calc]]) }],
      {},
      'hubspot',
    );
    assert.match(c, /HubSpot contacts property "num_associated_deals", which is calculated by HubSpot and read-only/);
  });

  it('a restricted picklist names up to three offending workspace values and the allowed ones', () => {
    const status = picklist(['Open', 'Working']);
    const objects = salesforceContacts({ Status: status }, {});
    const entry: MappingCheckEntry = { crmField: 'Status', localField: 'stage', direction: 'both', crmObject: 'Lead' };
    const [p] = check([entry], objects, { stage: ['Open', 'cold', 'warm', 'hot', 'frozen'] });
    assert.equal(
      p,
      'contact field mapping pushes workspace field "stage" to Salesforce Lead field "Status", a restricted picklist ' +
        'that does not allow the workspace values "cold", "warm", "hot" and 1 more (allowed: Open, Working)',
    );
    const [two] = check([entry], objects, { stage: ['cold', 'warm'] });
    assert.match(two, /values "cold" and "warm" \(allowed/);
    // Unrestricted picklists take anything; a pull-only mapping sends nothing.
    assert.deepEqual(
      check([entry], salesforceContacts({ Status: picklist(['Open'], false) }, {}), { stage: ['x'] }),
      [],
    );
    assert.deepEqual(check([{ ...entry, direction: 'pull' }], objects, { stage: ['x'] }), []);
    // A multi-select value is several options.
    const multi = salesforceContacts({ Tags__c: picklist(['a', 'b'], true, true) }, {});
    const tags: MappingCheckEntry = {
      crmField: 'Tags__c',
      localField: 'custom.tags',
      direction: 'push',
      crmObject: 'Lead',
    };
    assert.deepEqual(check([tags], multi, { 'custom.tags': ['a;b', 'b'] }), []);
    assert.match(check([tags], multi, { 'custom.tags': ['a;c'] })[0], /value "a;c"/);
  });

  it('values must parse as the field type and fit its length', () => {
    const [acct] = crmObjectsFor('salesforce', 'account');
    const objects = [
      {
        ...acct,
        fields: new Map<string, CrmFieldFacts>([
          ['NumberOfEmployees', { ...text(null), type: 'int' }],
          ['Phone', text(5)],
        ]),
      },
    ];
    const problems = mappingCheckProblems({
      crm: 'salesforce',
      kind: 'account',
      entries: [
        { crmField: 'NumberOfEmployees', localField: 'custom.size', direction: 'push' },
        { crmField: 'Phone', localField: 'phone', direction: 'push' },
      ],
      objects,
      values: new Map([
        ['custom.size', ['250', 'about 50']],
        ['phone', ['123456', '1234']],
      ]),
    });
    assert.deepEqual(problems, [
      'account field mapping pushes workspace field "custom.size" to Salesforce Account field "NumberOfEmployees", a number field, but the workspace value "about 50" is not a number',
      'account field mapping pushes workspace field "phone" to Salesforce Account field "Phone", which holds at most 5 characters, and the workspace value "123456" is longer',
    ]);
  });

  it('a CRM field name that is not an identifier is refused before anything else', () => {
    const objects = salesforceContacts({}, {});
    const [p] = check([{ crmField: 'Title; DELETE', localField: 'title', direction: 'push' }], objects);
    assert.equal(
      p,
      'contact field mapping of "title": Salesforce field name "Title; DELETE" may contain only letters, digits and underscores',
    );
  });
});
