import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { unlinkedOwnerRecords } from '../src/store/reports';
import { linkCrmOwner, setPermission, upsertUser } from '../src/store/workspace-store';
import { newTenant, startHarness, waitFor, type Harness } from './support/harness';

describe('credentials and owner changes (time-skipping)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h?.stop();
  });

  it('bad credentials lead to needsReauth with no retry storm, and reauthorize recovers', async () => {
    const t = await newTenant(h);
    await t.admin.revoke(t.token);
    const x = await h.integration(t, { plan: 'free' });

    const waiting = await x.waitForPhase('needsReauth');
    assert.match(waiting.needsReauthReason!, /^HubSpot account details failed \(401 INVALID_AUTHENTICATION\)/);
    await h.env.sleep('3h');
    assert.equal((await x.status()).phase, 'needsReauth', 'still waiting after hours');
    assert.equal(h.sandbox.unauthorized, 1, 'one 401, no retries against the CRM');

    // The operator installs a new token under the same connection name, then says so.
    const fresh = await x.rotateToken();
    await x.reauthorize();
    const syncing = await x.waitForPhase('syncing');
    assert.equal(syncing.needsReauthReason, null);
    assert.equal(syncing.lastPull?.created, 25);

    // Tokens never reach workflow history or logs.
    await x.disconnect();
    const history = JSON.stringify(await x.handle.fetchHistory());
    for (const token of [t.token, fresh]) {
      assert.ok(!history.includes(token), 'token in workflow history');
      assert.ok(!h.logs.some((l) => l.includes(token)), 'token in logs');
    }
    assert.ok(h.logs.length > 0, 'the worker did log');
  });

  it('a revoked token during syncing moves to needsReauth and resumes after reauthorize', async () => {
    const t = await newTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await t.admin.revoke(t.token);
    await h.env.sleep('16m');
    const s = await x.waitForPhase('needsReauth');
    assert.equal(s.errors.failedPulls, 1);
    await t.admin.addToken(t.token);
    await x.reauthorize();
    await x.waitForStatus('syncing again', (s) => s.phase === 'syncing');
    await x.disconnect();
  });

  /** Two workspace users linked to the first two CRM owners; a third CRM owner linked to nobody. */
  async function ownersTenant(permissions: string[]) {
    const t = await newTenant(h, { contacts: 6, companies: 2, owners: 3, permissions });
    for (const [i, owner] of ['70000', '70001'].entries()) {
      await upsertUser(h.db, {
        id: `${t.workspaceId}-rep${i}`,
        workspaceId: t.workspaceId,
        email: `rep${i}@${t.workspaceId}.example`,
        name: `Rep ${i}`,
      });
      await linkCrmOwner(h.db, t.workspaceId, 'hubspot', owner, `${t.workspaceId}-rep${i}`);
    }
    // A contact owned by a linked owner, for the change.
    const contact = await t.admin.create('contacts', {
      email: 'owned@example.com',
      firstname: 'Owen',
      hubspot_owner_id: '70000',
    });
    return { t, contactId: contact.id };
  }

  it('applies a CRM owner change when the sync user may assign contact owners', async () => {
    const { t, contactId } = await ownersTenant(['assign contact owner', 'assign account owner']);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const contact = () => x.recordByCrmId('contact', contactId);
    assert.equal((await contact())?.ownerUserId, `${t.workspaceId}-rep0`);

    await t.admin.update('contacts', contactId, { hubspot_owner_id: '70001' });
    await h.env.sleep('16m');
    await waitFor('owner applied', contact, (c) => c?.ownerUserId === `${t.workspaceId}-rep1`);
    const s = await x.waitForStatus('recurring pull recorded', (s) => s.lastPull?.kind === 'recurring');
    assert.equal(s.lastPull?.ownerChanges, 1);
    assert.equal(
      (await x.errorLog({ jobType: 'owner-sync' })).filter((e) => e.errorCode === 'OWNER_SYNC_PERMISSION').length,
      0,
    );

    // An owner linked to no workspace user is logged, not guessed: one entry for the owner, whose
    // records include the contact once the pull has seen it.
    await t.admin.update('contacts', contactId, { hubspot_owner_id: '70002' });
    await h.env.sleep('15m');
    await waitFor(
      'the contact among the unlinked owner records',
      () => unlinkedOwnerRecords(h.db, t.workspaceId, 'hubspot', 'contact', '70002'),
      (records) => records.some((r) => r.crmId === contactId),
    );
    const unlinked = (await x.errorLog({ jobType: 'owner-sync' })).filter(
      (e) => e.errorCode === 'OWNER_NOT_LINKED' && e.objectKind === 'contact' && !e.resolvedAt,
    );
    assert.deepEqual(
      unlinked.map((e) => e.crmOwnerId),
      ['70002'],
      'one open entry for the owner',
    );
    assert.match(unlinked[0].message, /CRM owner 70002 is linked to no workspace user/);
    assert.ok(unlinked[0].records! >= 1);
    assert.equal((await contact())?.ownerUserId, `${t.workspaceId}-rep1`);
    await x.disconnect();
  });

  it('logs an owner change without the permission, and applies it after the permission is granted and pullNow runs', async () => {
    const { t, contactId } = await ownersTenant([]);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const contact = () => x.recordByCrmId('contact', contactId);
    assert.equal((await contact())?.ownerUserId, null);

    const entries = await x.errorLog({ jobType: 'owner-sync' });
    const entry = entries.find((e) => e.crmId === contactId && e.errorCode === 'OWNER_SYNC_PERMISSION');
    assert.ok(entry, 'permission entry for the contact');
    assert.equal(entry.objectKind, 'contact');
    assert.match(entry.message, new RegExp(`sync user ${t.syncUserId} lacks the "assign contact owner" permission`));
    assert.ok((await x.status()).errors.ownerSync > 0);

    await setPermission(h.db, t.syncUserId, 'assign contact owner', true);
    await x.pullNow();
    await waitFor('owner applied after pullNow', contact, (c) => c?.ownerUserId === `${t.workspaceId}-rep0`);
    // Accounts still need their own permission.
    const accountEntries = (await x.errorLog({ jobType: 'owner-sync', limit: 1000 })).filter(
      (e) => e.objectKind === 'account',
    );
    assert.ok(accountEntries.some((e) => e.message.includes('"assign account owner"')));
    await x.disconnect();
  });
});
