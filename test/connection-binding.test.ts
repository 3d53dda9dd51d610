import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { workspaceCounts } from '../src/store/reports';
import { newSalesforceTenant, newTenant, startHarness, type Harness } from './support/harness';

/**
 * An integration is bound to its CRM and to the account of its first connect (issue 13, item 2):
 * a connection for the other CRM, or one reaching another portal or org, is refused at connect and
 * at reauthorize, before anything is pulled from or pushed to the account it reaches.
 */
describe('connections are bound to the CRM and account of the first connect (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  it('HubSpot: reauthorize naming another portal while syncing is refused at the next call; nothing crosses', async () => {
    const a = await newTenant(h);
    const b = await newTenant(h, { contacts: 7, companies: 2 });
    const x = await h.integration(a, { plan: 'free', until: 'syncing' });
    const before = await workspaceCounts(h.db, a.workspaceId, 'hubspot');
    assert.deepEqual([before.contacts, before.accounts], [20, 5]);
    const portalB = b.portal.portal.objects.contacts.length;

    // The operator names the wrong connection; a user then adds a contact, which would push at once.
    await x.reauthorize({ connection: b.connection });
    const { id } = await x.write('contacts add', { email: 'kept@binding.example', last_name: 'Kept' });
    const refused = await x.waitForPhase('needsReauth');
    assert.equal(
      refused.needsReauthReason,
      `connection "${b.connection}" reaches HubSpot portal ${b.portal.portal.portalId}, and this integration is bound to ` +
        `HubSpot portal ${a.portal.portal.portalId}, where its linked records are: reauthorize with a connection to ` +
        `HubSpot portal ${a.portal.portal.portalId}`,
    );
    assert.equal(b.portal.portal.objects.contacts.length, portalB, 'nothing was pushed to the other portal');
    assert.equal(b.portal.findByUnique('contacts', 'email', 'kept@binding.example'), undefined);
    // Hours later, a pull's slot long past: still waiting, and nothing was pulled from the other portal.
    await h.env.sleep('2h');
    const waiting = await workspaceCounts(h.db, a.workspaceId, 'hubspot');
    assert.deepEqual([waiting.contacts, waiting.accounts], [21, 5], 'the 20 pulled and the one added, no more');
    assert.equal((await x.status()).phase, 'needsReauth');

    // The right connection again: the queued contact goes to the bound portal, nothing lost.
    await x.reauthorize({ connection: a.connection });
    await x.waitForPhase('syncing');
    await x.waitForPushDrained();
    const crmId = await x.crmIdOf(id);
    assert.ok(crmId && a.portal.get('contacts', crmId), 'pushed to the bound portal');
    assert.equal(b.portal.portal.objects.contacts.length, portalB);
    await x.disconnect();
  });

  it('HubSpot: a Salesforce connection is refused at connect, and the right one then connects', async () => {
    const a = await newTenant(h);
    const sf = await newSalesforceTenant(h);
    const x = await h.integration({ ...a, connection: sf.connection }, { plan: 'free' });
    const refused = await x.waitForPhase('needsReauth');
    assert.equal(
      refused.needsReauthReason,
      `connection "${sf.connection}" is a Salesforce connection, and this integration syncs HubSpot: ` +
        'reauthorize with a HubSpot connection',
    );
    assert.equal(sf.org.org.records.Account.length, 5, 'nothing was written to the Salesforce org');
    await x.reauthorize({ connection: a.connection });
    const syncing = await x.waitForPhase('syncing');
    assert.equal(syncing.lastPull?.created, 25);
    await x.disconnect();
  });

  it('HubSpot: a workspace connected to one portal is refused another when it connects again', async () => {
    const a = await newTenant(h);
    const b = await newTenant(h, { contacts: 3, companies: 1 });
    const first = await h.integration(a, { plan: 'free', until: 'syncing' });
    await first.disconnect();

    const again = await h.integration({ ...a, connection: b.connection }, { plan: 'free' });
    const refused = await again.waitForPhase('needsReauth');
    assert.match(refused.needsReauthReason!, new RegExp(`bound to HubSpot portal ${a.portal.portal.portalId}\\b`));
    const counts = await workspaceCounts(h.db, a.workspaceId, 'hubspot');
    assert.deepEqual([counts.contacts, counts.accounts], [20, 5], 'nothing pulled from the other portal');
    await again.reauthorize({ connection: a.connection });
    await again.waitForPhase('syncing');
    await again.disconnect();
  });

  it('Salesforce: reauthorize after a revoked token, naming another org, is refused; the bound org resumes', async () => {
    const a = await newSalesforceTenant(h);
    const b = await newSalesforceTenant(h);
    const x = await h.integration(a, { plan: 'free', until: 'syncing' });
    await a.admin.revoke(a.token);
    await h.env.sleep('31m');
    await x.waitForPhase('needsReauth');

    await x.reauthorize({ connection: b.connection });
    const refused = await x.waitForStatus('refused', (s) => /reaches Salesforce org/.test(s.needsReauthReason ?? ''));
    assert.equal(refused.phase, 'needsReauth');
    assert.equal(
      refused.needsReauthReason,
      `connection "${b.connection}" reaches Salesforce org ${b.org.org.orgId}, and this integration is bound to ` +
        `Salesforce org ${a.org.org.orgId}, where its linked records are: reauthorize with a connection to ` +
        `Salesforce org ${a.org.org.orgId}`,
    );

    await a.admin.addToken(a.token);
    await x.reauthorize({ connection: a.connection });
    await x.waitForPhase('syncing');
    await x.disconnect();
  });
});
