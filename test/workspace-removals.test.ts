import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDuplicates } from '../src/store/duplicates';
import { outboxCounts, recordOutcomes } from '../src/store/push-store';
import { mergeWorkspaceRecords } from '../src/store/workspace-removals';
import { deleteAndNotify } from '../src/client/workspace-writes';
import { newSalesforceTenant, newTenant, startHarness, type Harness, type Integration } from './support/harness';

/**
 * Deletion and merge sync from the workspace side, full stack on both sandboxes: a push to a
 * record the CRM deleted (issue 14 item 7), workspace deletions (item 2), workspace merges (item 4)
 * and the duplicates list (item 5). The CRM commands the store runs here are the CLI's own.
 */
describe('workspace deletions and merges, and pushes to records the CRM deleted (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  /** Linked workspace records of a kind (and CRM object), oldest CRM id first. */
  async function linked(x: Integration, kind: 'contact' | 'account', crmObject?: string) {
    const { rows } = await h.db.query<{ local_id: string; crm_id: string; crm_object: string }>(
      `SELECT local_id, crm_id, crm_object FROM crm_links WHERE workspace_id = $1 AND crm = $2 AND object_kind = $3
          AND ($4::text IS NULL OR crm_object = $4) ORDER BY crm_id`,
      [x.workspaceId, x.crm, kind, crmObject ?? null],
    );
    return rows;
  }

  async function contactRow(x: Integration, id: string) {
    const { rows } = await h.db.query<{
      id: string;
      crm_removed: Record<string, unknown> | null;
      title: string | null;
    }>('SELECT id, crm_removed, title FROM contacts WHERE workspace_id = $1 AND id = $2', [x.workspaceId, id]);
    return rows[0];
  }

  /** Edits a contact, waits for the push, and says what the workspace and status show after it. */
  async function editAndPush(x: Integration, id: string) {
    await x.write('contacts update', { title: `Edited ${Date.now()}` }, { id });
    const status = await x.waitForPushDrained();
    const outbox = await outboxCounts(h.db, x.workspaceId, x.crm);
    return { status, row: await contactRow(x, id), link: await x.linkOf(id), outbox, errors: await x.pushErrors() };
  }

  /** Deletion on: the workspace record goes. Off: it stays, unlinked and marked. Neither is an error retried forever. */
  async function pushToDeleted(x: Integration, remove: (crmId: string) => void) {
    const object = x.crm === 'salesforce' ? 'Contact' : undefined;
    const [a, b] = await linked(x, 'contact', object);
    await x.updateSettings({ deletion: { contacts: true } });
    remove(a.crm_id);
    const on = await editAndPush(x, a.local_id);
    assert.equal(on.row, undefined, 'deletion on: the workspace contact is deleted');
    assert.deepEqual(on.errors, [], 'no error-log entry');
    assert.equal(on.outbox.due + on.outbox.deferred, 0, 'nothing left to retry');
    assert.deepEqual(on.status.removals, { deleted: 1, unlinked: 0, merged: 0 });

    await x.updateSettings({ deletion: { contacts: false } });
    remove(b.crm_id);
    const off = await editAndPush(x, b.local_id);
    assert.ok(off.row, 'deletion off: the workspace contact is kept');
    assert.equal(off.link, undefined, 'and unlinked');
    assert.equal(off.row.crm_removed?.how, 'deleted');
    assert.equal(off.row.crm_removed?.crmId, b.crm_id);
    assert.deepEqual(off.errors, [], 'no error-log entry');
    assert.equal(off.outbox.due + off.outbox.deferred, 0, 'nothing left to retry');
    assert.deepEqual(off.status.removals, { deleted: 1, unlinked: 1, merged: 0 });
  }

  it('HubSpot: a push to a contact archived in HubSpot is a CRM deletion, by the deletion setting', async () => {
    const t = await newTenant(h, { contacts: 6, companies: 2 });
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await pushToDeleted(x, (crmId) => {
      const rec = t.portal.get('contacts', crmId)!;
      rec.archived = true;
      rec.archivedAt = new Date().toISOString();
    });
  });

  it('Salesforce: a push to a Contact in the recycle bin is a CRM deletion, by the deletion setting', async () => {
    const t = await newSalesforceTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await pushToDeleted(x, (crmId) => assert.ok(t.org.remove('Contact', crmId)));
  });

  it('HubSpot: a push to a company archived in HubSpot, account deletion on: the workspace account goes, its contacts stay', async () => {
    const t = await newTenant(h, { contacts: 8, companies: 2 });
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await x.updateSettings({ deletion: { accounts: true } });
    const { rows } = await h.db.query<{ account_id: string; n: number }>(
      `SELECT account_id, count(*)::int AS n FROM contacts WHERE workspace_id = $1 AND account_id IS NOT NULL
        GROUP BY account_id ORDER BY n DESC LIMIT 1`,
      [x.workspaceId],
    );
    const account = rows[0].account_id;
    t.portal.get('companies', (await x.crmIdOf(account))!)!.archived = true;
    await x.write('accounts update', { industry: 'Gone' }, { id: account });
    const status = await x.waitForPushDrained();
    const left = await h.db.query('SELECT 1 FROM accounts WHERE workspace_id = $1 AND id = $2', [
      x.workspaceId,
      account,
    ]);
    assert.equal(left.rows.length, 0, 'the workspace account is deleted');
    const orphans = await h.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM contacts WHERE workspace_id = $1 AND account_id IS NULL',
      [x.workspaceId],
    );
    assert.ok(orphans.rows[0].n >= rows[0].n, 'its contacts stay, without an account');
    assert.deepEqual(await x.pushErrors(), []);
    assert.deepEqual(status.removals, { deleted: 1, unlinked: 0, merged: 0 });
  });

  it('HubSpot: a workspace deletion with deletion sync off leaves the CRM record, and its outbox row goes', async () => {
    const t = await newTenant(h, { contacts: 4, companies: 2 });
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const [a] = await linked(x, 'contact');
    const r = await deleteAndNotify(h.db, h.env.client, 'contact', x.workspaceId, a.local_id);
    assert.deepEqual(r.crms, ['hubspot'], 'a delete row for the CRM it was linked to');
    await x.waitForPushDrained();
    assert.equal(await contactRow(x, a.local_id), undefined, 'gone from the workspace');
    assert.equal(t.portal.get('contacts', a.crm_id)?.archived, false, 'HubSpot keeps it');
    const outbox = await outboxCounts(h.db, x.workspaceId, x.crm);
    assert.equal(outbox.due + outbox.deferred, 0, 'the delete row was dropped');
    assert.deepEqual((await x.status()).removals, { deleted: 0, unlinked: 0, merged: 0 });
  });

  it('Salesforce: a workspace deletion with deletion sync off leaves the Contact in Salesforce', async () => {
    const t = await newSalesforceTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const [a] = await linked(x, 'contact', 'Contact');
    await deleteAndNotify(h.db, h.env.client, 'contact', x.workspaceId, a.local_id);
    await x.waitForPushDrained();
    assert.equal(await contactRow(x, a.local_id), undefined, 'gone from the workspace');
    assert.notEqual(t.org.getOf('Contact', a.crm_id)?.IsDeleted, true, 'Salesforce keeps it');
    const outbox = await outboxCounts(h.db, x.workspaceId, x.crm);
    assert.equal(outbox.due + outbox.deferred, 0, 'the delete row was dropped');
  });

  it('Salesforce: workspace deletions with deletion sync on for contacts delete the Contact, not the Lead or the Account', async () => {
    const t = await newSalesforceTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await x.updateSettings({ deletion: { contacts: true, leads: false } });
    const [a] = await linked(x, 'contact', 'Contact');
    const [l] = await linked(x, 'contact', 'Lead');
    const [c] = await linked(x, 'account');
    for (const [kind, id] of [
      ['contact', a.local_id],
      ['contact', l.local_id],
      ['account', c.local_id],
    ] as const)
      await deleteAndNotify(h.db, h.env.client, kind, x.workspaceId, id);
    const status = await x.waitForPushDrained();
    assert.equal(t.org.getOf('Contact', a.crm_id)?.IsDeleted, true, 'in the recycle bin');
    assert.notEqual(t.org.getOf('Lead', l.crm_id)?.IsDeleted, true, 'lead deletion is off: Salesforce keeps it');
    assert.notEqual(t.org.getOf('Account', c.crm_id)?.IsDeleted, true, 'account deletion is off too');
    assert.deepEqual(await x.pushErrors(), []);
    assert.deepEqual(status.removals, { deleted: 1, unlinked: 0, merged: 0 });
  });

  it('HubSpot: workspace deletions with deletion sync on for contacts archive their HubSpot contacts, not the accounts', async () => {
    const t = await newTenant(h, { contacts: 5, companies: 2 });
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await x.updateSettings({ deletion: { contacts: true } });
    const [a, b] = await linked(x, 'contact');
    const [c] = await linked(x, 'account');
    // Archived in HubSpot already: deleted either way.
    t.portal.get('contacts', b.crm_id)!.archived = true;
    for (const [kind, id] of [
      ['contact', a.local_id],
      ['contact', b.local_id],
      ['account', c.local_id],
    ] as const)
      await deleteAndNotify(h.db, h.env.client, kind, x.workspaceId, id);
    const status = await x.waitForPushDrained();
    assert.equal(t.portal.get('contacts', a.crm_id)?.archived, true, 'archived in HubSpot');
    assert.equal(t.portal.get('contacts', b.crm_id)?.archived, true, 'still archived');
    assert.equal(t.portal.get('companies', c.crm_id)?.archived, false, 'account deletion is off: HubSpot keeps it');
    assert.deepEqual(await x.pushErrors(), []);
    assert.deepEqual(status.removals, { deleted: 2, unlinked: 0, merged: 0 });
    const outbox = await outboxCounts(h.db, x.workspaceId, x.crm);
    assert.equal(outbox.due + outbox.deferred, 0);
  });

  it('HubSpot: a deletion during an outage is retried by itself; a refused one goes again with errors retry', async () => {
    const t = await newTenant(h, { contacts: 4, companies: 2 });
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    await x.updateSettings({ deletion: { contacts: true } });
    const [a, b] = await linked(x, 'contact');
    await t.admin.setFaults({ outageUntil: Date.now() + 2_000 });
    await deleteAndNotify(h.db, h.env.client, 'contact', x.workspaceId, a.local_id);
    await x.waitForPushDrained(90_000);
    assert.equal(t.portal.get('contacts', a.crm_id)?.archived, true, 'archived once HubSpot is back');
    assert.deepEqual(await x.pushErrors(), []);

    // A deletion HubSpot refused, as the push records it, with deletion sync on since: retried on request.
    await x.updateSettings({ deletion: { contacts: false } });
    await deleteAndNotify(h.db, h.env.client, 'contact', x.workspaceId, b.local_id);
    await x.waitForPushDrained();
    assert.equal(t.portal.get('contacts', b.crm_id)?.archived, false);
    await recordOutcomes(h.db, x.workspaceId, x.crm, [
      {
        kind: 'contact',
        localId: b.local_id,
        result: 'rejected',
        code: 'REFUSED',
        message: 'refused',
        field: null,
        record: { deleted: 'contacts' },
        crmId: b.crm_id,
        inOutbox: false,
      },
    ]);
    await x.updateSettings({ deletion: { contacts: true } });
    await x.retryFailed();
    const status = await x.waitForPushDrained();
    assert.equal(t.portal.get('contacts', b.crm_id)?.archived, true, 'deleted on the retry');
    assert.deepEqual(await x.pushErrors(), [], 'its entry is resolved');
    assert.deepEqual(status.removals, { deleted: 2, unlinked: 0, merged: 0 });
  });

  it('HubSpot: two contacts sharing an email are listed as duplicates; a workspace merge folds them and HubSpot keeps both', async () => {
    const t = await newTenant(h, { contacts: 4, companies: 2 });
    const [first, second] = t.portal.portal.objects.contacts;
    second.properties.email = first.properties.email;
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const keep = (await x.recordByCrmId('contact', first.id))!.id;
    const drop = (await x.recordByCrmId('contact', second.id))!.id;

    const groups = await openDuplicates(h.db, x.workspaceId);
    assert.equal(groups.length, 1, JSON.stringify(groups));
    assert.equal(groups[0].key, first.properties.email!.toLowerCase());
    assert.deepEqual(
      groups[0].records.map((r) => r.links.map((l) => l.crmId)).sort(),
      [[first.id], [second.id]].sort(),
      'each with its HubSpot id',
    );

    await mergeWorkspaceRecords(h.db, x.workspaceId, 'contact', keep, drop);
    assert.equal(await contactRow(x, drop), undefined, 'the dropped contact is folded in');
    assert.equal(await x.crmIdOf(keep), first.id, 'the kept one stays linked');
    assert.deepEqual(await openDuplicates(h.db, x.workspaceId), [], 'no open duplicate left');
    assert.equal((await x.counts()).potentialDuplicates, 0);

    const edited = await editAndPush(x, keep);
    assert.equal(t.portal.get('contacts', first.id)?.properties.jobtitle, edited.row.title, 'the kept one is pushed');
    assert.equal(t.portal.get('contacts', second.id)?.archived, false, 'HubSpot keeps the other record');
    assert.equal(t.portal.portal.objects.contacts.filter((c) => !c.archived).length, 4, 'and both');
  });
});
