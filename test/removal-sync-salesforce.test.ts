import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mergeWorkspaceRecords } from '../src/store/workspace-removals';
import { newSalesforceTenant, startHarness, type Harness, type SalesforceTenant } from './support/harness';

/**
 * Deletion and merge sync, CRM -> workspace, on Salesforce (issue 14 items 1, 3, 6): deletions and
 * merge losers seen through queryAll by the next recurring pull, each setting on and off, per object
 * (Contact and Lead apart); an undelete after a merge ("unmerge") not reversed; a record purged from
 * the recycle bin found only by reconciliation.
 */
describe('Salesforce deletion and merge sync (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  const live = (t: SalesforceTenant, type: 'Contact' | 'Lead') =>
    t.org.org.records[type].filter((r) => r.IsDeleted !== true && r.IsConverted !== true).map((r) => String(r.Id));
  const rowOf = async (workspaceId: string, id: string) =>
    (
      await h.db.query<{ crm_removed: { how: string; crmId: string; mergedInto: string | null } | null }>(
        'SELECT crm_removed FROM contacts WHERE workspace_id = $1 AND id = $2',
        [workspaceId, id],
      )
    ).rows[0];
  /** The next recurring pull after now has ended. */
  const nextPull = async (x: Awaited<ReturnType<Harness['integration']>>) => {
    const since = Date.now();
    await h.env.sleep('31m');
    return x.waitForStatus(
      'a recurring pull',
      (v) => v.lastPull?.kind === 'recurring' && Date.parse(v.lastPull.finishedAt!) >= since,
    );
  };

  it('deletion sync on for leads only: a deleted Lead goes, a deleted Contact stays unlinked and marked', async () => {
    const t = await newSalesforceTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await x.updateSettings({ deletion: { leads: true, contacts: false } });
    const [lead] = live(t, 'Lead');
    const [contact] = live(t, 'Contact');
    const [leadLocal, contactLocal] = [
      (await x.recordByCrmId('contact', lead))!.id,
      (await x.recordByCrmId('contact', contact))!.id,
    ];
    await t.admin.remove('Lead', lead);
    await t.admin.remove('Contact', contact);
    const s = await nextPull(x);
    assert.equal(await rowOf(x.workspaceId, leadLocal), undefined, 'the Lead’s record is deleted');
    assert.equal((await rowOf(x.workspaceId, contactLocal))?.crm_removed?.how, 'deleted');
    assert.equal(await x.recordByCrmId('contact', contact), undefined);
    assert.deepEqual(s.removals, { deleted: 1, unlinked: 1, merged: 0 });
    await x.disconnect();
  });

  it('merged Contacts with merge sync on: one record under the master; an undelete of the loser is not reversed', async () => {
    const t = await newSalesforceTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await x.updateSettings({ merge: { contacts: true } });
    const [master, loser] = live(t, 'Contact');
    const [masterLocal, loserLocal] = [
      (await x.recordByCrmId('contact', master))!.id,
      (await x.recordByCrmId('contact', loser))!.id,
    ];
    await t.admin.merge('Contact', master, [loser]);
    const s = await nextPull(x);
    assert.equal((await x.recordByCrmId('contact', master))?.id, masterLocal);
    assert.equal(await rowOf(x.workspaceId, loserLocal), undefined, 'folded into the master’s record');
    assert.equal(s.removals.merged, 1);

    // Restored in Salesforce: it comes back as a record of its own; the workspace merge stays.
    await t.admin.undelete([loser]);
    await nextPull(x);
    const back = await x.recordByCrmId('contact', loser);
    assert.ok(back, 'the restored Contact is pulled again');
    assert.notEqual(back.id, masterLocal);
    assert.equal((await x.recordByCrmId('contact', master))?.id, masterLocal, 'the master keeps its record');
    await x.disconnect();
  });

  it('merged with merge sync off: the loser is kept, unlinked and flagged with the master’s id', async () => {
    const t = await newSalesforceTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const [master, loser] = live(t, 'Contact');
    const loserLocal = (await x.recordByCrmId('contact', loser))!.id;
    await t.admin.merge('Contact', master, [loser]);
    const s = await nextPull(x);
    const row = await rowOf(x.workspaceId, loserLocal);
    assert.deepEqual([row?.crm_removed?.how, row?.crm_removed?.mergedInto], ['merged', master]);
    assert.deepEqual(s.removals, { deleted: 0, unlinked: 1, merged: 0 });
    await x.disconnect();
  });

  it('two Contacts with one email merged in Salesforce: the potential-duplicate flag they raised is cleared', async () => {
    const t = await newSalesforceTenant(h);
    const [a, b] = await Promise.all(
      ['Twin', 'Twin Again'].map((LastName) => t.admin.create('Contact', { LastName, Email: 'twin@org.example' })),
    );
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await x.updateSettings({ merge: { contacts: true } });
    const flagged = (await x.status()).potentialDuplicates;
    assert.ok(flagged >= 2, `the two Contacts with one email are flagged (${flagged})`);
    await t.admin.merge('Contact', String(a.Id), [String(b.Id)]);
    const s = await nextPull(x);
    assert.equal(s.potentialDuplicates, flagged - 2, 'neither is a potential duplicate any more');
    assert.equal(s.removals.merged, 1);
    await x.disconnect();
  });

  it('a workspace merge is not synced: the kept record stays linked and pushed, the org keeps both Contacts', async () => {
    const t = await newSalesforceTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const [keepCrm, dropCrm] = live(t, 'Contact');
    const [keep, drop] = [
      (await x.recordByCrmId('contact', keepCrm))!.id,
      (await x.recordByCrmId('contact', dropCrm))!.id,
    ];
    await mergeWorkspaceRecords(h.db, x.workspaceId, 'contact', keep, drop);
    assert.equal(await rowOf(x.workspaceId, drop), undefined, 'the dropped record is folded in');
    assert.equal(await x.crmIdOf(keep), keepCrm);
    await x.write('contacts update', { title: 'Kept after the merge' }, { id: keep });
    await x.waitForPushDrained();
    assert.equal(t.org.getOf('Contact', keepCrm)?.Title, 'Kept after the merge', 'the kept record is pushed');
    assert.notEqual(t.org.getOf('Contact', dropCrm)?.IsDeleted, true, 'Salesforce keeps the other Contact');
    await x.disconnect();
  });

  it('a Contact purged from the recycle bin is found by reconciliation', async () => {
    const t = await newSalesforceTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await x.updateSettings({ deletion: { contacts: true } });
    const [purged] = live(t, 'Contact');
    const local = (await x.recordByCrmId('contact', purged))!.id;
    await t.admin.remove('Contact', purged);
    await t.admin.purge([purged]);
    await nextPull(x);
    assert.ok(await x.recordByCrmId('contact', purged), 'queryAll no longer shows a purged record');
    await x.handle.executeUpdate('reconcileNow', { args: [{}] });
    await x.waitForStatus('reconciled', (v) => v.removals.deleted === 1);
    assert.equal(await rowOf(x.workspaceId, local), undefined);
    await x.disconnect();
  });
});
