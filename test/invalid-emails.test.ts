import { DEMO_ORG_SEED, DEMO_PORTAL_SEED } from '../src/dev/demo-setup';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@hubspot/api-client';
import { Connection } from 'jsforce';
import { seedPortal } from '../src/sandbox/hubspot/demo-data';
import { newPortal, PortalIndex } from '../src/sandbox/hubspot/state';
import { seedOrg } from '../src/sandbox/salesforce/demo-data';
import { newOrg, OrgIndex } from '../src/sandbox/salesforce/state';
import { isValidEmail } from '../src/store/workspace-writes';
import { newSalesforceTenant, newTenant, startHarness, waitFor, type Harness } from './support/harness';

/**
 * Seed 000 step 2: "Apollo will refuse to sync invalid-formatted emails". HubSpot and Salesforce
 * refuse such an email on write, so the sandboxes do too and their demo data holds none; records
 * that hold one anyway (imports, older data) are put into the sandbox state directly here.
 */
describe('invalid emails in the CRM (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  /**
   * The run rows' error counters of a workspace's pulls, summed, and the records its pulls logged:
   * one entry each, or the records of their CRM owner's entry when it is linked to no user.
   */
  const runErrors = async (workspaceId: string) => {
    const q = (sql: string) => h.db.query<{ n: number }>(sql, [workspaceId]).then((r) => r.rows[0].n);
    return {
      counted: await q('SELECT coalesce(sum(errors), 0)::int AS n FROM pull_runs WHERE workspace_id = $1'),
      logged: await q(
        `SELECT ((SELECT count(*) FROM error_log WHERE workspace_id = $1 AND job_type IN ('pull', 'owner-sync')
                    AND crm_owner_id IS NULL)
               + (SELECT count(*) FROM error_log e JOIN crm_links l ON l.workspace_id = e.workspace_id
                    AND l.crm = e.crm AND l.object_kind = e.object_kind AND l.crm_owner_id = e.crm_owner_id
                   WHERE e.workspace_id = $1 AND e.resolved_at IS NULL))::int AS n`,
      ),
    };
  };

  it('the sandboxes refuse an invalid email on write, as the CRMs do, and their demo data holds none', async () => {
    // The demo sets of `npm start` (src/dev/demo-setup.ts), generated in memory.
    const portal = new PortalIndex(newPortal(1, 'demo'));
    seedPortal(portal, DEMO_PORTAL_SEED);
    const hsEmails = portal.portal.objects.contacts.map((c) => c.properties.email).filter((e): e is string => !!e);
    assert.equal(hsEmails.length, 5_025);
    assert.deepEqual(
      hsEmails.filter((e) => !isValidEmail(e)),
      [],
    );
    const org = newOrg('00DEMAILS', 'demo');
    seedOrg(new OrgIndex(org), DEMO_ORG_SEED);
    const sfEmails = [...org.records.Contact, ...org.records.Lead, ...org.records.User]
      .map((r) => r.Email)
      .filter((e): e is string => typeof e === 'string' && e !== '');
    assert.ok(sfEmails.length >= 5_500);
    assert.deepEqual(
      sfEmails.filter((e) => !isValidEmail(e)),
      [],
    );

    const hs = await newTenant(h, { contacts: 0, companies: 0 });
    const client = new Client({ accessToken: hs.token, basePath: h.sandbox.url });
    const written = await client.crm.contacts.batchApi
      .upsert({
        inputs: [{ id: 'ann.example.com', idProperty: 'email', properties: { lastname: 'NoAt' } }],
      })
      .then(
        () => assert.fail('HubSpot takes no invalid email'),
        (e: { code: number; body: { category: string; message: string } }) => e,
      );
    assert.equal(written.code, 400);
    assert.match(written.body.message, /Email address ann\.example\.com is invalid/);

    const sf = await newSalesforceTenant(h);
    const conn = new Connection({ instanceUrl: h.salesforce.url, accessToken: sf.token, version: '62.0' });
    const [r] = (await conn
      .sobject('Contact')
      .create([{ LastName: 'Bad', Email: 'carl(at)example.com' }], { allOrNone: false })) as unknown as {
      success: boolean;
      errors: { statusCode?: string; errorCode?: string; message: string; fields: string[] }[];
    }[];
    assert.equal(r.success, false);
    assert.equal(r.errors[0].statusCode ?? r.errors[0].errorCode, 'INVALID_EMAIL_ADDRESS');
    assert.equal(r.errors[0].message, 'Email: invalid email address: carl(at)example.com');
    assert.deepEqual(r.errors[0].fields, ['Email']);
  });

  it('HubSpot: a contact with an invalid email is not pulled but logged and counted; the rest of the page is', async () => {
    const t = await newTenant(h, { contacts: 10, companies: 2 });
    // Imported before HubSpot validated them: the sandbox's state takes what it is given.
    const noAt = t.portal.create('contacts', { email: 'ann.example.com', lastname: 'NoAt' });
    const noTld = t.portal.create('contacts', { email: 'bob@localhost', lastname: 'NoTld' });
    const fine = t.portal.create('contacts', { email: 'cy@fine-email.example', lastname: 'Fine' });
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });

    assert.equal(await x.recordByCrmId('contact', noAt.id), undefined);
    assert.equal(await x.recordByCrmId('contact', noTld.id), undefined);
    assert.ok(await x.recordByCrmId('contact', fine.id), 'the rest of the page is written');
    assert.equal((await x.counts()).contacts, 11);
    const logged = (await x.errorLog({ jobType: 'pull' })).filter((e) => e.errorCode === 'INVALID_EMAIL');
    assert.deepEqual(logged.map((e) => e.crmId).sort(), [noAt.id, noTld.id].sort());
    const e = logged.find((l) => l.crmId === noAt.id)!;
    assert.equal(
      e.message,
      `contacts record ${noAt.id} was not pulled: its email "ann.example.com" is not a valid email address`,
    );
    assert.equal(e.objectKind, 'contact');
    assert.equal(e.localId, null, 'no workspace record was made');
    const n = await runErrors(x.workspaceId);
    assert.equal(n.counted, n.logged, "counted in the run's errors, with the owner-sync entries");

    // A linked contact whose email turns invalid keeps its workspace values; the entry names it.
    const before = (await x.recordByCrmId('contact', fine.id))!;
    t.portal.update('contacts', fine.id, { email: 'cy@@fine-email.example', lastname: 'Changed' });
    await x.pullNow();
    const entry = await waitFor(
      'the linked contact refused',
      async () => (await x.errorLog({ jobType: 'pull' })).find((l) => l.crmId === fine.id),
      (l) => !!l,
    );
    assert.equal(entry!.localId, before.id);
    assert.match(entry!.message, /"cy@@fine-email\.example"/);
    const afterPull = (await x.recordByCrmId('contact', fine.id))!;
    assert.equal(afterPull.fields.email, 'cy@fine-email.example');
    assert.equal(afterPull.fields.last_name, 'Fine');
  });

  it('Salesforce: Contacts and Leads with invalid emails are not pulled but logged; the rest are', async () => {
    const t = await newSalesforceTenant(h);
    const badContact = t.org.create('Contact', { LastName: 'Bad', Email: 'carl(at)example.com' });
    const badLead = t.org.create('Lead', { LastName: 'Worse', Company: 'X', Email: 'lee@example..com' });
    const goodLead = t.org.create('Lead', { LastName: 'Good', Company: 'X', Email: 'gail@good-email.example' });
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });

    assert.equal(await x.recordByCrmId('contact', String(badContact.Id)), undefined);
    assert.equal(await x.recordByCrmId('contact', String(badLead.Id)), undefined);
    assert.ok(await x.recordByCrmId('contact', String(goodLead.Id)));
    const logged = (await x.errorLog({ jobType: 'pull' })).filter((e) => e.errorCode === 'INVALID_EMAIL');
    assert.deepEqual(logged.map((e) => e.crmId).sort(), [String(badContact.Id), String(badLead.Id)].sort());
    assert.equal(
      logged.find((e) => e.crmId === String(badLead.Id))!.message,
      `Lead record ${String(badLead.Id)} was not pulled: its email "lee@example..com" is not a valid email address`,
    );
    const n = await runErrors(x.workspaceId);
    assert.equal(n.counted, n.logged);
  });
});
