import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAILURE_TYPE } from '../src/domain/failure-types';
import { outboxCounts } from '../src/store/push-store';
import { newSalesforceTenant, newTenant, startHarness, type Harness } from './support/harness';

/**
 * A real CRM is set up by its administrators, or not (issue 13, item 1): a Salesforce org without
 * our external id field, a HubSpot token that may not create properties, a restricted picklist
 * without the source value. Each shows in `status.setup` with its fix; pushes wait meanwhile (no
 * record rejected, no needsReauth) and go on by themselves once the set-up is fixed.
 */
describe('CRM set-up checks (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  /** Pushes are waiting on the set-up: rows due, none rejected, nothing in the error log, no reauth. */
  async function assertWaiting(x: Awaited<ReturnType<Harness['integration']>>, writes: number) {
    const s = await x.waitForStatus(
      'push waits on the set-up',
      (v) => v.push.failureType === FAILURE_TYPE.CrmSetupIncomplete,
    );
    assert.equal(s.phase, 'syncing');
    assert.equal(s.needsReauthReason, null);
    assert.equal(s.push.totals.rejected, 0);
    assert.deepEqual(await x.pushErrors(), []);
    assert.equal((await outboxCounts(h.db, x.workspaceId, x.crm)).due, writes, 'every write still waits in the outbox');
    assert.match(s.push.failure!, /^CRM set-up incomplete/);
    return s;
  }

  it('Salesforce without Apollo_Id__c: three set-up problems, pushes wait, and go once the field exists', async () => {
    const t = await newSalesforceTenant(h);
    await t.admin.setSchema({ removed: ['Account.Apollo_Id__c', 'Contact.Apollo_Id__c', 'Lead.Apollo_Id__c'] });
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const connected = await x.status();
    assert.deepEqual(
      connected.setup.map((p) => [p.code, p.subject]),
      [
        ['missingField', 'Account.Apollo_Id__c'],
        ['missingField', 'Contact.Apollo_Id__c'],
        ['missingField', 'Lead.Apollo_Id__c'],
      ],
    );
    assert.match(
      connected.setup[1].message,
      /^Salesforce Contact has no field Apollo_Id__c: an administrator creates it .* External ID/,
    );

    await x.updateSettings({ push: { createPeopleAs: 'Contact' } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await x.write('contacts add', { email: `setup${i}@org.example`, last_name: `Setup ${i}` })).id);
    const waiting = await assertWaiting(x, 3);
    assert.equal(waiting.setup.length, 3);
    // Still waiting after several backed-off drains: each looks again, none rejects a record.
    await h.env.sleep('12m');
    await assertWaiting(x, 3);

    // The administrator creates the field; the next drain (at most 5 minutes later) finds it.
    await t.admin.setSchema({});
    await h.env.sleep('6m');
    const done = await x.waitForPushDrained();
    assert.deepEqual(done.setup, []);
    assert.equal(done.push.failure, null);
    for (const id of ids) assert.ok(await x.crmIdOf(id), 'the queued contact was pushed');
    assert.deepEqual(await x.pushErrors(), []);
    await x.disconnect();
  });

  it('Salesforce LeadSource restricted without "Apollo": one problem naming the picklist; adding the value lets pushes through', async () => {
    const t = await newSalesforceTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await x.updateSettings({ push: { createPeopleAs: 'Contact' } });
    assert.deepEqual((await x.status()).setup, []);
    // Then an administrator restricts LeadSource (one picklist shared by Lead and Contact) without
    // our value: the set-up check before the next push batch finds it.
    const restricted = { values: ['Web', 'Phone Inquiry', 'Other'], restricted: true };
    await t.admin.setSchema({ picklists: { 'Lead.LeadSource': restricted, 'Contact.LeadSource': restricted } });
    const { id } = await x.write('contacts add', { email: 'picklist@org.example', last_name: 'Picklist' });
    const waiting = await assertWaiting(x, 1);
    assert.deepEqual(
      waiting.setup.map((p) => [p.code, p.subject]),
      [['picklistValue', 'Salesforce Contact LeadSource']],
    );
    assert.match(
      waiting.setup[0].message,
      /restricted picklist without the value "Apollo" .*\(allowed: Web, Phone Inquiry, Other\)/,
    );

    await t.admin.setSchema({
      picklists: {
        'Lead.LeadSource': { ...restricted, values: [...restricted.values, 'Apollo'] },
        'Contact.LeadSource': { ...restricted, values: [...restricted.values, 'Apollo'] },
      },
    });
    await h.env.sleep('6m');
    const done = await x.waitForPushDrained();
    assert.deepEqual(done.setup, []);
    const crmId = await x.crmIdOf(id);
    assert.ok(crmId);
    assert.equal(t.org.getOf('Contact', crmId)?.LeadSource, 'Apollo');
    await x.disconnect();
  });

  it('HubSpot token without the schema scopes: set-up says which scope, no needsReauth; granting it creates the properties and pushes go', async () => {
    const t = await newTenant(h);
    await t.admin.withholdScopes(t.token, ['crm.schemas.contacts.write', 'crm.schemas.companies.write']);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const connected = await x.status();
    assert.equal(connected.needsReauthReason, null);
    assert.deepEqual(connected.setup.map((p) => [p.code, p.subject]).sort(), [
      ['missingScope', 'companies.apollo_account_id'],
      ['missingScope', 'companies.apollo_source'],
      ['missingScope', 'contacts.apollo_contact_id'],
      ['missingScope', 'contacts.apollo_source'],
    ]);
    const key = connected.setup.find((p) => p.subject === 'contacts.apollo_contact_id')!;
    assert.match(key.message, /missing scope crm\.schemas\.contacts\.write\): grant the app that scope/);

    const { id } = await x.write('contacts add', { email: 'scope@portal.example', last_name: 'Scope' });
    await assertWaiting(x, 1);

    await t.admin.withholdScopes(t.token, []);
    await h.env.sleep('6m');
    const done = await x.waitForPushDrained();
    assert.deepEqual(done.setup, []);
    assert.ok(await x.crmIdOf(id));
    assert.deepEqual(await x.pushErrors(), []);
    const unique = t.portal.portal.customProperties?.contacts.find((p) => p.name === 'apollo_contact_id');
    assert.equal(unique?.hasUniqueValue, true, 'the key property was created unique-valued');
    await x.disconnect();
  });

  it('HubSpot with a pre-existing apollo_contact_id that is not unique: refused as set-up, never upserted on', async () => {
    const t = await newTenant(h);
    const res = await fetch(`${h.sandbox.url}/crm/v3/properties/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'apollo_contact_id',
        label: 'Apollo contact id',
        type: 'string',
        fieldType: 'text',
        groupName: 'contactinformation',
        hasUniqueValue: false,
      }),
    });
    assert.equal(res.status, 201);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const connected = await x.status();
    assert.deepEqual(
      connected.setup.map((p) => [p.code, p.subject]),
      [['wrongField', 'contacts.apollo_contact_id']],
    );
    // The other properties were created, and status says so.
    assert.ok(connected.setupCreated.some((c) => /apollo_account_id created on companies \(unique values\)/.test(c)));
    await x.write('contacts add', { email: 'ambiguous@portal.example', last_name: 'Ambiguous' });
    await assertWaiting(x, 1);
    await x.disconnect();
  });
});
