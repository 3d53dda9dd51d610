import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkFieldMappingActivity, type FieldMappingCheck } from '../src/activities/mapping-check';
import { CrmConnections, staticConnections, type ConnectionConfig } from '../src/crm/connections';
import { CrmError } from '../src/crm/errors';
import { SalesforceAdapter } from '../src/crm/salesforce/adapter';
import { defaultFieldMapping } from '../src/domain/field-mapping';
import type { MappingCheckEntry } from '../src/domain/mapping-check';
import { createLogger } from '../src/logger';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox, type HubSpotSandbox } from '../src/sandbox/hubspot/server';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox, type SalesforceSandbox } from '../src/sandbox/salesforce/server';
import { openDb, type Db } from '../src/store/db';
import { ensureWorkspace } from '../src/store/workspace-store';
import { addAccount, addContact } from '../src/store/workspace-writes';

/**
 * A field mapping checked against the CRM when it is set: the real activity, the official clients,
 * both sandboxes' properties API / describe, and workspace values from the database. Every refusal
 * is one sentence; a valid mapping gets none.
 */
describe('field mapping checked against the CRM', () => {
  let hubspot: HubSpotSandbox;
  let salesforce: SalesforceSandbox;
  let db: Db;
  const connections: Record<string, ConnectionConfig> = {};
  let check: (input: FieldMappingCheck) => Promise<{ problems: string[] }>;
  const hs = { workspaceId: 'mapcheck-hs', crm: 'hubspot' as const, connection: 'mapcheck-hubspot', portalId: 424242 };
  const sf = {
    workspaceId: 'mapcheck-sf',
    crm: 'salesforce' as const,
    connection: 'mapcheck-salesforce',
    orgId: '00DMAPCHK',
  };

  /** Workspace stages that are neither HubSpot lead statuses nor Salesforce Lead statuses. */
  const STAGES = ['cold', 'warm', 'hot', 'frozen'];
  const LONG_TITLE = `Vice President of ${'Worldwide '.repeat(12)}Sales`;

  async function seedWorkspace(workspaceId: string) {
    await ensureWorkspace(db, workspaceId, 'paid');
    for (const [i, stage] of STAGES.entries())
      await addContact(db, workspaceId, {
        email: `p${i}@${workspaceId}.example`,
        last_name: `Person ${i}`,
        title: i === 0 ? LONG_TITLE : 'CTO',
        stage,
        custom: { size: i === 0 ? 'about 50' : '250' },
      });
    await addAccount(db, workspaceId, {
      name: 'Mapcheck Inc',
      domain: `${workspaceId}.example`,
      custom: { size: 'a few' },
    });
  }

  before(async () => {
    [hubspot, salesforce, db] = await Promise.all([startHubSpotSandbox(), startSalesforceSandbox(), openDb()]);
    const hsAdmin = await HubSpotSandboxAdmin.createPortal(hubspot.url, hs.portalId, 'pat-mapcheck', {});
    await hsAdmin.seed({ contacts: 5, companies: 2, owners: 1, seed: 7 });
    connections[hs.connection] = { crm: 'hubspot', accessToken: 'pat-mapcheck', baseUrl: hubspot.url };
    const sfAdmin = await SalesforceSandboxAdmin.createOrg(salesforce.url, sf.orgId, '00D-mapcheck');
    await sfAdmin.seed({ accounts: 2, contacts: 5, leads: 5, users: 1, seed: 7 });
    connections[sf.connection] = { crm: 'salesforce', accessToken: '00D-mapcheck', instanceUrl: salesforce.url };
    await seedWorkspace(hs.workspaceId);
    await seedWorkspace(sf.workspaceId);
    check = checkFieldMappingActivity({
      db,
      connections: new CrmConnections(staticConnections(connections)),
      logger: createLogger({ level: 'silent' }),
    });
  });
  after(async () => {
    await Promise.all([hubspot?.close(), salesforce?.close(), db?.close()]);
  });

  const onHubSpot = (mapping: FieldMappingCheck['mapping']) => check({ ...hs, mapping });
  const onSalesforce = (mapping: FieldMappingCheck['mapping']) => check({ ...sf, mapping });
  const entry = (
    crmField: string,
    localField: string,
    direction: MappingCheckEntry['direction'],
    crmObject?: 'Lead' | 'Contact',
  ): MappingCheckEntry => ({
    crmField,
    localField,
    direction,
    ...(crmObject ? { crmObject } : {}),
  });

  /** Each problem is one sentence on one line, and they are the ones expected, in order. */
  function refused(problems: string[], expected: RegExp[]) {
    assert.equal(problems.length, expected.length, problems.join('\n'));
    problems.forEach((p, i) => {
      assert.match(p, expected[i]);
      assert.doesNotMatch(p, /[.!?]\s+\S|\n/, `one sentence: ${p}`);
    });
  }

  describe('HubSpot (properties API)', () => {
    it('accepts the default mapping and a valid one, with one properties call per object', async () => {
      const before = hubspot.portalStats(hs.portalId).requests;
      const mapping = defaultFieldMapping('hubspot');
      const { problems } = await onHubSpot({
        contact: [
          ...mapping.contact,
          entry('hs_lead_status', 'custom.lead_status', 'pull'),
          entry('hs_object_id', 'custom.hs_id', 'pull'),
        ],
        account: [...mapping.account, entry('num_associated_contacts', 'custom.contacts', 'pull')],
      });
      assert.deepEqual(problems, []);
      assert.equal(
        hubspot.portalStats(hs.portalId).requests - before,
        2,
        'GET /crm/v3/properties/{type} once per object',
      );
    });

    it('refuses a property that does not exist', async () => {
      const { problems } = await onHubSpot({
        contact: [entry('apollo_score', 'custom.score', 'pull')],
        account: [entry('company_size', 'custom.size', 'both')],
      });
      refused(problems, [
        /^contact field mapping names property "apollo_score", which does not exist on HubSpot contacts$/,
        /^account field mapping names property "company_size", which does not exist on HubSpot companies$/,
      ]);
    });

    it('refuses pushing to a read-only or calculated property, and lets it be pulled', async () => {
      const { problems } = await onHubSpot({
        contact: [
          entry('hs_object_id', 'custom.hs_id', 'push'),
          entry('lastmodifieddate', 'custom.modified', 'both'),
          entry('createdate', 'custom.created', 'pull'),
        ],
        account: [entry('num_associated_contacts', 'custom.contacts', 'both')],
      });
      refused(problems, [
        /^contact field mapping pushes workspace field "custom\.hs_id" to HubSpot contacts property "hs_object_id", which is read-only, so map it with direction "pull" or choose another field$/,
        /"lastmodifieddate", which is read-only/,
        /^account field mapping pushes workspace field "custom\.contacts" to HubSpot companies property "num_associated_contacts", which is calculated by HubSpot and read-only/,
      ]);
    });

    it('refuses pushing workspace values an enumeration does not have, naming three and the options', async () => {
      const { problems } = await onHubSpot({ contact: [entry('hs_lead_status', 'stage', 'push')] });
      refused(problems, [
        new RegExp(
          '^contact field mapping pushes workspace field "stage" to HubSpot contacts property "hs_lead_status", ' +
            'a restricted picklist that does not allow the workspace values "frozen", "cold", "warm" and 1 more ' +
            '\\(allowed: NEW, OPEN, IN_PROGRESS, OPEN_DEAL, UNQUALIFIED, ATTEMPTED_TO_CONTACT, CONNECTED, BAD_TIMING\\)$',
        ),
      ]);
      // Pulled, the CRM's values come in and nothing of the workspace goes out.
      assert.deepEqual((await onHubSpot({ contact: [entry('hs_lead_status', 'stage', 'pull')] })).problems, []);
    });

    it('refuses a property name that is not a HubSpot internal name, without asking HubSpot', async () => {
      const before = hubspot.portalStats(hs.portalId).requests;
      const { problems } = await onHubSpot({
        contact: [entry('jobtitle; DELETE', 'title', 'both'), entry('JobTitle', 'custom.t', 'pull')],
      });
      refused(problems, [
        /^contact field mapping of "title": HubSpot property name "jobtitle; DELETE" may contain only lowercase letters, digits and underscores$/,
        /HubSpot property name "JobTitle" must be lowercase/,
      ]);
      assert.equal(hubspot.portalStats(hs.portalId).requests, before);
    });

    it('refuses pushing text to a number property', async () => {
      const { problems } = await onHubSpot({ account: [entry('numberofemployees', 'custom.size', 'push')] });
      refused(problems, [
        /property "numberofemployees", a number field, but the workspace value "a few" is not a number$/,
      ]);
    });
  });

  describe('Salesforce (describe)', () => {
    it('accepts the default mapping and a valid one, with one describe per sObject', async () => {
      const before = salesforce.orgStats(sf.orgId).requests;
      const mapping = defaultFieldMapping('salesforce');
      const { problems } = await onSalesforce({
        contact: [
          ...mapping.contact.filter((e) => e.localField !== 'title'),
          entry('Status', 'custom.lead_status', 'pull', 'Lead'),
          entry('Name', 'custom.full_name', 'pull'),
        ],
        account: [...mapping.account, entry('NumberOfEmployees', 'custom.employees', 'pull')],
      });
      assert.deepEqual(problems, []);
      assert.equal(salesforce.orgStats(sf.orgId).requests - before, 3, 'Lead, Contact and Account described once each');
    });

    it('refuses a field that does not exist on Lead or Contact, or on the one it should be on', async () => {
      const { problems } = await onSalesforce({
        contact: [
          entry('Score__c', 'custom.score', 'pull'),
          entry('Status', 'custom.lead_status', 'pull'),
          entry('AccountId', 'custom.account', 'pull', 'Lead'),
        ],
        account: [entry('acme__Tier__c', 'custom.tier', 'both')],
      });
      refused(problems, [
        /^contact field mapping names field "Score__c", which does not exist on Salesforce Lead or Salesforce Contact$/,
        /^contact field mapping names field "Status", which does not exist on Salesforce Contact \(set "crmObject": "Lead" if it belongs there only\)$/,
        /^contact field mapping names field "AccountId", which does not exist on Salesforce Lead$/,
        /^account field mapping names field "acme__Tier__c", which does not exist on Salesforce Account$/,
      ]);
    });

    it('refuses pushing to a field that is neither createable nor updateable, and lets it be pulled', async () => {
      const { problems } = await onSalesforce({
        contact: [
          entry('Name', 'last_name', 'both'),
          entry('IsConverted', 'custom.converted', 'push', 'Lead'),
          entry('SystemModstamp', 'custom.modified', 'pull'),
        ],
        account: [entry('CreatedDate', 'custom.created', 'push')],
      });
      refused(problems, [
        /^contact field mapping pushes workspace field "last_name" to Salesforce Lead field "Name", which is read-only, so map it with direction "pull" or choose another field$/,
        /Salesforce Lead field "IsConverted", which is read-only/,
        /^account field mapping pushes workspace field "custom\.created" to Salesforce Account field "CreatedDate", which is read-only/,
      ]);
    });

    it('refuses pushing workspace values a restricted picklist does not have, naming three and the options', async () => {
      const { problems } = await onSalesforce({ contact: [entry('Status', 'stage', 'push', 'Lead')] });
      refused(problems, [
        new RegExp(
          '^contact field mapping pushes workspace field "stage" to Salesforce Lead field "Status", a restricted ' +
            'picklist that does not allow the workspace values "frozen", "cold", "warm" and 1 more \\(allowed: ' +
            'Open - Not Contacted, Working - Contacted, Closed - Converted, Closed - Not Converted\\)$',
        ),
      ]);
      // LeadSource is not restricted: Salesforce takes any value.
      assert.deepEqual((await onSalesforce({ contact: [entry('LeadSource', 'stage', 'push')] })).problems, []);
    });

    it('refuses a field name that is not a Salesforce identifier, without asking Salesforce', async () => {
      const before = salesforce.orgStats(sf.orgId).requests;
      const { problems } = await onSalesforce({
        contact: [entry('Title; DELETE', 'title', 'both'), entry('Email FROM Lead', 'email', 'pull')],
        account: [entry('Bad__Name', 'name', 'pull')],
      });
      refused(problems, [
        /^contact field mapping of "title": Salesforce field name "Title; DELETE" may contain only letters, digits and underscores$/,
        /Salesforce field name "Email FROM Lead" may contain only letters, digits and underscores$/,
        /^account field mapping of "name": Salesforce field name "Bad__Name" may use two underscores in a row only/,
      ]);
      assert.equal(salesforce.orgStats(sf.orgId).requests, before);
    });

    it('refuses workspace values longer than the field or not of its type', async () => {
      const { problems } = await onSalesforce({
        contact: [entry('Title', 'title', 'both')],
        account: [entry('NumberOfEmployees', 'custom.size', 'push')],
      });
      refused(problems, [
        /^contact field mapping pushes workspace field "title" to Salesforce Lead field "Title", which holds at most 128 characters, and the workspace value "Vice President of Worldwide [^"]*\.\.\." is longer$/,
        /field "NumberOfEmployees", a number field, but the workspace value "a few" is not a number$/,
      ]);
    });

    it('a pull never puts a field name that is not an identifier into SOQL', async () => {
      const adapter = new SalesforceAdapter('mapcheck-soql', {
        accessToken: '00D-mapcheck',
        instanceUrl: salesforce.url,
      });
      await assert.rejects(
        adapter.fetchPage({
          stream: 'Contact',
          cursor: null,
          fields: ['Email', 'Id FROM User --'],
          sinceMs: null,
          untilMs: Date.now(),
        }),
        (err: unknown) =>
          err instanceof CrmError &&
          err.kind === 'invalid' &&
          /^Salesforce field name "Id FROM User --" may contain only letters, digits and underscores, so the Contact pull does not query it$/.test(
            err.message,
          ),
      );
    });
  });
});
