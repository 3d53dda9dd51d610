import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { PortalIndex } from '../src/sandbox/hubspot/state';
import { outboxCounts } from '../src/store/push-store';
import { linkCrmOwner, upsertUser } from '../src/store/workspace-store';
import { addContact } from '../src/store/workspace-writes';
import { newTenant, refusal, startHarness, waitFor, type Harness } from './support/harness';
import { openPushError, sameLaneAccounts } from './support/push-lanes';

/** Push to HubSpot: the workspace writes, the outbox, the rules of seed 001 and the error log. */
describe('push to HubSpot (time-skipping)', () => {
  let h: Harness;
  /** Workspaces whose next committed push batch has its result lost, as when the worker dies right after the commit. */
  const loseNextResult = new Set<string>();
  const loseResultAfterCommit: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        const ws = (input.args[0] as { workspaceId?: string }).workspaceId ?? '';
        if (
          ctx.info.activityType === 'pushBatch' &&
          loseNextResult.has(ws) &&
          (result as { handled: number }).handled > 0
        ) {
          loseNextResult.delete(ws);
          throw ApplicationFailure.retryable('result lost after the batch committed', 'TestLostResult');
        }
        return result;
      },
    },
  });
  /** Manual-push activities run per workspace, with what each queued. */
  const manualPages = new Map<string, number[]>();
  const countManualPages: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        if (ctx.info.activityType === 'enqueueManualPush') {
          const ws = (input.args[0] as { workspaceId: string }).workspaceId;
          manualPages.set(ws, [...(manualPages.get(ws) ?? []), (result as { queued: number }).queued]);
        }
        return result;
      },
    },
  });
  before(async () => {
    // A paged manual push returns after each page here, so a test sees several activities.
    h = await startHarness({
      manualPushBudgetMs: 1,
      interceptors: { activity: [loseResultAfterCommit, countManualPages] },
    });
  });
  after(async () => {
    await h?.stop();
  });

  async function syncing(o: Parameters<typeof newTenant>[1] = {}, plan: 'free' | 'paid' = 'free') {
    const t = await newTenant(h, { contacts: 10, companies: 3, ...o });
    return h.integration(t, { plan, until: plan === 'free' ? 'syncing' : undefined });
  }

  const contactsByEmail = (p: PortalIndex, email: string) =>
    p.portal.objects.contacts.filter((c) => !c.archived && c.properties.email?.toLowerCase() === email.toLowerCase());

  it('a field a user empties in the workspace is emptied in HubSpot, and a pull does not bring it back', async () => {
    const x = await syncing();
    const { id } = await x.write('contacts add', { email: 'clear@fields.example', last_name: 'Clear', title: 'CTO' });
    await x.waitForPushDrained();
    const crmId = (await x.crmIdOf(id))!;
    assert.equal(x.tenant.portal.get('contacts', crmId)?.properties.jobtitle, 'CTO');
    await x.write('contacts update', { title: null }, { id });
    await x.waitForPushDrained();
    assert.ok(!x.tenant.portal.get('contacts', crmId)?.properties.jobtitle, 'cleared in HubSpot');
    const before = (await x.status()).lastPull?.finishedAt;
    await x.pullNow();
    await x.waitForStatus('the pull', (s) => s.pullInProgress === null && s.lastPull?.finishedAt !== before);
    assert.equal((await x.recordByCrmId('contact', crmId))?.fields.title, null, 'still empty in the workspace');
  });

  it('a field mapping the HubSpot schema refuses is rejected with one sentence, and nothing changes', async () => {
    const x = await syncing();
    const before = await x.settings();
    const contact = before.fieldMapping.contact.map((m) =>
      m.localField === 'title' ? { ...m, crmField: 'jobtitel' } : m,
    );
    const reason = await refusal(x.updateSettings({ fieldMapping: { contact } }));
    assert.match(reason, /^invalid settings: .*jobtitel/);
    assert.doesNotMatch(reason, /\n/, 'one line');
    assert.deepEqual((await x.settings()).fieldMapping, before.fieldMapping, 'the mapping is unchanged');
    assert.equal((await x.status()).phase, 'syncing');
  });

  it('seed 000: a CRM contact test@example.com and the same email added in the workspace end as one linked record', async () => {
    const x = await syncing();
    // Created in HubSpot after the initial pull: the workspace does not know it yet.
    const ownerBefore = x.tenant.portal.portal.owners[0].id;
    const crmContact = x.tenant.portal.create('contacts', {
      email: 'test@example.com',
      firstname: 'Crm',
      hubspot_owner_id: ownerBefore,
    });
    const w = await x.write('contacts add', {
      email: 'Test@Example.com',
      first_name: 'Tess',
      last_name: 'Tester',
      email_status: 'verified',
    });
    assert.equal(w.created, true);
    assert.deepEqual(w.crms, ['hubspot']);
    await x.waitForPushDrained();

    const matches = contactsByEmail(x.tenant.portal, 'test@example.com');
    assert.equal(matches.length, 1, 'one HubSpot contact, not a duplicate');
    assert.equal(matches[0].id, crmContact.id);
    assert.equal(matches[0].properties.firstname, 'Tess', 'the existing contact was updated');
    assert.equal(matches[0].properties.hubspot_owner_id, ownerBefore, 'an existing contact keeps its owner');
    assert.equal(await x.crmIdOf(w.id), crmContact.id);

    // Adding the same email again is the same workspace record.
    const again = await x.write('contacts add', { email: 'TEST@example.com', title: 'QA' });
    assert.equal(again.id, w.id);
    assert.equal(again.created, false);
    await x.waitForPushDrained();
    assert.equal(contactsByEmail(x.tenant.portal, 'test@example.com').length, 1);
    assert.equal(matches[0].properties.jobtitle, 'QA', 'updates of linked contacts are pushed');
  });

  it('a new contact pushes its new account too, with owner, source and association', async () => {
    const x = await syncing({}, 'free');
    const rep = `${x.workspaceId}-rep`;
    await upsertUser(h.db, { id: rep, workspaceId: x.workspaceId, email: `rep@${x.workspaceId}.example`, name: 'Rep' });
    const repOwner = x.tenant.portal.portal.owners[1].id;
    await linkCrmOwner(h.db, x.workspaceId, 'hubspot', repOwner, rep);
    // Account push off: the contact's account is pushed anyway (seed 001).
    await x.updateSettings({ push: { accounts: { enabled: false } } });

    const acct = await x.write('accounts add', { name: 'Newco', domain: 'newco-push.example' });
    const person = await x.write(
      'contacts add',
      { email: 'ann@newco-push.example', first_name: 'Ann', last_name: 'Lee', account_id: acct.id },
      { userId: rep },
    );
    await x.waitForPushDrained();

    const company = x.tenant.portal.portal.objects.companies.find((c) => c.properties.domain === 'newco-push.example');
    assert.ok(company, 'the account was created in HubSpot');
    assert.equal(company.properties.apollo_account_id, acct.id);
    const [contact] = contactsByEmail(x.tenant.portal, 'ann@newco-push.example');
    assert.equal(contact.properties.hubspot_owner_id, repOwner, "the pushing user's linked owner");
    assert.equal(contact.properties.apollo_source, 'Apollo');
    assert.deepEqual(contact.companyIds, [company.id]);
    assert.equal(await x.crmIdOf(person.id), contact.id);
    const s = await x.status();
    assert.equal(s.push.totals.created, 2);
    assert.equal(s.push.totals.rejected, 0);
  });

  it('a batch retried after its outcomes committed reports them once and pushes nothing again', async () => {
    const x = await syncing();
    const upserts = async () => (await x.tenant.admin.stats()).byRoute;
    const before = await upserts();
    loseNextResult.add(x.workspaceId);
    const people = [];
    for (const n of [1, 2, 3])
      people.push(await x.write('contacts add', { email: `lost${n}@result.example`, last_name: `Lost${n}` }));
    await x.waitForPushDrained();
    assert.equal(loseNextResult.has(x.workspaceId), false, 'a result was lost');

    const s = await x.status();
    assert.equal(s.push.totals.linked, 3, "the lost batch's counts reach status from the committed row");
    assert.equal(s.push.totals.created, 3);
    for (const p of people) assert.ok(await x.crmIdOf(p.id));
    const after = await upserts();
    const sent = (b: Record<string, number>) =>
      Object.entries(b)
        .filter(([r]) => /contacts\/batch\/upsert$/.test(r))
        .reduce((n, [, c]) => n + c, 0);
    const { rows } = await h.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM push_batches WHERE workspace_id = $1',
      [x.workspaceId],
    );
    assert.equal(
      sent(after) - sent(before),
      rows[0].n,
      'one upsert per committed batch: the retry did not push its batch again',
    );
    assert.equal(
      h.logs.filter((l) => l.includes('push batch already committed before a retry') && l.includes(x.workspaceId))
        .length,
      1,
    );
  });

  it("of several companies with the domain, the most recently modified is linked and logged; no pusher means the sync user's owner", async () => {
    const x = await syncing();
    const syncOwner = x.tenant.portal.portal.owners[2].id;
    await linkCrmOwner(h.db, x.workspaceId, 'hubspot', syncOwner, x.tenant.syncUserId);
    // Created first but modified last: recency decides, not the id.
    const now = Date.now();
    const recent = x.tenant.portal.create(
      'companies',
      { name: 'Twin (recent)', domain: 'twin-hs.example' },
      undefined,
      new Date(now - 60_000),
    );
    x.tenant.portal.create(
      'companies',
      { name: 'Twin (stale)', domain: 'twin-hs.example' },
      undefined,
      new Date(now - 3_600_000),
    );

    const acct = await x.write('accounts add', { name: 'Twin', domain: 'twin-hs.example' });
    const person = await x.write('contacts add', {
      email: 'tom@twin-hs.example',
      last_name: 'Twin',
      account_id: acct.id,
    });
    await x.waitForPushDrained();
    assert.equal(
      x.tenant.portal.portal.objects.companies.filter((c) => c.properties.domain === 'twin-hs.example').length,
      2,
      'no third company',
    );
    const [contact] = contactsByEmail(x.tenant.portal, 'tom@twin-hs.example');
    assert.equal(await x.crmIdOf(person.id), contact.id);
    assert.equal(await x.crmIdOf(acct.id), recent.id);
    assert.deepEqual(contact.companyIds, [recent.id]);
    assert.equal(contact.properties.hubspot_owner_id, syncOwner, "no pushing user: the sync user's owner");
    const logged = h.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'account matched to an existing CRM account by domain' && l.localId === acct.id);
    assert.equal(logged?.crmId, recent.id, 'the choice is recorded');
    assert.equal(logged?.candidates, 2);
  });

  it('push conditions decide net-new contacts; manual push overrides them; linked records always push', async () => {
    const x = await syncing();
    await x.updateSettings({
      push: {
        contacts: { conditions: { emailStatuses: ['verified'], stages: ['lead'] } },
        accounts: { conditions: { stages: ['Customer'] } },
      },
    });
    const customer = await x.write('accounts add', {
      name: 'Customer Co',
      domain: 'customer-cond.example',
      stage: 'customer',
    });
    const prospect = await x.write('accounts add', {
      name: 'Prospect Co',
      domain: 'prospect-cond.example',
      stage: 'prospect',
    });
    const ok = await x.write('contacts add', {
      email: 'ok@cond.example',
      stage: 'Lead',
      email_status: 'verified',
      last_name: 'Ok',
    });
    const guessed = await x.write('contacts add', {
      email: 'guess@cond.example',
      stage: 'lead',
      email_status: 'guessed',
      last_name: 'G',
    });
    const noEmail = await x.write('contacts add', { last_name: 'Nomail', stage: 'lead', email_status: 'verified' });
    const wrongStage = await x.write('contacts add', {
      email: 'cust@cond.example',
      stage: 'customer',
      email_status: 'verified',
      last_name: 'C',
    });
    await x.waitForPushDrained();
    assert.ok(await x.crmIdOf(ok.id));
    for (const r of [guessed, noEmail, wrongStage]) assert.equal(await x.crmIdOf(r.id), undefined);
    assert.ok(await x.crmIdOf(customer.id), 'an account in a listed stage goes');
    assert.equal(await x.crmIdOf(prospect.id), undefined, 'an account in another stage stays');
    assert.equal((await x.status()).push.totals.skipped, 4);
    assert.deepEqual(await x.pushErrors(), [], 'records the conditions leave out are not errors');

    // Manual push overrides the conditions; the pusher's owner falls back to the sync user's (none here).
    const r = await x.pushRecords({ objectKind: 'contact', ids: [guessed.id, wrongStage.id] });
    assert.equal(r.queued, 2);
    await x.waitForPushDrained();
    assert.ok(await x.crmIdOf(guessed.id));
    assert.ok(await x.crmIdOf(wrongStage.id));

    // Push disabled: manual push is refused, but updates of linked records still go.
    await x.updateSettings({ push: { contacts: { enabled: false } } });
    assert.match(
      await refusal(x.pushRecords({ objectKind: 'contact', all: true })),
      /contact push is disabled in the sync settings/,
    );
    await x.write('contacts update', { title: 'Boss' }, { id: ok.id });
    await x.waitForPushDrained();
    assert.equal(contactsByEmail(x.tenant.portal, 'ok@cond.example')[0].properties.jobtitle, 'Boss');
  });

  it('manual push is refused until the initial pull finishes', async () => {
    const x = await syncing({}, 'paid');
    await x.waitForPhase('configuring');
    assert.match(
      await refusal(x.pushRecords({ objectKind: 'contact', all: true })),
      /manual push is not available until the initial pull finishes/,
    );
    assert.match(
      await refusal(x.pushRecords({ objectKind: 'lead' as never, all: true })),
      /objectKind must be "contact" or "account"/,
    );
  });

  it('domain conflict: the account is not pushed and its contact is skipped, each with an error-log entry', async () => {
    const x = await syncing();
    const existing = x.tenant.portal.portal.objects.companies[0];
    const companiesBefore = x.tenant.portal.portal.objects.companies.length;
    const dup = await x.write('accounts add', { name: 'Copycat', domain: existing.properties.domain! });
    const person = await x.write('contacts add', {
      email: 'cat@copycat.example',
      last_name: 'Cat',
      account_id: dup.id,
    });
    await x.waitForPushDrained();
    assert.equal(x.tenant.portal.portal.objects.companies.length, companiesBefore, 'no second company for the domain');
    assert.equal(contactsByEmail(x.tenant.portal, 'cat@copycat.example').length, 0);
    const errs = await x.pushErrors();
    const acctErr = errs.find((e) => e.localId === dup.id)!;
    assert.match(acctErr.message, /^Account not pushed\. A different company with this domain already exists/);
    assert.equal(acctErr.field, 'domain');
    const contactErr = errs.find((e) => e.localId === person.id)!;
    assert.equal(contactErr.errorCode, 'ACCOUNT_NOT_PUSHED');
  });

  it('pushRecords {all:true} over 20,000 unlinked accounts queues them all in bounded activities', async () => {
    const x = await syncing();
    // Writes wait in the outbox (nothing is pushed), so the test counts what the manual push queued.
    await x.updateSettings({ direction: 'crmToWorkspace' });
    await h.db.query(
      `INSERT INTO accounts (id, workspace_id, name, domain) SELECT gen_random_uuid(), $1, 'Bulk ' || n, 'bulk-' || n || '.example'
         FROM generate_series(1, 20000) n`,
      [x.workspaceId],
    );
    const r = await x.pushRecords({ objectKind: 'account', all: true });
    assert.deepEqual(r, { queued: 20_000 }, 'every unlinked account; the pulled (linked) ones not');
    const pages = manualPages.get(x.workspaceId) ?? [];
    assert.ok(pages.length >= 10, `several activities (${pages.length})`);
    assert.ok(Math.max(...pages) <= 2_000, 'each a bounded share');
    assert.equal(
      pages.reduce((a, b) => a + b, 0),
      20_000,
    );
    const q = await h.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM push_outbox WHERE workspace_id = $1 AND object_kind = 'account' AND manual`,
      [x.workspaceId],
    );
    assert.equal(q.rows[0].n, 20_000, 'each queued once');
    assert.equal((await x.status()).phase, 'syncing');
  });

  it('two unlinked accounts with one domain in one batch: the first links, the second is refused naming it, and push and pulls go on', async () => {
    const x = await syncing();
    // Created in HubSpot after the initial pull: the workspace does not mirror it yet.
    const crmCo = x.tenant.portal.create('companies', { name: 'Pair', domain: 'pair-hs.example' });
    const companiesBefore = x.tenant.portal.portal.objects.companies.length;
    // `accounts add` does not check domains; written without the nudge so that one batch takes both.
    const [first, second] = await sameLaneAccounts(h.db, x.workspaceId, 'hubspot', [
      { name: 'Pair One', domain: 'pair-hs.example' },
      { name: 'Pair Two', domain: 'Pair-HS.example' },
    ]);
    const withSecond = await addContact(h.db, x.workspaceId, {
      email: 'two@pair-hs.example',
      last_name: 'Two',
      account_id: second,
    });
    const other = await x.write('accounts add', { name: 'Bystander', domain: 'bystander-hs.example' });
    const s = await x.waitForPushDrained();

    assert.equal(await x.crmIdOf(first), crmCo.id, 'the first (oldest write) is linked to the company with the domain');
    assert.equal(await x.crmIdOf(second), undefined);
    assert.ok(await x.crmIdOf(other.id), 'the rest of the push went on');
    assert.equal(
      x.tenant.portal.portal.objects.companies.filter((c) => c.properties.domain?.toLowerCase() === 'pair-hs.example')
        .length,
      1,
      'no second company for the domain',
    );
    assert.equal(
      x.tenant.portal.portal.objects.companies.length,
      companiesBefore + 1,
      'only the bystander was created',
    );
    const errs = await x.pushErrors();
    const e = errs.find((r) => r.localId === second)!;
    assert.equal(e.errorCode, 'DOMAIN_CONFLICT');
    assert.equal(
      (await openPushError(h.db, x.workspaceId, 'hubspot', second)).cause,
      'rejected',
      'waits for the operator',
    );
    assert.match(e.message, /^Account not pushed\. A different company with this domain already exists in HubSpot/);
    assert.ok(
      e.message.includes(crmCo.id) && e.message.includes(first),
      `names the company and the other account: ${e.message}`,
    );
    assert.doesNotMatch(e.message, /\n/);
    assert.equal(errs.find((r) => r.localId === withSecond.id)?.errorCode, 'ACCOUNT_NOT_PUSHED');
    assert.equal(s.push.failure, null, 'no batch failed');
    assert.equal((await outboxCounts(h.db, x.workspaceId, 'hubspot')).deferred, 0, 'nothing left waiting');

    // Pulls are not held back either.
    const before = s.lastPull?.finishedAt;
    await x.pullNow();
    await x.waitForStatus('the pull', (st) => st.pullInProgress === null && st.lastPull?.finishedAt !== before);
    assert.equal(await x.crmIdOf(first), crmCo.id);
  });

  it('a rejected property goes to the error log; a retry without a fix fails the same way; fixing the mapping pushes it by itself', async () => {
    const x = await syncing();
    const bad = await x.write('accounts add', {
      name: 'Widget Works',
      domain: 'widget-works.example',
      industry: 'Widgets',
    });
    const good = await x.write('accounts add', { name: 'Fine Co', domain: 'fine-co.example', industry: 'RETAIL' });
    await x.waitForPushDrained();
    assert.ok(await x.crmIdOf(good.id), 'one bad record does not block its batch');
    let [e] = await x.pushErrors();
    assert.equal(e.localId, bad.id);
    assert.equal(e.errorCode, 'INVALID_OPTION');
    assert.equal(e.field, 'industry');
    assert.match(e.message, /Widgets was not one of the allowed options/);

    assert.equal((await x.retryFailed()).queued, 1);
    await x.waitForPushDrained();
    [e] = await x.pushErrors();
    assert.equal(e.attempts, 2);
    assert.equal(e.sameAsBefore, true, 'the retry says it failed the same way');

    // The operator stops pushing industry: the rejected record is retried by itself and succeeds.
    const settings = await x.settings();
    const account = settings.fieldMapping.account.map((m) =>
      m.localField === 'industry' ? { ...m, direction: 'pull' as const } : m,
    );
    await x.updateSettings({ fieldMapping: { account } });
    await waitFor(
      'retried after the mapping changed',
      () => x.crmIdOf(bad.id),
      (id) => !!id,
    );
    assert.deepEqual(await x.pushErrors(), []);
  });

  it('a picklist source value must be one HubSpot allows', async () => {
    const x = await syncing();
    assert.match(
      await refusal(x.updateSettings({ push: { source: { field: 'lifecyclestage', value: 'Apollo' } } })),
      /source value "Apollo" is not an allowed value of picklist lifecyclestage/,
    );
    assert.match(
      await refusal(x.updateSettings({ push: { source: { field: 'no_such_field' } } })),
      /source field "no_such_field" does not exist/,
    );
    const s = await x.updateSettings({ push: { source: { field: 'lifecyclestage', value: 'lead' } } });
    assert.deepEqual(s.push.source, { field: 'lifecyclestage', value: 'lead' });
  });

  it('a token revoked during a push moves to needsReauth; after reauthorize the push completes', async () => {
    const x = await syncing();
    await x.tenant.admin.revoke(x.tenant.token);
    const w = await x.write('contacts add', { email: 'after@reauth.example', last_name: 'After' });
    const waiting = await x.waitForPhase('needsReauth');
    assert.match(waiting.needsReauthReason!, /401/);
    assert.equal(await x.crmIdOf(w.id), undefined);
    assert.match(
      await refusal(x.pushRecords({ objectKind: 'contact', all: true })),
      /^manual push needs a connected CRM \(phase needsReauth: /,
    );
    const fresh = await x.rotateToken();
    await x.reauthorize();
    await waitFor(
      'pushed after reauthorize',
      () => x.crmIdOf(w.id),
      (id) => !!id,
    );
    assert.equal((await x.status()).phase, 'syncing');
    const history = JSON.stringify(await x.handle.fetchHistory());
    assert.ok(!history.includes(x.tenant.token) && !history.includes(fresh), 'no token in history');
  });

  it('seed 004: a guessed email is withheld by default, and never makes a second contact for a person HubSpot has', async () => {
    const x = await syncing();
    assert.equal((await x.settings()).push.pushGuessedEmails, false, 'optional in seed 004: off unless checked');
    const known = x.tenant.portal.create('contacts', { email: 'known@guessed-hs.example', firstname: 'Old' });
    const existing = await x.write('contacts add', {
      email: 'Known@Guessed-HS.example',
      email_status: 'guessed',
      first_name: 'Kim',
      last_name: 'Known',
    });
    const fresh = await x.write('contacts add', {
      email: 'fresh@guessed-hs.example',
      email_status: 'guessed',
      last_name: 'Fresh',
    });
    await x.waitForPushDrained();

    assert.equal(contactsByEmail(x.tenant.portal, 'known@guessed-hs.example').length, 1, 'no second contact');
    assert.equal(await x.crmIdOf(existing.id), known.id, 'linked to the contact found by the guessed email');
    assert.equal(known.properties.firstname, 'Kim', 'and updated');
    assert.equal(known.properties.email, 'known@guessed-hs.example', 'whose email was not sent');
    const created = x.tenant.portal.get('contacts', (await x.crmIdOf(fresh.id))!)!;
    assert.equal(created.properties.lastname, 'Fresh', 'a person HubSpot lacks is created');
    assert.ok(!created.properties.email, 'without the guessed email');
    assert.equal(contactsByEmail(x.tenant.portal, 'fresh@guessed-hs.example').length, 0);
    assert.deepEqual(await x.pushErrors(), []);
  });

  it('seed 004: new companies carry the account source, apollo_source = "Apollo" unless set', async () => {
    const x = await syncing();
    assert.deepEqual((await x.settings()).push.accountSource, { field: 'apollo_source', value: 'Apollo' });
    const first = await x.write('accounts add', { name: 'Sourced', domain: 'sourced-hs.example' });
    await x.waitForPushDrained();
    assert.equal(x.tenant.portal.get('companies', (await x.crmIdOf(first.id))!)!.properties.apollo_source, 'Apollo');

    const s = await x.updateSettings({ push: { accountSource: { value: 'Apollo Outbound' } } });
    assert.deepEqual(s.push.accountSource, { field: 'apollo_source', value: 'Apollo Outbound' });
    assert.deepEqual(s.push.source, { field: 'apollo_source', value: 'Apollo' }, "people's source is its own");
    const acct = await x.write('accounts add', { name: 'Sourced Too', domain: 'sourced-too-hs.example' });
    const person = await x.write('contacts add', { email: 'sue@sourced-too-hs.example', account_id: acct.id });
    await x.waitForPushDrained();
    const company = x.tenant.portal.get('companies', (await x.crmIdOf(acct.id))!)!;
    assert.equal(company.properties.apollo_source, 'Apollo Outbound');
    assert.equal(x.tenant.portal.get('contacts', (await x.crmIdOf(person.id))!)!.properties.apollo_source, 'Apollo');
    // Only a created company takes it: updates leave the source HubSpot holds.
    await x.write('accounts update', { industry: 'RETAIL' }, { id: first.id });
    await x.waitForPushDrained();
    assert.equal(x.tenant.portal.get('companies', (await x.crmIdOf(first.id))!)!.properties.apollo_source, 'Apollo');
  });

  it("seed 000 step 5: duplicate handling matches by email and domain by default; 'off' creates, and HubSpot refuses a taken email", async () => {
    const x = await syncing();
    assert.deepEqual((await x.settings()).push.duplicates, { contacts: 'email', accounts: 'domain' });
    const crmA = x.tenant.portal.create('contacts', { email: 'ada@dups-hs.example' });
    const crmB = x.tenant.portal.create('contacts', { email: 'bob@dups-hs.example' });
    const crmCo = x.tenant.portal.create('companies', { name: 'Dups', domain: 'dups-hs.example' });

    const co = await x.write('accounts add', { name: 'Dups', domain: 'dups-hs.example' });
    const ada = await x.write('contacts add', {
      email: 'ada@dups-hs.example',
      last_name: 'Ada',
      email_status: 'verified',
    });
    await x.waitForPushDrained();
    assert.equal(await x.crmIdOf(co.id), crmCo.id, 'default: the company with the domain is linked');
    assert.equal(await x.crmIdOf(ada.id), crmA.id, 'default: the contact with the email is linked');

    await x.updateSettings({ push: { duplicates: { contacts: 'off', accounts: 'off' } } });
    const crmCo2 = x.tenant.portal.create('companies', { name: 'Dups Again', domain: 'dups2-hs.example' });
    const co2 = await x.write('accounts add', { name: 'Dups Again', domain: 'dups2-hs.example' });
    const bob = await x.write('contacts add', {
      email: 'bob@dups-hs.example',
      last_name: 'Bob',
      email_status: 'verified',
    });
    const cy = await x.write('contacts add', {
      email: 'cy@dups-hs.example',
      last_name: 'Cy',
      email_status: 'verified',
    });
    await x.waitForPushDrained();

    const twins = x.tenant.portal.portal.objects.companies.filter((c) => c.properties.domain === 'dups2-hs.example');
    assert.equal(twins.length, 2, 'off: a second company for the domain, as HubSpot allows');
    assert.ok(await x.crmIdOf(co2.id));
    assert.notEqual(await x.crmIdOf(co2.id), crmCo2.id, 'linked to the one it created');
    assert.equal(
      contactsByEmail(x.tenant.portal, 'bob@dups-hs.example').length,
      1,
      'HubSpot holds one contact per email',
    );
    assert.equal(await x.crmIdOf(bob.id), undefined, 'off: not silently linked to the existing contact');
    assert.ok(await x.crmIdOf(cy.id), 'a new email is created as usual');
    const [e] = await x.pushErrors();
    assert.equal(e.localId, bob.id);
    assert.equal(e.errorCode, 'CONFLICT');
    assert.equal(e.field, 'email');
    assert.equal(e.message, `Contact already exists. Existing ID: ${crmB.id}`, "HubSpot's own 409 message");
  });
});
