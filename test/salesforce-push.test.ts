import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeAndNotify } from '../src/client/workspace-writes';
import { integrationWorkflowId } from '../src/domain/integration-input';
import type { OrgIndex } from '../src/sandbox/salesforce/state';
import { errorLog } from '../src/store/reports';
import { linkCrmOwner, upsertUser } from '../src/store/workspace-store';
import { addContact } from '../src/store/workspace-writes';
import { pushRecordsUpdate, reauthorizeSignal, retryFailedUpdate, settingsQuery, statusQuery, TASK_QUEUE, updateSettingsUpdate } from '../src/workflows/contract';
import { integrationWorkflow } from '../src/workflows/integration';
import { newSalesforceTenant, refusal, startHarness, waitFor, type Harness } from './support/harness';

/** Push to Salesforce: Leads or Contacts, email dedup across both, external-id upserts, per-record errors. */
describe('push to Salesforce (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  async function syncing(o: Parameters<typeof newSalesforceTenant>[1] = {}) {
    const t = await newSalesforceTenant(h, o);
    const handle = await h.env.client.workflow.start(integrationWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: integrationWorkflowId(t.workspaceId, 'salesforce'),
      args: [{ workspaceId: t.workspaceId, crm: 'salesforce', connection: t.connection, syncUserId: t.syncUserId, plan: 'free' }],
    });
    const status = () => handle.query(statusQuery);
    await waitFor('syncing', status, (s) => s.phase === 'syncing');
    const org = [...h.salesforce.orgs.values()].find((o) => o.org.tokens.includes(t.token))!;
    const write = (op: Parameters<typeof writeAndNotify>[2], fields: unknown, id?: string, userId?: string) =>
      writeAndNotify(h.db, h.env.client, op, t.workspaceId, fields, { id, userId });
    const pushed = () => waitFor('push drained', status, (s) => !s.push.pushing && s.push.due === 0 && s.push.lastBatchAt !== null);
    const errors = async () => (await errorLog(h.db, t.workspaceId, 'salesforce', { jobType: 'push' })).filter((e) => !e.resolvedAt);
    const link = async (localId: string) =>
      (await h.db.query<{ crm_id: string; crm_object: string }>(`SELECT crm_id, crm_object FROM crm_links WHERE workspace_id = $1 AND crm = 'salesforce' AND local_id = $2`, [t.workspaceId, localId])).rows[0];
    return { t, handle, status, org, write, pushed, errors, link };
  }

  const byEmail = (org: OrgIndex, type: 'Lead' | 'Contact', email: string) =>
    org.org.records[type].filter((r) => r.IsDeleted !== true && typeof r.Email === 'string' && r.Email.toLowerCase() === email.toLowerCase());

  it('creates new people as Leads with their company as text, and Contacts on the account once the setting says so', async () => {
    const x = await syncing();
    const acct = await x.write('accounts add', { name: 'Globex Push', domain: 'globex-push.example' });
    const lead = await x.write('contacts add', { email: 'lena@globex-push.example', first_name: 'Lena', last_name: 'Lead', account_id: acct.id });
    const orphan = await x.write('contacts add', { email: 'solo@nowhere.example', last_name: 'Solo' });
    await x.pushed();

    const [l] = byEmail(x.org, 'Lead', 'lena@globex-push.example');
    assert.ok(l, 'created as a Lead');
    assert.equal(l.Company, 'Globex Push');
    assert.equal(l.LeadSource, 'Apollo');
    assert.equal(l.Apollo_Id__c, lead.id);
    assert.equal(l.AccountId, undefined, 'leads are not associated with accounts');
    assert.deepEqual(await x.link(lead.id), { crm_id: String(l.Id), crm_object: 'Lead' });
    const account = x.org.org.records.Account.find((a) => a.Website === 'globex-push.example');
    assert.ok(account, 'the account was pushed too');

    // A Lead needs a Company: Salesforce refuses it, and the error log names the field.
    const [e] = await x.errors();
    assert.equal(e.localId, orphan.id);
    assert.equal(e.errorCode, 'REQUIRED_FIELD_MISSING');
    assert.equal(e.field, 'Company');

    await x.handle.executeUpdate(updateSettingsUpdate, { args: [{ push: { createPeopleAs: 'Contact' } }] });
    const c = await x.write('contacts add', { email: 'carl@globex-push.example', last_name: 'Contact', account_id: acct.id });
    await x.pushed();
    const [contact] = byEmail(x.org, 'Contact', 'carl@globex-push.example');
    assert.equal(contact.AccountId, account.Id);
    assert.equal((await x.link(c.id)).crm_object, 'Contact');
    // The setting changed nothing already pushed: Lena is still a Lead, and the orphan (retried by
    // itself after the settings change) is now a Contact, which needs no company.
    await x.write('contacts update', { title: 'VP' }, lead.id);
    await x.pushed();
    assert.equal(byEmail(x.org, 'Lead', 'lena@globex-push.example')[0].Title, 'VP');
    assert.equal(byEmail(x.org, 'Contact', 'lena@globex-push.example').length, 0);
    assert.equal((await x.link(orphan.id))?.crm_object, 'Contact');
    assert.deepEqual(await x.errors(), []);
  });

  it('matches people by email, case-insensitively, preferring the Contact over a Lead; never creates a duplicate', async () => {
    const x = await syncing();
    const contact = x.org.create('Contact', { LastName: 'Existing', Email: 'same@person.example' });
    x.org.create('Lead', { LastName: 'Existing', Company: 'X', Email: 'SAME@person.example' });
    const w = await x.write('contacts add', { email: 'Same@Person.example', first_name: 'Sam', last_name: 'Existing' });
    await x.pushed();
    assert.equal(byEmail(x.org, 'Contact', 'same@person.example').length, 1);
    assert.equal(byEmail(x.org, 'Lead', 'same@person.example').length, 1);
    assert.equal(contact.FirstName, 'Sam', 'the existing Contact was updated');
    assert.deepEqual(await x.link(w.id), { crm_id: String(contact.Id), crm_object: 'Contact' });
  });

  it('a guessed email is left out when the setting says so, the record still goes', async () => {
    const x = await syncing();
    await x.handle.executeUpdate(updateSettingsUpdate, { args: [{ push: { pushGuessedEmails: false, createPeopleAs: 'Contact' } }] });
    const w = await x.write('contacts add', { email: 'guess@maybe.example', email_status: 'guessed', last_name: 'Guess' });
    await x.pushed();
    const l = await x.link(w.id);
    const rec = x.org.getOf('Contact', l.crm_id)!;
    assert.equal(rec.LastName, 'Guess');
    assert.ok(rec.Email === undefined || rec.Email === null, 'the guessed email was not pushed');
  });

  it('a restricted picklist value is rejected with the field; retry says it failed the same way', async () => {
    const x = await syncing();
    const settings = await x.handle.query(settingsQuery);
    await x.handle.executeUpdate(updateSettingsUpdate, {
      args: [{ fieldMapping: { contact: [...settings.fieldMapping.contact, { crmField: 'Status', localField: 'custom.lead_status', direction: 'push' }] } }],
    });
    const acct = await x.write('accounts add', { name: 'Acme Picklist', domain: 'acme-picklist.example' });
    const bad = await x.write('contacts add', { email: 'hot@lead.example', last_name: 'Hot', account_id: acct.id, custom: { lead_status: 'Hot' } });
    const fine = await x.write('contacts add', { email: 'ok@lead.example', last_name: 'Ok', account_id: acct.id, custom: { lead_status: 'Working - Contacted' } });
    await x.pushed();
    assert.equal(byEmail(x.org, 'Lead', 'ok@lead.example')[0]?.Status, 'Working - Contacted', 'the good record of the batch went');
    assert.ok(await x.link(fine.id));
    const [e] = await x.errors();
    assert.equal(e.localId, bad.id);
    assert.equal(e.errorCode, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    assert.equal(e.field, 'Status');
    assert.match(e.message, /bad value for restricted picklist field: Hot/);
    assert.equal((await x.handle.executeUpdate(retryFailedUpdate, { args: [{ ids: [bad.id] }] })).queued, 1);
    await x.pushed();
    const again = (await x.errors()).find((r) => r.localId === bad.id)!;
    assert.equal(again.attempts, 2);
    assert.equal(again.sameAsBefore, true);
    assert.match(await refusal(x.handle.executeUpdate(updateSettingsUpdate, { args: [{ push: { createPeopleAs: 'Person' } }] } as never)), /^invalid settings: push\.createPeopleAs/);
  });

  it('a lost signal is caught by the sweep; a record that failed for a passing cause is retried on a later cycle', async () => {
    const x = await syncing();
    await x.handle.executeUpdate(updateSettingsUpdate, { args: [{ push: { createPeopleAs: 'Contact' } }] });
    // Written without the nudge, as if the signal were lost: the 5-minute sweep finds it.
    const quiet = await addContact(h.db, x.t.workspaceId, { email: 'quiet@sweep.example', last_name: 'Quiet' });
    await h.env.sleep('6 minutes');
    await waitFor('swept', () => x.link(quiet.id), (l) => !!l);

    // Every row locked: the record fails for a passing cause, stays due later, and is visible meanwhile.
    await x.t.admin.setFaults({ lockRate: 1 });
    const locked = await x.write('contacts add', { email: 'locked@sweep.example', last_name: 'Locked' });
    const s = await waitFor('transient failure', x.status, (st) => st.push.totals.transient >= 1);
    assert.equal(s.push.deferred, 1);
    const [e] = await x.errors();
    assert.equal(e.errorCode, 'UNABLE_TO_LOCK_ROW');
    assert.equal(await x.link(locked.id), undefined);
    await x.t.admin.setFaults({ lockRate: 0 });
    // The first backoff is a minute of database time; then the next sweep pushes it.
    await new Promise((r) => setTimeout(r, 62_000));
    await h.env.sleep('6 minutes');
    await waitFor('retried by itself', () => x.link(locked.id), (l) => !!l);
    assert.deepEqual(await x.errors(), [], 'the error is resolved once the record went');
  });

  it('the source field is checked against the picklist of the object people are created as', async () => {
    const x = await syncing();
    const set = (push: object) => x.handle.executeUpdate(updateSettingsUpdate, { args: [{ push }] } as never);
    // LeadSource is an open picklist: any value goes, and lands on the record.
    await set({ source: { value: 'Apollo Outbound' } });
    const acct = await x.write('accounts add', { name: 'Source Co', domain: 'source-co.example' });
    await x.write('contacts add', { email: 'src@source-co.example', last_name: 'Src', account_id: acct.id });
    await x.pushed();
    assert.equal(byEmail(x.org, 'Lead', 'src@source-co.example')[0].LeadSource, 'Apollo Outbound');
    // Lead Status is restricted: a value outside it is refused before anything is pushed.
    assert.match(await refusal(set({ source: { field: 'Status', value: 'Apollo' } })), /^invalid settings: source value "Apollo" is not an allowed value of picklist Status \(allowed: Open - Not Contacted, /);
    assert.match(await refusal(set({ source: { field: 'Apollo_Source__c' } })), /source field "Apollo_Source__c" does not exist on Lead/);
    // The check follows createPeopleAs: Contacts have no Status field.
    assert.match(await refusal(set({ createPeopleAs: 'Contact', source: { field: 'Status', value: 'Open - Not Contacted' } })), /source field "Status" does not exist on Contact/);
    assert.deepEqual((await x.handle.query(settingsQuery)).push.source, { field: 'LeadSource', value: 'Apollo Outbound' }, 'refused updates changed nothing');
  });

  it('an account takes the most recently modified of several with its domain; owners are the pusher\'s, else the sync user\'s', async () => {
    const x = await syncing();
    await x.handle.executeUpdate(updateSettingsUpdate, { args: [{ push: { createPeopleAs: 'Contact' } }] });
    const [repOwner, syncOwner] = x.org.org.records.User.filter((u) => u.Id !== x.org.org.userId).map((u) => String(u.Id));
    const rep = `${x.t.workspaceId}-rep`;
    await upsertUser(h.db, { id: rep, workspaceId: x.t.workspaceId, email: `rep@${x.t.workspaceId}.example`, name: 'Rep' });
    await linkCrmOwner(h.db, x.t.workspaceId, 'salesforce', repOwner, rep);
    await linkCrmOwner(h.db, x.t.workspaceId, 'salesforce', syncOwner, x.t.syncUserId);
    // Two CRM accounts already hold the domain, made after the initial pull. The more recently
    // modified one wins, though it is not the last created (ids would say otherwise).
    const now = Date.now();
    // Website is free text in Salesforce: the recent one is spelt as a URL.
    const newer = x.org.create('Account', { Name: 'Twin (recent)', Website: 'https://www.twin-sf.example/' }, now - 60_000);
    x.org.create('Account', { Name: 'Twin (stale)', Website: 'twin-sf.example' }, now - 3_600_000);

    const acct = await x.write('accounts add', { name: 'Twin', domain: 'Twin-SF.example' });
    const byRep = await x.write('contacts add', { email: 'rita@twin-sf.example', last_name: 'Rep', account_id: acct.id }, undefined, rep);
    const byNobody = await x.write('contacts add', { email: 'sam@twin-sf.example', last_name: 'Sync', account_id: acct.id });
    await x.pushed();

    assert.deepEqual(await x.link(acct.id), { crm_id: String(newer.Id), crm_object: 'Account' });
    assert.equal(x.org.org.records.Account.filter((a) => String(a.Website).includes('twin-sf.example')).length, 2, 'no third account');
    const rita = x.org.getOf('Contact', (await x.link(byRep.id)).crm_id)!;
    const sam = x.org.getOf('Contact', (await x.link(byNobody.id)).crm_id)!;
    assert.equal(rita.AccountId, newer.Id);
    assert.equal(rita.OwnerId, repOwner, "the pushing user's linked owner");
    assert.equal(sam.OwnerId, syncOwner, "no pushing user: the sync user's owner");
    const logged = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'account matched to an existing CRM account by domain' && l.localId === acct.id);
    assert.equal(logged?.crmId, String(newer.Id), 'the choice is recorded');
    assert.equal(logged?.candidates, 2);
  });

  it('stops before the daily reserve, shows the pause, and pushes by itself once the allowance renews', async () => {
    const x = await syncing({ limits: { dailyMax: 2_000 } });
    // Other integrations have spent all but what the 10% reserve keeps back.
    await x.t.admin.setUsage(1_799);
    const acct = await x.write('accounts add', { name: 'Reserve Co', domain: 'reserve.example' });
    const w = await x.write('contacts add', { email: 'late@reserve.example', last_name: 'Late', title: 'Waits', account_id: acct.id });
    const paused = await waitFor('paused', x.status, (s) => s.pausedUntil !== null);
    assert.match(paused.pauseReason!, /daily API allowance nearly spent \(\d+ of 2000 used; 10% is kept for other integrations\)/);
    assert.equal(paused.push.totals.rejected, 0, 'a pause is not a rejection');
    assert.equal(await x.link(w.id), undefined);
    const stats = await x.t.admin.stats();
    assert.equal(stats.limitRejections, 0, 'the push stopped before Salesforce had to refuse');
    assert.ok((await x.t.admin.usage()).count <= 1_803, 'the reserve is left whole');

    await x.t.admin.setUsage(0);
    await h.env.sleep('61m');
    await waitFor('pushed after the pause', () => x.link(w.id), (l) => !!l);
    const done = await x.status();
    assert.equal(done.pausedUntil, null);
    assert.equal(done.push.totals.rejected, 0);
    assert.equal(byEmail(x.org, 'Lead', 'late@reserve.example')[0]?.Title, 'Waits');
  });

  it('conditions decide net-new people and accounts; a manual push overrides them and is refused when push is off', async () => {
    const x = await syncing();
    await x.handle.executeUpdate(updateSettingsUpdate, {
      args: [{ push: { createPeopleAs: 'Contact', contacts: { conditions: { customField: { field: 'persona', value: 'buyer' } } }, accounts: { conditions: { stages: ['Customer'] } } } }],
    });
    const customer = await x.write('accounts add', { name: 'Customer Co', domain: 'customer-co.example', stage: 'customer' });
    const prospect = await x.write('accounts add', { name: 'Prospect Co', domain: 'prospect-co.example', stage: 'Prospect' });
    // A contact's account goes with it, whatever the account conditions say.
    const buyersCo = await x.write('accounts add', { name: 'Buyers Co', domain: 'buyers-co.example', stage: 'Prospect' });
    const buyer = await x.write('contacts add', { email: 'buyer@buyers-co.example', last_name: 'Buyer', account_id: buyersCo.id, custom: { persona: 'buyer' } });
    const user = await x.write('contacts add', { email: 'user@customer-co.example', last_name: 'User', custom: { persona: 'user' } });
    await x.pushed();
    assert.ok(await x.link(customer.id), 'an account in a listed stage goes');
    assert.equal(await x.link(prospect.id), undefined, 'an account in another stage stays');
    const buyersCoLink = await x.link(buyersCo.id);
    assert.ok(buyersCoLink, "the contact's account went with it");
    assert.equal(x.org.getOf('Contact', (await x.link(buyer.id)).crm_id)?.AccountId, buyersCoLink.crm_id);
    assert.equal(await x.link(user.id), undefined);
    assert.equal((await x.status()).push.totals.skipped, 2);

    const r = await x.handle.executeUpdate(pushRecordsUpdate, { args: [{ objectKind: 'account', ids: [prospect.id] }] });
    assert.equal(r.queued, 1);
    await x.pushed();
    assert.ok(await x.link(prospect.id), 'manual push overrides the account conditions');

    await x.handle.executeUpdate(updateSettingsUpdate, { args: [{ push: { contacts: { enabled: false } } }] });
    assert.match(await refusal(x.handle.executeUpdate(pushRecordsUpdate, { args: [{ objectKind: 'contact', ids: [user.id] }] })), /^manual push is refused: contact push is disabled in the sync settings$/);
    assert.deepEqual(await x.errors(), []);
  });

  it('a large manual push runs in the background with progress in status; a revoked token waits for reauthorisation', async () => {
    const x = await syncing();
    await x.handle.executeUpdate(updateSettingsUpdate, { args: [{ push: { createPeopleAs: 'Contact', contacts: { enabled: true, conditions: { stages: ['never'] } } } }] });
    // 1,000 contacts the conditions keep out: only a manual push sends them, in five batches.
    await h.db.query(
      `INSERT INTO contacts (id, workspace_id, email, last_name) SELECT gen_random_uuid(), $1, 'bulk' || n || '@bulk.example', 'Bulk ' || n FROM generate_series(1, 1000) n`,
      [x.t.workspaceId],
    );
    await x.t.admin.setFaults({ latencyMs: 300 });
    const r = await x.handle.executeUpdate(pushRecordsUpdate, { args: [{ objectKind: 'contact', all: true }] });
    assert.equal(r.queued, 1000, 'the update answers with the selection, not after the push');
    const midway = await waitFor('progress', x.status, (s) => s.push.totals.linked > 0 && s.push.due > 0);
    assert.ok(midway.push.totals.linked < 1000);
    await waitFor('bulk pushed', x.status, (s) => s.push.due === 0 && s.push.totals.linked >= 1000, 120_000);
    assert.equal(x.org.org.records.Contact.filter((c) => String(c.Email ?? '').endsWith('@bulk.example')).length, 1000);
    await x.t.admin.setFaults({ latencyMs: 0 });

    await x.t.admin.revoke(x.t.token);
    const w = await x.write('contacts update', { title: 'After revoke' }, (await h.db.query<{ id: string }>(`SELECT id FROM contacts WHERE workspace_id = $1 AND email = 'bulk1@bulk.example'`, [x.t.workspaceId])).rows[0].id);
    const waiting = await waitFor('needsReauth', x.status, (s) => s.phase === 'needsReauth');
    assert.match(waiting.needsReauthReason!, /INVALID_SESSION_ID/);
    assert.match(await refusal(x.handle.executeUpdate(pushRecordsUpdate, { args: [{ objectKind: 'contact', all: true }] })), /^manual push needs a connected CRM \(phase needsReauth/);
    const fresh = `${x.t.token}-rotated`;
    await x.t.admin.addToken(fresh);
    h.connections[x.t.connection] = { ...h.connections[x.t.connection], accessToken: fresh };
    await x.handle.signal(reauthorizeSignal, {});
    await waitFor('pushed after reauthorize', async () => x.org.getOf('Contact', (await x.link(w.id)).crm_id)?.Title, (t) => t === 'After revoke');
    const history = JSON.stringify(await x.handle.fetchHistory());
    assert.ok(!history.includes(x.t.token) && !history.includes(fresh), 'no token in history');
  });
});
