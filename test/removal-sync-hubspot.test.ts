import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newTenant, startHarness, type Harness, type HubSpotTenant } from './support/harness';

/**
 * Deletion and merge sync, CRM -> workspace, on HubSpot (issue 14 items 1, 3, 5, 6): what the next
 * recurring pull does with a record deleted (archived) or merged in the portal, each setting on and
 * off; and a hard delete past the recycle bin, which only a reconciliation finds.
 */
describe('HubSpot deletion and merge sync (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  const contactIds = (t: HubSpotTenant) => t.portal.portal.objects.contacts.filter((c) => !c.archived).map((c) => c.id);
  const rowOf = async (x: { workspaceId: string }, id: string) =>
    (
      await h.db.query<{ id: string; crm_removed: { how: string; crmId: string; mergedInto: string | null } | null }>(
        'SELECT id, crm_removed FROM contacts WHERE workspace_id = $1 AND id = $2',
        [x.workspaceId, id],
      )
    ).rows[0];

  it('deleted with deletion sync on: the workspace record goes; off: it stays, unlinked and marked', async () => {
    for (const on of [true, false]) {
      const t = await newTenant(h);
      const x = await h.integration(t, { plan: 'free', until: 'syncing' });
      await x.updateSettings({ deletion: { contacts: on } });
      const [gone] = contactIds(t);
      const local = (await x.recordByCrmId('contact', gone))!.id;
      await t.admin.archive('contacts', gone);
      await h.env.sleep('16m');
      const s = await x.waitForStatus('a recurring pull after the deletion', (v) => v.lastPull?.kind === 'recurring');
      assert.equal(await x.recordByCrmId('contact', gone), undefined, 'no longer linked');
      const row = await rowOf(x, local);
      if (on) {
        assert.equal(row, undefined, 'deleted in the workspace');
        assert.deepEqual(s.removals, { deleted: 1, unlinked: 0, merged: 0 });
      } else {
        assert.equal(row?.crm_removed?.how, 'deleted');
        assert.equal(row?.crm_removed?.crmId, gone);
        assert.deepEqual(s.removals, { deleted: 0, unlinked: 1, merged: 0 });
        // An edit of the kept record does not create it in HubSpot again (only a manual push would).
        const liveBefore = contactIds(t).length;
        await x.write('contacts update', { title: 'Edited after the deletion' }, { id: local });
        const drained = await x.waitForPushDrained();
        assert.equal(contactIds(t).length, liveBefore, 'no contact created for it');
        assert.equal(await x.crmIdOf(local), undefined);
        assert.equal(drained.push.totals.created, 0);
      }
      await x.disconnect();
    }
  });

  it('merged with merge sync on: one workspace record under the survivor; off: the loser unlinked and flagged', async () => {
    for (const on of [true, false]) {
      const t = await newTenant(h);
      const x = await h.integration(t, { plan: 'free', until: 'syncing' });
      await x.updateSettings({ merge: { contacts: on } });
      const [keep, drop] = contactIds(t);
      const [keepLocal, dropLocal] = [
        (await x.recordByCrmId('contact', keep))!.id,
        (await x.recordByCrmId('contact', drop))!.id,
      ];
      const before = (await x.counts()).contacts;
      await t.admin.merge('contacts', keep, drop);
      await h.env.sleep('16m');
      const s = await x.waitForStatus('a recurring pull after the merge', (v) => v.lastPull?.kind === 'recurring');
      assert.equal((await x.recordByCrmId('contact', keep))?.id, keepLocal, 'the survivor keeps its record');
      assert.equal(await x.recordByCrmId('contact', drop), undefined);
      if (on) {
        assert.equal(await rowOf(x, dropLocal), undefined, 'merged into the survivor’s record');
        assert.equal((await x.counts()).contacts, before - 1);
        assert.deepEqual(s.removals, { deleted: 0, unlinked: 0, merged: 1 });
      } else {
        const row = await rowOf(x, dropLocal);
        assert.deepEqual([row?.crm_removed?.how, row?.crm_removed?.mergedInto], ['merged', keep]);
        assert.deepEqual(s.removals, { deleted: 0, unlinked: 1, merged: 0 });
      }
      await x.disconnect();
    }
  });

  it('a company merged in HubSpot clears the potential-duplicate flag it raised', async () => {
    const t = await newTenant(h);
    const [first] = t.portal.portal.objects.companies;
    const twin = await t.admin.create('companies', {
      name: 'Twin Co',
      domain: first.properties.domain ?? 'twin.example',
    });
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await x.updateSettings({ merge: { accounts: true } });
    assert.ok((await x.status()).potentialDuplicates >= 2, 'the two companies with one domain are flagged');
    const flaggedBefore = (await x.status()).potentialDuplicates;
    await t.admin.merge('companies', first.id, twin.id);
    await h.env.sleep('16m');
    const s = await x.waitForStatus('a recurring pull after the merge', (v) => v.lastPull?.kind === 'recurring');
    assert.equal(s.potentialDuplicates, flaggedBefore - 2, 'neither company is a potential duplicate any more');
    assert.equal(s.removals.merged, 1);
    await x.disconnect();
  });

  it('a hard delete past the recycle bin is missed by pulls and found by reconciliation', async () => {
    const t = await newTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await x.updateSettings({ deletion: { contacts: true } });
    const [purged] = contactIds(t);
    const local = (await x.recordByCrmId('contact', purged))!.id;
    // Gone for good (a GDPR delete, an emptied recycle bin): no archived listing shows it.
    await t.admin.purge('contacts', [purged]);
    await h.env.sleep('16m');
    await x.waitForStatus('a recurring pull', (v) => v.lastPull?.kind === 'recurring');
    assert.ok(await x.recordByCrmId('contact', purged), 'an incremental pull cannot see a purged record');

    const listsBefore = h.sandbox.portalStats(t.portal.portal.portalId).byRoute['GET /crm/v3/objects/contacts'] ?? 0;
    const accepted = await x.handle.executeUpdate('reconcileNow', { args: [{}] });
    assert.equal((accepted as { accepted: boolean }).accepted, true);
    const s = await x.waitForStatus('reconciled', (v) => v.removals.deleted === 1);
    assert.equal(await rowOf(x, local), undefined, 'deleted in the workspace by the deletion setting');
    assert.equal(s.errors.failedPulls, 0);
    const lists =
      (h.sandbox.portalStats(t.portal.portal.portalId).byRoute['GET /crm/v3/objects/contacts'] ?? 0) - listsBefore;
    // 20 seeded contacts: one ids page per stream, plus the pull's own listing of archived ones.
    assert.ok(lists >= 1 && lists <= 3, `${lists} contact list calls`);
    await x.disconnect();
  });
});
