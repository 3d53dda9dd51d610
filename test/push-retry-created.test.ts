import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HubSpotAdapter } from '../src/crm/hubspot/adapter';
import type { CrmPort, OutboundRecord, PushOutcome } from '../src/crm/port';
import { SalesforceAdapter } from '../src/crm/salesforce/adapter';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox, type HubSpotSandbox } from '../src/sandbox/hubspot/server';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox, type SalesforceSandbox } from '../src/sandbox/salesforce/server';

/**
 * A push batch is retried as a whole when an attempt fails after the CRM took some of its writes
 * (an outage between the accounts and the contacts, or before the associations): the retry finds
 * the records the failed attempt created. They carry the workspace id in our key field, which only
 * a push of that very record writes, so the retry reports them created, and the status totals count
 * each record created once (the 30-minute push outage of the fault suite depends on this).
 */
function records(n: number, tag: string, person: (email: string, i: number) => Record<string, string>) {
  const domain = `retry-${tag}.example`;
  const account: OutboundRecord = {
    ...bare(randomUUID()),
    properties: {},
  };
  const people = Array.from({ length: n }, (_, i): OutboundRecord => {
    const email = `p${i}@${domain}`;
    return { ...bare(randomUUID()), properties: person(email, i), email, matchEmail: email };
  });
  return { domain, account, people };
}

function bare(localId: string): OutboundRecord {
  return {
    localId,
    crmId: null,
    crmObject: null,
    properties: {},
    onCreate: {},
    ownerCrmId: null,
    email: null,
    matchEmail: null,
    accountCrmId: null,
    accountName: null,
  };
}

function ok(outcomes: PushOutcome[]) {
  return outcomes.map((o) => {
    assert.ok(o.ok, `pushed: ${JSON.stringify(o)}`);
    return { localId: o.localId, crmId: o.crmId, created: o.created };
  });
}

/** Pushes the account and people twice, the second time as a retry that lost the first's answers. */
async function pushTwice(
  crm: CrmPort,
  fields: { name: string; domain: string },
  createAs: 'Lead' | 'Contact',
  person: (email: string, i: number) => Record<string, string>,
) {
  const { domain, account, people } = records(3, randomUUID().slice(0, 8), person);
  account.properties = { [fields.name]: `Retryco ${domain}`, [fields.domain]: domain };
  const first = {
    accounts: ok(await crm.pushAccounts([account])),
    people: ok(await crm.pushContacts(people, createAs)),
  };
  // The retry's account lookup by domain finds the account, carrying the id of the record it was made for.
  const found = await crm.findAccountsByDomain([domain]);
  assert.deepEqual(
    found.map((m) => ({ crmId: m.crmId, createdFor: m.createdFor })),
    [{ crmId: first.accounts[0].crmId, createdFor: account.localId }],
  );
  const again = { people: ok(await crm.pushContacts(people, createAs)) };
  return { first, again, people };
}

describe('a retried push reports what its failed attempt created as created, once per record', () => {
  let hubspot: HubSpotSandbox;
  let salesforce: SalesforceSandbox;
  before(async () => {
    [hubspot, salesforce] = await Promise.all([startHubSpotSandbox(), startSalesforceSandbox()]);
  });
  after(async () => Promise.all([hubspot?.close(), salesforce?.close()]));

  it('HubSpot: contacts found by email carrying their own apollo_contact_id are created; others are not', async () => {
    const admin = await HubSpotSandboxAdmin.createPortal(hubspot.url, 424242, 'pat-retry-created', {});
    await admin.seed({ contacts: 0, companies: 0, owners: 1, seed: 1 });
    const crm = new HubSpotAdapter('retry-created', { accessToken: 'pat-retry-created', baseUrl: hubspot.url });
    const { first, again, people } = await pushTwice(crm, { name: 'name', domain: 'domain' }, 'Contact', (email) => ({
      email,
    }));
    assert.deepEqual(
      first.people.map((p) => p.created),
      [true, true, true],
    );
    assert.deepEqual(again.people, first.people, 'the same contacts, created, nothing made twice');
    assert.equal((await admin.ids('contacts')).count, people.length);
    // A different workspace record with one of those emails matches the contact, but did not create it.
    const other = { ...people[0], localId: randomUUID() };
    assert.deepEqual(
      ok(await crm.pushContacts([other])).map((p) => ({ crmId: p.crmId, created: p.created })),
      [{ crmId: first.people[0].crmId, created: false }],
    );
  });

  it('Salesforce: people found by email carrying their own Apollo_Id__c, and upserts on it, are created', async () => {
    const admin = await SalesforceSandboxAdmin.createOrg(salesforce.url, '00DRETRY01', 'sf-retry-created');
    await admin.seed({ accounts: 0, contacts: 0, leads: 0, users: 1, seed: 1 });
    const crm = new SalesforceAdapter('retry-created', {
      accessToken: 'sf-retry-created',
      instanceUrl: salesforce.url,
    });
    const { first, again, people } = await pushTwice(
      crm,
      { name: 'Name', domain: 'Website' },
      'Contact',
      (Email, i) => ({
        Email,
        LastName: `Person ${i}`,
      }),
    );
    assert.deepEqual(
      first.people.map((p) => p.created),
      [true, true, true],
    );
    assert.deepEqual(again.people, first.people, 'the same people, created, nothing made twice');
    // Duplicate handling off (no matchEmail): the retry upserts on Apollo_Id__c and finds its own record.
    const keyed = people.map((p) => ({ ...p, matchEmail: null }));
    assert.deepEqual(ok(await crm.pushContacts(keyed, 'Contact')), first.people);
    const other = { ...people[0], localId: randomUUID() };
    assert.deepEqual(
      ok(await crm.pushContacts([other], 'Contact')).map((p) => ({ crmId: p.crmId, created: p.created })),
      [{ crmId: first.people[0].crmId, created: false }],
    );
  });
});
