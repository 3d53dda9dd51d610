import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setPermission, upsertUser } from '../src/store/workspace-store';
import { newSalesforceTenant, startHarness, waitFor, type Harness, type SalesforceTenant } from './support/harness';

/** Salesforce-specific pulls on the time-skipping server: lead/contact dedup, owners, the daily allowance. */
describe('salesforce lifecycle (time-skipping)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h?.stop();
  });

  /** Free plan: the initial pull starts at once. */
  const start = (t: SalesforceTenant) => h.integration(t, { plan: 'free' });

  it('pulls the contact, not the lead, for the same person; a converted lead follows to its contact', async () => {
    const t = await newSalesforceTenant(h, {
      seed: { accounts: 5, contacts: 20, leads: 10, leadContactPairs: 5, convertedLeads: 3, duplicates: 2 },
    });
    const x = await start(t);
    const contactOf = (crmId: string) => x.recordByCrmId('contact', crmId);
    const s = await x.waitForPhase('syncing');
    const crmContacts = (await t.admin.ids('Contact')).count; // 20 + 3 from conversions + 2 duplicates
    assert.equal(crmContacts, 25);
    // Every CRM contact, plus only the 10 leads that are nobody's contact.
    assert.equal((await x.counts()).contacts, crmContacts + 10);
    const { rows: leadLinks } = await h.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM crm_links WHERE workspace_id = $1 AND crm_object = 'Lead'`,
      [t.workspaceId],
    );
    assert.equal(Number(leadLinks[0].n), 10);
    const crmAccounts = (await t.admin.ids('Account')).count; // 5 + 3 from conversions
    assert.equal(s.lastPull?.seen, crmAccounts + crmContacts + 18, 'every account, contact and lead was seen');
    // The two CRM duplicates are mirrored and flagged, with the contacts they copy.
    assert.equal(s.potentialDuplicates, 4);

    // A lead the workspace holds is converted in Salesforce: the same workspace record moves to the contact.
    const { ids: leadIds } = await t.admin.ids('Lead');
    const open = [];
    for (const id of leadIds) if ((await contactOf(id)) !== undefined) open.push(id);
    const before = (await contactOf(open[0]))!;
    const conv = await t.admin.convertLead(open[0]);
    // And a new contact is created for the person behind another held lead.
    const other = await t.admin.get('Lead', open[1]);
    const newContact = await t.admin.create('Contact', { LastName: 'Now A Contact', Email: String(other.Email) });
    const held = (await contactOf(open[1]))!;

    await x.pullNow();
    await waitFor(
      'the converted lead followed',
      () => contactOf(conv.contactId),
      (c) => c?.id === before.id,
    );
    assert.equal(await contactOf(open[0]), undefined, 'no record is linked to the converted lead any more');
    const takenOver = await waitFor(
      'the new contact took over',
      () => contactOf(String(newContact.Id)),
      (c) => !!c,
    );
    assert.equal(takenOver!.id, held.id, 'the same workspace record, now linked to the contact');
    assert.equal((await x.counts()).contacts, crmContacts + 10, 'nobody was added twice');
    await x.disconnect();
  });

  it('a revoked Salesforce session leads to needsReauth with one 401, and reauthorize recovers; no token leaks', async () => {
    const t = await newSalesforceTenant(h);
    await t.admin.revoke(t.token);
    const x = await start(t);
    const waiting = await x.waitForPhase('needsReauth');
    assert.match(
      waiting.needsReauthReason!,
      /^Salesforce identity failed \(INVALID_SESSION_ID\): Session expired or invalid/,
    );
    await h.env.sleep('2h');
    assert.equal((await x.status()).phase, 'needsReauth');
    assert.equal(h.salesforce.unauthorized, 1, 'one 401, no retries against the CRM');

    const fresh = await x.rotateToken();
    await x.reauthorize();
    const syncing = await x.waitForPhase('syncing');
    assert.equal(syncing.lastPull?.created, 35);
    await x.disconnect();
    const history = JSON.stringify(await x.handle.fetchHistory());
    for (const token of [t.token, fresh]) {
      assert.ok(!history.includes(token), 'token in workflow history');
      assert.ok(!h.logs.some((l) => l.includes(token)), 'token in logs');
    }
  });

  async function ownersTenant(permissions: string[]) {
    const t = await newSalesforceTenant(h, { permissions, seed: { accounts: 2, contacts: 5, leads: 0, users: 2 } });
    const { ids: users } = await t.admin.ids('User');
    const reps = [];
    for (const id of users) {
      const u = await t.admin.get('User', id);
      if (String(u.Username).startsWith('integration@')) continue;
      reps.push(id);
      // Reps of the workspace share the Salesforce users' emails, so the owners link on connect.
      await upsertUser(h.db, {
        id: `${t.workspaceId}-rep${reps.length - 1}`,
        workspaceId: t.workspaceId,
        email: String(u.Email),
        name: String(u.Name),
      });
    }
    const contact = await t.admin.create('Contact', {
      LastName: 'Owned',
      Email: 'owned@example.com',
      OwnerId: reps[0],
    });
    return { t, reps, contactId: String(contact.Id) };
  }

  it('applies an owner change made in Salesforce when the sync user may assign contact owners', async () => {
    const { t, reps, contactId } = await ownersTenant(['assign contact owner', 'assign account owner']);
    const x = await start(t);
    const contact = () => x.recordByCrmId('contact', contactId);
    await x.waitForPhase('syncing');
    assert.equal((await contact())?.ownerUserId, `${t.workspaceId}-rep0`);
    await t.admin.update('Contact', contactId, { OwnerId: reps[1] });
    await h.env.sleep('31m');
    await waitFor('owner applied', contact, (c) => c?.ownerUserId === `${t.workspaceId}-rep1`);
    await x.disconnect();
  });

  it('logs an owner change without the permission and applies it after the grant and pullNow', async () => {
    const { t, reps, contactId } = await ownersTenant([]);
    const x = await start(t);
    const contact = () => x.recordByCrmId('contact', contactId);
    await x.waitForPhase('syncing');
    await t.admin.update('Contact', contactId, { OwnerId: reps[1] });
    await h.env.sleep('31m');
    const entries = await waitFor(
      'permission logged',
      () => x.errorLog({ jobType: 'owner-sync', limit: 1000 }),
      (e) => e.some((r) => r.crmId === contactId),
    );
    assert.match(
      entries.find((r) => r.crmId === contactId)!.message,
      new RegExp(`sync user ${t.syncUserId} lacks the "assign contact owner" permission`),
    );
    assert.equal((await contact())?.ownerUserId, null);
    await setPermission(h.db, t.syncUserId, 'assign contact owner', true);
    await x.pullNow();
    await waitFor('owner applied after pullNow', contact, (c) => c?.ownerUserId === `${t.workspaceId}-rep1`);
    await x.disconnect();
  });

  it('pauses before the daily allowance is spent, shows when it looks again, and resumes after it renews', async () => {
    // 600 requests a day, 10% kept back: the sync may spend 540. The customer's other integrations
    // have spent 537 already, so the allowance runs short during connect and the first pull.
    const t = await newSalesforceTenant(h, { limits: { dailyMax: 600 } });
    await t.admin.setUsage(537);
    const x = await start(t);
    const paused = await x.waitForStatus('paused', (s) => s.pausedUntil !== null, 120_000);
    assert.match(
      paused.pauseReason!,
      /daily API allowance nearly spent \(\d+ of 600 used; 10% is kept for other integrations\)/,
    );
    assert.ok(
      Date.parse(paused.pausedUntil!) - (await h.env.currentTimeMs()) > 50 * 60_000,
      'it looks again in about an hour, not in a loop',
    );
    const usage = await t.admin.usage();
    // 540 usable; past it, only calls already in flight and one /limits look per paused activity.
    assert.ok(usage.count <= 545, `the reserve of 60 was left nearly whole: ${usage.count} of 600 used`);
    assert.equal((await t.admin.stats()).limitRejections, 0, 'the adapter stopped before Salesforce had to refuse');

    // An hour on, the allowance has not renewed: it pauses again, having made one call to look.
    await h.env.sleep('61m');
    const again = await x.waitForStatus(
      'paused again',
      (s) => s.pausedUntil !== null && s.pausedUntil !== paused.pausedUntil,
      60_000,
    );
    const looked = (await t.admin.usage()).count - usage.count;
    assert.ok(looked >= 1 && looked <= 2, `one /limits look per paused activity, no loop (${looked} calls)`);

    // The allowance renews; at the next look the paused pull goes on by itself and finishes.
    await t.admin.setUsage(0);
    await h.env.sleep('61m');
    const done = await x.waitForStatus('initial pull finished', (s) => s.phase === 'syncing', 120_000);
    assert.ok(again.pausedUntil);
    assert.equal(done.pausedUntil, null);
    assert.equal(done.lastPull?.kind, 'initial');
    assert.equal(done.lastPull?.failure, undefined);
    assert.equal(done.errors.failedPulls, 0, 'no failed pull, no failed workflow');
    assert.equal((await x.counts()).contacts, 30);
    await x.disconnect();
  });
});
