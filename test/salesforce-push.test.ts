import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OrgIndex } from '../src/sandbox/salesforce/state';
import { linkCrmOwner, upsertUser } from '../src/store/workspace-store';
import { pushPendingSignal } from '../src/workflows/contract';
import { PUSH_LANES } from '../src/workflows/integration/push-drain';
import { addAccount, addContact } from '../src/store/workspace-writes';
import { newSalesforceTenant, refusal, startHarness, waitFor, type Harness } from './support/harness';
import { openPushError, sameLaneAccounts } from './support/push-lanes';

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
    return h.integration(await newSalesforceTenant(h, o), { plan: 'free', until: 'syncing' });
  }

  const byEmail = (org: OrgIndex, type: 'Lead' | 'Contact', email: string) =>
    org.org.records[type].filter(
      (r) => r.IsDeleted !== true && typeof r.Email === 'string' && r.Email.toLowerCase() === email.toLowerCase(),
    );

  it('a field mapping the Salesforce schema refuses is rejected with one sentence, and nothing changes', async () => {
    const x = await syncing();
    const before = await x.settings();
    const contact = before.fieldMapping.contact.map((m) =>
      m.localField === 'title' ? { ...m, crmField: 'Titel' } : m,
    );
    const reason = await refusal(x.updateSettings({ fieldMapping: { contact } }));
    assert.match(reason, /^invalid settings: .*Titel/);
    assert.doesNotMatch(reason, /\n/, 'one line');
    assert.deepEqual((await x.settings()).fieldMapping, before.fieldMapping, 'the mapping is unchanged');
    assert.equal((await x.status()).phase, 'syncing');
  });

  it('creates new people as Leads with their company as text, and Contacts on the account once the setting says so', async () => {
    const x = await syncing();
    const acct = await x.write('accounts add', { name: 'Globex Push', domain: 'globex-push.example' });
    const lead = await x.write('contacts add', {
      email: 'lena@globex-push.example',
      first_name: 'Lena',
      last_name: 'Lead',
      account_id: acct.id,
    });
    const orphan = await x.write('contacts add', { email: 'solo@nowhere.example', last_name: 'Solo' });
    await x.waitForPushDrained();

    const [l] = byEmail(x.tenant.org, 'Lead', 'lena@globex-push.example');
    assert.ok(l, 'created as a Lead');
    assert.equal(l.Company, 'Globex Push');
    assert.equal(l.LeadSource, 'Apollo');
    assert.equal(l.Apollo_Id__c, lead.id);
    assert.equal(l.AccountId, undefined, 'leads are not associated with accounts');
    assert.deepEqual(await x.linkOf(lead.id), { crmId: String(l.Id), crmObject: 'Lead' });
    const account = x.tenant.org.org.records.Account.find((a) => a.Website === 'globex-push.example');
    assert.ok(account, 'the account was pushed too');

    // A Lead needs a Company: Salesforce refuses it, and the error log names the field.
    const [e] = await x.pushErrors();
    assert.equal(e.localId, orphan.id);
    assert.equal(e.errorCode, 'REQUIRED_FIELD_MISSING');
    assert.equal(e.field, 'Company');

    await x.updateSettings({ push: { createPeopleAs: 'Contact' } });
    const c = await x.write('contacts add', {
      email: 'carl@globex-push.example',
      last_name: 'Contact',
      account_id: acct.id,
    });
    await x.waitForPushDrained();
    const [contact] = byEmail(x.tenant.org, 'Contact', 'carl@globex-push.example');
    assert.equal(contact.AccountId, account.Id);
    assert.equal((await x.linkOf(c.id))!.crmObject, 'Contact');
    // The setting changed nothing already pushed: Lena is still a Lead, and the orphan (retried by
    // itself after the settings change) is now a Contact, which needs no company.
    await x.write('contacts update', { title: 'VP' }, { id: lead.id });
    await x.waitForPushDrained();
    assert.equal(byEmail(x.tenant.org, 'Lead', 'lena@globex-push.example')[0].Title, 'VP');
    assert.equal(byEmail(x.tenant.org, 'Contact', 'lena@globex-push.example').length, 0);
    assert.equal((await x.linkOf(orphan.id))?.crmObject, 'Contact');
    assert.deepEqual(await x.pushErrors(), []);
  });

  it('matches people by email, case-insensitively, preferring the Contact over a Lead; never creates a duplicate', async () => {
    const x = await syncing();
    const contact = x.tenant.org.create('Contact', { LastName: 'Existing', Email: 'same@person.example' });
    x.tenant.org.create('Lead', { LastName: 'Existing', Company: 'X', Email: 'SAME@person.example' });
    const w = await x.write('contacts add', { email: 'Same@Person.example', first_name: 'Sam', last_name: 'Existing' });
    await x.waitForPushDrained();
    assert.equal(byEmail(x.tenant.org, 'Contact', 'same@person.example').length, 1);
    assert.equal(byEmail(x.tenant.org, 'Lead', 'same@person.example').length, 1);
    assert.equal(contact.FirstName, 'Sam', 'the existing Contact was updated');
    assert.deepEqual(await x.linkOf(w.id), { crmId: String(contact.Id), crmObject: 'Contact' });
  });

  it('a guessed email is left out when the setting says so, the record still goes', async () => {
    const x = await syncing();
    await x.updateSettings({ push: { pushGuessedEmails: false, createPeopleAs: 'Contact' } });
    const w = await x.write('contacts add', {
      email: 'guess@maybe.example',
      email_status: 'guessed',
      last_name: 'Guess',
    });
    await x.waitForPushDrained();
    const l = await x.linkOf(w.id);
    const rec = x.tenant.org.getOf('Contact', l!.crmId)!;
    assert.equal(rec.LastName, 'Guess');
    assert.ok(rec.Email === undefined || rec.Email === null, 'the guessed email was not pushed');
  });

  it('a restricted picklist value is rejected with the field; retry says it failed the same way', async () => {
    const x = await syncing();
    const settings = await x.settings();
    await x.updateSettings({
      fieldMapping: {
        contact: [
          ...settings.fieldMapping.contact,
          { crmField: 'Status', localField: 'custom.lead_status', direction: 'push', crmObject: 'Lead' },
        ],
      },
    });
    const acct = await x.write('accounts add', { name: 'Acme Picklist', domain: 'acme-picklist.example' });
    const bad = await x.write('contacts add', {
      email: 'hot@lead.example',
      last_name: 'Hot',
      account_id: acct.id,
      custom: { lead_status: 'Hot' },
    });
    const fine = await x.write('contacts add', {
      email: 'ok@lead.example',
      last_name: 'Ok',
      account_id: acct.id,
      custom: { lead_status: 'Working - Contacted' },
    });
    await x.waitForPushDrained();
    assert.equal(
      byEmail(x.tenant.org, 'Lead', 'ok@lead.example')[0]?.Status,
      'Working - Contacted',
      'the good record of the batch went',
    );
    assert.ok(await x.linkOf(fine.id));
    const [e] = await x.pushErrors();
    assert.equal(e.localId, bad.id);
    assert.equal(e.errorCode, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    assert.equal(e.field, 'Status');
    assert.match(e.message, /bad value for restricted picklist field: Hot/);
    assert.equal((await x.retryFailed({ ids: [bad.id] })).queued, 1);
    await x.waitForPushDrained();
    const again = (await x.pushErrors()).find((r) => r.localId === bad.id)!;
    assert.equal(again.attempts, 2);
    assert.equal(again.sameAsBefore, true);
    assert.match(
      await refusal(x.updateSettings({ push: { createPeopleAs: 'Person' } } as never)),
      /^invalid settings: push\.createPeopleAs/,
    );
  });

  it('a lost signal is caught by the sweep; a record that failed for a passing cause is retried on a later cycle', async () => {
    const x = await syncing();
    await x.updateSettings({ push: { createPeopleAs: 'Contact' } });
    // Written without the nudge, as if the signal were lost: the 5-minute sweep finds it.
    const quiet = await addContact(h.db, x.workspaceId, { email: 'quiet@sweep.example', last_name: 'Quiet' });
    await h.env.sleep('6 minutes');
    await waitFor(
      'swept',
      () => x.linkOf(quiet.id),
      (l) => !!l,
    );

    // Every row locked: the record fails for a passing cause, stays due later, and is visible meanwhile.
    await x.tenant.admin.setFaults({ lockRate: 1 });
    const locked = await x.write('contacts add', { email: 'locked@sweep.example', last_name: 'Locked' });
    const s = await x.waitForStatus('transient failure', (st) => st.push.totals.transient >= 1);
    assert.equal(s.push.deferred, 1);
    const [e] = await x.pushErrors();
    assert.equal(e.errorCode, 'UNABLE_TO_LOCK_ROW');
    assert.equal(await x.linkOf(locked.id), undefined);
    await x.tenant.admin.setFaults({ lockRate: 0 });
    // The first backoff is a minute of database time; then the next sweep pushes it.
    await new Promise((r) => setTimeout(r, 62_000));
    await h.env.sleep('6 minutes');
    await waitFor(
      'retried by itself',
      () => x.linkOf(locked.id),
      (l) => !!l,
    );
    assert.deepEqual(await x.pushErrors(), [], 'the error is resolved once the record went');
  });

  it('two unlinked accounts with one domain in one batch: the first links to the Account with it, the second gets its own', async () => {
    const x = await syncing();
    await x.updateSettings({ push: { createPeopleAs: 'Contact' } });
    const crmAcct = x.tenant.org.create('Account', { Name: 'Pair', Website: 'pair-sf.example' });
    // Written without the nudge, in one push lane, so that one batch takes both (and a contact of each).
    const [first, second] = await sameLaneAccounts(h.db, x.workspaceId, 'salesforce', [
      { name: 'Pair One', domain: 'pair-sf.example' },
      { name: 'Pair Two', domain: 'pair-sf.example' },
    ]);
    const one = await addContact(h.db, x.workspaceId, {
      email: 'one@pair-sf.example',
      last_name: 'One',
      account_id: first,
    });
    const two = await addContact(h.db, x.workspaceId, {
      email: 'two@pair-sf.example',
      last_name: 'Two',
      account_id: second,
    });
    await x.write('accounts add', { name: 'Bystander', domain: 'bystander-sf.example' });
    const s = await x.waitForPushDrained();

    assert.deepEqual(await x.linkOf(first), { crmId: String(crmAcct.Id), crmObject: 'Account' });
    const own = (await x.linkOf(second))?.crmId;
    assert.ok(own && own !== String(crmAcct.Id), 'the second has an Account of its own: Salesforce takes duplicates');
    assert.equal(x.tenant.org.getOf('Account', own)?.Website, 'pair-sf.example');
    assert.equal(x.tenant.org.getOf('Contact', (await x.linkOf(one.id))!.crmId)?.AccountId, String(crmAcct.Id));
    assert.equal(x.tenant.org.getOf('Contact', (await x.linkOf(two.id))!.crmId)?.AccountId, own);
    assert.deepEqual(await x.pushErrors(), []);
    assert.equal(s.push.failure, null);
  });

  it("a contact's account failing for a passing cause: both stay queued and go by themselves once it passes", async () => {
    const x = await syncing();
    await x.updateSettings({ push: { createPeopleAs: 'Contact', accounts: { enabled: false } } });
    // Every written row locked: the account (pushed only along with its contact) fails for a passing cause.
    await x.tenant.admin.setFaults({ lockRate: 1 });
    const acct = await addAccount(h.db, x.workspaceId, { name: 'Locked Co', domain: 'locked-co.example' });
    const person = await x.write('contacts add', {
      email: 'pat@locked-co.example',
      last_name: 'Pat',
      account_id: acct.id,
    });
    await x.waitForStatus('transient failure', (st) => st.push.totals.transient >= 1);
    const contactErr = await openPushError(h.db, x.workspaceId, 'salesforce', person.id);
    assert.equal(contactErr.error_code, 'ACCOUNT_NOT_PUSHED');
    assert.equal(contactErr.cause, 'transient', 'not a rejection: nothing for the operator to do');
    assert.match(contactErr.message, /retried by themselves \(unable to obtain exclusive access/);
    assert.equal((await openPushError(h.db, x.workspaceId, 'salesforce', acct.id)).cause, 'transient');
    const queued = await h.db.query<{ object_kind: string; attempts: number }>(
      `SELECT object_kind, attempts FROM push_outbox WHERE workspace_id = $1 AND not_before > now() ORDER BY object_kind`,
      [x.workspaceId],
    );
    assert.deepEqual(
      queued.rows.map((r) => [r.object_kind, Number(r.attempts)]),
      [
        ['account', 1],
        ['contact', 1],
      ],
      'both wait out a backoff in the outbox',
    );

    await x.tenant.admin.setFaults({ lockRate: 0 });
    // The backoff has passed (database time): the next sweep pushes both, without an operator.
    await h.db.query(`UPDATE push_outbox SET not_before = now() WHERE workspace_id = $1`, [x.workspaceId]);
    await h.env.sleep('6 minutes');
    await waitFor(
      'retried by itself',
      () => x.linkOf(person.id),
      (l) => !!l,
    );
    const accountCrmId = (await x.linkOf(acct.id))?.crmId;
    assert.ok(accountCrmId, 'the account went too');
    assert.equal(x.tenant.org.getOf('Contact', (await x.linkOf(person.id))!.crmId)?.AccountId, accountCrmId);
    await x.waitForPushDrained();
    assert.deepEqual(await x.pushErrors(), [], 'both errors resolved');
  });

  it('the source field is checked against the picklist of the object people are created as', async () => {
    const x = await syncing();
    const set = (push: object) => x.updateSettings({ push } as never);
    // LeadSource is an open picklist: any value goes, and lands on the record.
    await set({ source: { value: 'Apollo Outbound' } });
    const acct = await x.write('accounts add', { name: 'Source Co', domain: 'source-co.example' });
    await x.write('contacts add', { email: 'src@source-co.example', last_name: 'Src', account_id: acct.id });
    await x.waitForPushDrained();
    assert.equal(byEmail(x.tenant.org, 'Lead', 'src@source-co.example')[0].LeadSource, 'Apollo Outbound');
    // Lead Status is restricted: a value outside it is refused before anything is pushed.
    assert.match(
      await refusal(set({ source: { field: 'Status', value: 'Apollo' } })),
      /^invalid settings: source value "Apollo" is not an allowed value of picklist Status \(allowed: Open - Not Contacted, /,
    );
    assert.match(
      await refusal(set({ source: { field: 'Apollo_Source__c' } })),
      /source field "Apollo_Source__c" does not exist on Lead/,
    );
    // The check follows createPeopleAs: Contacts have no Status field.
    assert.match(
      await refusal(set({ createPeopleAs: 'Contact', source: { field: 'Status', value: 'Open - Not Contacted' } })),
      /source field "Status" does not exist on Contact/,
    );
    assert.deepEqual(
      (await x.settings()).push.source,
      { field: 'LeadSource', value: 'Apollo Outbound' },
      'refused updates changed nothing',
    );
  });

  it("an account takes the most recently modified of several with its domain; owners are the pusher's, else the sync user's", async () => {
    const x = await syncing();
    await x.updateSettings({ push: { createPeopleAs: 'Contact' } });
    const [repOwner, syncOwner] = x.tenant.org.org.records.User.filter((u) => u.Id !== x.tenant.org.org.userId).map(
      (u) => String(u.Id),
    );
    const rep = `${x.workspaceId}-rep`;
    await upsertUser(h.db, { id: rep, workspaceId: x.workspaceId, email: `rep@${x.workspaceId}.example`, name: 'Rep' });
    await linkCrmOwner(h.db, x.workspaceId, 'salesforce', repOwner, rep);
    await linkCrmOwner(h.db, x.workspaceId, 'salesforce', syncOwner, x.tenant.syncUserId);
    // Two CRM accounts already hold the domain, made after the initial pull. The more recently
    // modified one wins, though it is not the last created (ids would say otherwise).
    const now = Date.now();
    // Website is free text in Salesforce: the recent one is spelt as a URL.
    const newer = x.tenant.org.create(
      'Account',
      { Name: 'Twin (recent)', Website: 'https://www.twin-sf.example/' },
      now - 60_000,
    );
    x.tenant.org.create('Account', { Name: 'Twin (stale)', Website: 'twin-sf.example' }, now - 3_600_000);

    const acct = await x.write('accounts add', { name: 'Twin', domain: 'Twin-SF.example' });
    const byRep = await x.write(
      'contacts add',
      { email: 'rita@twin-sf.example', last_name: 'Rep', account_id: acct.id },
      { userId: rep },
    );
    const byNobody = await x.write('contacts add', {
      email: 'sam@twin-sf.example',
      last_name: 'Sync',
      account_id: acct.id,
    });
    await x.waitForPushDrained();

    assert.deepEqual(await x.linkOf(acct.id), { crmId: String(newer.Id), crmObject: 'Account' });
    assert.equal(
      x.tenant.org.org.records.Account.filter((a) => String(a.Website).includes('twin-sf.example')).length,
      2,
      'no third account',
    );
    const rita = x.tenant.org.getOf('Contact', (await x.linkOf(byRep.id))!.crmId)!;
    const sam = x.tenant.org.getOf('Contact', (await x.linkOf(byNobody.id))!.crmId)!;
    assert.equal(rita.AccountId, newer.Id);
    assert.equal(rita.OwnerId, repOwner, "the pushing user's linked owner");
    assert.equal(sam.OwnerId, syncOwner, "no pushing user: the sync user's owner");
    const logged = h.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'account matched to an existing CRM account by domain' && l.localId === acct.id);
    assert.equal(logged?.crmId, String(newer.Id), 'the choice is recorded');
    assert.equal(logged?.candidates, 2);
  });

  it('stops before the daily reserve, shows the pause, and pushes by itself once the allowance renews', async () => {
    const x = await syncing({ limits: { dailyMax: 2_000 } });
    // Other integrations have spent all but what the 10% reserve keeps back.
    await x.tenant.admin.setUsage(1_799);
    const acct = await x.write('accounts add', { name: 'Reserve Co', domain: 'reserve.example' });
    const w = await x.write('contacts add', {
      email: 'late@reserve.example',
      last_name: 'Late',
      title: 'Waits',
      account_id: acct.id,
    });
    const paused = await x.waitForStatus('paused', (s) => s.pausedUntil !== null);
    assert.match(
      paused.pauseReason!,
      /daily API allowance nearly spent \(\d+ of 2000 used; 10% is kept for other integrations\)/,
    );
    assert.equal(paused.push.totals.rejected, 0, 'a pause is not a rejection');
    assert.equal(await x.linkOf(w.id), undefined);
    const stats = await x.tenant.admin.stats();
    assert.equal(stats.limitRejections, 0, 'the push stopped before Salesforce had to refuse');
    assert.ok((await x.tenant.admin.usage()).count <= 1_803, 'the reserve is left whole');

    await x.tenant.admin.setUsage(0);
    await h.env.sleep('61m');
    await waitFor(
      'pushed after the pause',
      () => x.linkOf(w.id),
      (l) => !!l,
    );
    const done = await x.status();
    assert.equal(done.pausedUntil, null);
    assert.equal(done.push.totals.rejected, 0);
    assert.equal(byEmail(x.tenant.org, 'Lead', 'late@reserve.example')[0]?.Title, 'Waits');
  });

  it('conditions decide net-new people and accounts; a manual push overrides them and is refused when push is off', async () => {
    const x = await syncing();
    await x.updateSettings({
      push: {
        createPeopleAs: 'Contact',
        contacts: { conditions: { customField: { field: 'persona', value: 'buyer' } } },
        accounts: { conditions: { stages: ['Customer'] } },
      },
    });
    const customer = await x.write('accounts add', {
      name: 'Customer Co',
      domain: 'customer-co.example',
      stage: 'customer',
    });
    const prospect = await x.write('accounts add', {
      name: 'Prospect Co',
      domain: 'prospect-co.example',
      stage: 'Prospect',
    });
    // A contact's account goes with it, whatever the account conditions say.
    const buyersCo = await x.write('accounts add', {
      name: 'Buyers Co',
      domain: 'buyers-co.example',
      stage: 'Prospect',
    });
    const buyer = await x.write('contacts add', {
      email: 'buyer@buyers-co.example',
      last_name: 'Buyer',
      account_id: buyersCo.id,
      custom: { persona: 'buyer' },
    });
    const user = await x.write('contacts add', {
      email: 'user@customer-co.example',
      last_name: 'User',
      custom: { persona: 'user' },
    });
    await x.waitForPushDrained();
    assert.ok(await x.linkOf(customer.id), 'an account in a listed stage goes');
    assert.equal(await x.linkOf(prospect.id), undefined, 'an account in another stage stays');
    const buyersCoLink = await x.linkOf(buyersCo.id);
    assert.ok(buyersCoLink, "the contact's account went with it");
    assert.equal(x.tenant.org.getOf('Contact', (await x.linkOf(buyer.id))!.crmId)?.AccountId, buyersCoLink.crmId);
    assert.equal(await x.linkOf(user.id), undefined);
    assert.equal((await x.status()).push.totals.skipped, 2);

    const r = await x.pushRecords({ objectKind: 'account', ids: [prospect.id] });
    assert.equal(r.queued, 1);
    await x.waitForPushDrained();
    assert.ok(await x.linkOf(prospect.id), 'manual push overrides the account conditions');

    await x.updateSettings({ push: { contacts: { enabled: false } } });
    assert.match(
      await refusal(x.pushRecords({ objectKind: 'contact', ids: [user.id] })),
      /^manual push is refused: contact push is disabled in the sync settings$/,
    );
    assert.deepEqual(await x.pushErrors(), []);
  });

  it('a large manual push runs in the background with progress in status; a revoked token waits for reauthorisation', async () => {
    const x = await syncing();
    await x.updateSettings({
      push: { createPeopleAs: 'Contact', contacts: { enabled: true, conditions: { stages: ['never'] } } },
    });
    // 1,000 contacts the conditions keep out: only a manual push sends them, in five batches.
    await h.db.query(
      `INSERT INTO contacts (id, workspace_id, email, last_name) SELECT gen_random_uuid(), $1, 'bulk' || n || '@bulk.example', 'Bulk ' || n FROM generate_series(1, 1000) n`,
      [x.workspaceId],
    );
    await x.tenant.admin.setFaults({ latencyMs: 300 });
    const r = await x.pushRecords({ objectKind: 'contact', all: true });
    assert.equal(r.queued, 1000, 'the update answers with the selection, not after the push');
    const midway = await x.waitForStatus('progress', (s) => s.push.totals.linked > 0 && s.push.due > 0);
    assert.ok(midway.push.totals.linked < 1000);
    await x.waitForStatus('bulk pushed', (s) => s.push.due === 0 && s.push.totals.linked >= 1000, 120_000);
    assert.equal(
      x.tenant.org.org.records.Contact.filter((c) => String(c.Email ?? '').endsWith('@bulk.example')).length,
      1000,
    );
    await x.tenant.admin.setFaults({ latencyMs: 0 });

    await x.tenant.admin.revoke(x.tenant.token);
    const bulk1 = (
      await h.db.query<{ id: string }>(
        `SELECT id FROM contacts WHERE workspace_id = $1 AND email = 'bulk1@bulk.example'`,
        [x.workspaceId],
      )
    ).rows[0].id;
    const w = await x.write('contacts update', { title: 'After revoke' }, { id: bulk1 });
    const waiting = await x.waitForPhase('needsReauth');
    assert.match(waiting.needsReauthReason!, /INVALID_SESSION_ID/);
    assert.match(
      await refusal(x.pushRecords({ objectKind: 'contact', all: true })),
      /^manual push needs a connected CRM \(phase needsReauth/,
    );
    const fresh = await x.rotateToken();
    await x.reauthorize();
    await waitFor(
      'pushed after reauthorize',
      async () => x.tenant.org.getOf('Contact', (await x.linkOf(w.id))!.crmId)?.Title,
      (t) => t === 'After revoke',
    );
    const history = JSON.stringify(await x.handle.fetchHistory());
    assert.ok(!history.includes(x.tenant.token) && !history.includes(fresh), 'no token in history');
  });

  it('seed 004: a guessed email is withheld by default, and still finds the person Salesforce has', async () => {
    const x = await syncing();
    assert.equal((await x.settings()).push.pushGuessedEmails, false);
    const known = x.tenant.org.create('Contact', { LastName: 'Known', Email: 'known@guessed-sf.example' });
    const acct = await x.write('accounts add', { name: 'Guessers', domain: 'guessed-sf.example' });
    const existing = await x.write('contacts add', {
      email: 'KNOWN@guessed-sf.example',
      email_status: 'guessed',
      first_name: 'Kim',
      last_name: 'Known',
      account_id: acct.id,
    });
    const fresh = await x.write('contacts add', {
      email: 'fresh@guessed-sf.example',
      email_status: 'guessed',
      last_name: 'Fresh',
      account_id: acct.id,
    });
    await x.waitForPushDrained();

    assert.deepEqual(await x.linkOf(existing.id), { crmId: String(known.Id), crmObject: 'Contact' });
    assert.equal(known.FirstName, 'Kim', 'the Contact found by the guessed email was updated');
    assert.equal(known.Email, 'known@guessed-sf.example');
    assert.equal(byEmail(x.tenant.org, 'Lead', 'known@guessed-sf.example').length, 0, 'no Lead for the same person');
    const lead = x.tenant.org.getOf('Lead', (await x.linkOf(fresh.id))!.crmId)!;
    assert.equal(lead.LastName, 'Fresh', 'a person Salesforce lacks is created');
    assert.ok(lead.Email === undefined || lead.Email === null, 'without the guessed email');
    assert.deepEqual(await x.pushErrors(), []);
  });

  it('seed 004: a new Lead neither creates nor joins its account; a new Contact does; new accounts carry AccountSource', async () => {
    const x = await syncing();
    assert.deepEqual((await x.settings()).push.accountSource, { field: 'AccountSource', value: 'Apollo' });
    // Account push off: an account reaches Salesforce only with a person that needs it.
    await x.updateSettings({ push: { accounts: { enabled: false } } });
    const acct = await x.write('accounts add', { name: 'Leadco', domain: 'leadco-sf.example' });
    const lena = await x.write('contacts add', {
      email: 'lena@leadco-sf.example',
      last_name: 'Lead',
      account_id: acct.id,
    });
    await x.waitForPushDrained();
    const lead = x.tenant.org.getOf('Lead', (await x.linkOf(lena.id))!.crmId)!;
    assert.equal(lead.Company, 'Leadco', 'the account name as Company only');
    assert.equal(await x.linkOf(acct.id), undefined, 'the account was not pushed along');
    assert.equal(x.tenant.org.org.records.Account.filter((a) => a.Name === 'Leadco').length, 0);
    // Updating the Lead later pushes no account either.
    await x.write('contacts update', { title: 'CTO' }, { id: lena.id });
    await x.waitForPushDrained();
    assert.equal(lead.Title, 'CTO');
    assert.equal(await x.linkOf(acct.id), undefined);

    await x.updateSettings({ push: { createPeopleAs: 'Contact', accountSource: { value: 'Purchased List' } } });
    const carl = await x.write('contacts add', {
      email: 'carl@leadco-sf.example',
      last_name: 'Contact',
      account_id: acct.id,
    });
    await x.waitForPushDrained();
    const link = await x.linkOf(acct.id);
    assert.ok(link, "a Contact's account goes with it");
    const account = x.tenant.org.getOf('Account', link.crmId)!;
    assert.equal(account.AccountSource, 'Purchased List');
    assert.equal(x.tenant.org.getOf('Contact', (await x.linkOf(carl.id))!.crmId)!.AccountId, account.Id);
    assert.equal(x.tenant.org.getOf('Contact', (await x.linkOf(carl.id))!.crmId)!.LeadSource, 'Apollo');
    assert.deepEqual(await x.pushErrors(), []);
  });

  it("seed 000 step 5: duplicate handling matches by email and domain by default; 'off' creates new records", async () => {
    const x = await syncing();
    await x.updateSettings({ push: { createPeopleAs: 'Contact' } });
    assert.deepEqual((await x.settings()).push.duplicates, { contacts: 'email', accounts: 'domain' });
    const crmAda = x.tenant.org.create('Contact', { LastName: 'Ada', Email: 'ada@dups-sf.example' });
    x.tenant.org.create('Contact', { LastName: 'Bob', Email: 'bob@dups-sf.example' });
    const crmCo = x.tenant.org.create('Account', { Name: 'Dups', Website: 'https://dups-sf.example' });
    const crmCo2 = x.tenant.org.create('Account', { Name: 'Dups Again', Website: 'dups2-sf.example' });

    const co = await x.write('accounts add', { name: 'Dups', domain: 'dups-sf.example' });
    const ada = await x.write('contacts add', { email: 'ada@dups-sf.example', last_name: 'Ada' });
    await x.waitForPushDrained();
    assert.deepEqual(await x.linkOf(co.id), { crmId: String(crmCo.Id), crmObject: 'Account' });
    assert.deepEqual(await x.linkOf(ada.id), { crmId: String(crmAda.Id), crmObject: 'Contact' });

    await x.updateSettings({ push: { duplicates: { contacts: 'off', accounts: 'off' } } });
    const co2 = await x.write('accounts add', { name: 'Dups Again', domain: 'dups2-sf.example' });
    const bob = await x.write('contacts add', { email: 'bob@dups-sf.example', last_name: 'Bob', account_id: co2.id });
    await x.waitForPushDrained();
    const co2Link = await x.linkOf(co2.id);
    assert.ok(co2Link && co2Link.crmId !== String(crmCo2.Id), 'off: a new account beside the one with the domain');
    const bobs = byEmail(x.tenant.org, 'Contact', 'bob@dups-sf.example');
    assert.equal(bobs.length, 2, 'off: a new Contact beside the one with the email');
    const bobLink = await x.linkOf(bob.id);
    assert.equal(x.tenant.org.getOf('Contact', bobLink!.crmId)!.AccountId, co2Link.crmId);
    assert.deepEqual(await x.pushErrors(), []);
  });

  it('batches of 200 people with long emails are looked up in queries that fit the 16,384-byte URL limit', async () => {
    const x = await syncing();
    await x.updateSettings({ push: { createPeopleAs: 'Contact' } });
    // One already in the org, to be found rather than created.
    const email = (i: number) => `firstname.middlename.lastname-${i}@subsidiary.a-long-company-name-${i}.example.com`;
    x.tenant.org.create('Contact', { LastName: 'Known', Email: email(7) });
    // Written without the nudge, then one signal: each lane's batch takes 200, its lookups with them.
    const ids: string[] = [];
    for (let i = 0; i < 200 * PUSH_LANES.salesforce; i++)
      ids.push((await addContact(h.db, x.workspaceId, { email: email(i), last_name: `L${i}` })).id);
    await x.handle.signal(pushPendingSignal, {});
    await x.waitForPushDrained();
    assert.deepEqual(await x.pushErrors(), []);
    for (const id of ids) assert.ok(await x.crmIdOf(id));
    assert.equal(byEmail(x.tenant.org, 'Contact', email(7)).length, 1, 'the known one was found, not created again');
  });
});
