import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { notifyIntegrations } from '../src/client/workspace-writes';
import { addMembers, createList } from '../src/store/lists';
import { newTenant, refusal, startHarness, type Harness } from './support/harness';

/** The sync scope on the full stack: HubSpot sandbox, real worker, time-skipping Temporal. */
describe('push scope (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  it('a scoped integration pushes only listed new contacts; a manual push still sends an unlisted one', async () => {
    const t = await newTenant(h, { contacts: 5, companies: 2 });
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const pulled = x.tenant.portal.portal.objects.contacts[0];
    await createList(h.db, x.workspaceId, { name: 'MQL ready', kind: 'contact' });
    assert.match(
      await refusal(x.updateSettings({ push: { scope: { lists: [] } } })),
      /^invalid settings: push\.scope\.lists: scope\.lists must name at least one list/,
    );
    // An unknown list id is accepted (only the store knows the lists): it has no members.
    await x.updateSettings({ push: { scope: { lists: ['mql-ready', 'not-made-yet'] } } });
    assert.deepEqual((await x.settings()).push.scope, { lists: ['mql-ready', 'not-made-yet'] });

    const account = await x.write('accounts add', { name: 'Scoped Co', domain: 'scoped-co.example' });
    const lone = await x.write('accounts add', { name: 'Lone Co', domain: 'lone-co.example' });
    const listed = await x.write('contacts add', {
      email: 'listed@scoped-co.example',
      last_name: 'Listed',
      account_id: account.id,
    });
    const joined = await addMembers(h.db, x.workspaceId, 'mql-ready', [listed.id]);
    await notifyIntegrations(h.env.client, h.db, x.workspaceId, joined.crms);
    const unlisted = await x.write('contacts add', { email: 'unlisted@scoped-co.example', last_name: 'Unlisted' });
    // Linked records are pushed on every change, in a list or not.
    const linked = (await x.recordByCrmId('contact', pulled.id))!;
    await x.write('contacts update', { title: 'Scope-free' }, { id: linked.id });
    await x.waitForPushDrained();

    assert.ok(await x.crmIdOf(listed.id), 'the listed contact was pushed');
    assert.ok(await x.crmIdOf(account.id), "its account went with it, in no account list (a contact's account)");
    assert.equal(await x.crmIdOf(unlisted.id), undefined, 'the unlisted contact stays out');
    assert.equal(await x.crmIdOf(lone.id), undefined, 'an account in none of the lists stays out');
    assert.equal(pulled.properties.jobtitle, 'Scope-free');
    assert.deepEqual(await x.pushErrors(), [], 'records the scope leaves out are not errors');
    assert.ok((await x.status()).push.totals.skipped >= 2);

    const r = await x.pushRecords({ objectKind: 'contact', ids: [unlisted.id] });
    assert.equal(r.queued, 1);
    await x.waitForPushDrained();
    const crmId = await x.crmIdOf(unlisted.id);
    assert.ok(crmId, 'a manual push overrides the scope');
    assert.equal(x.tenant.portal.portal.objects.contacts.find((c) => c.id === crmId)?.properties.lastname, 'Unlisted');
  });
});
