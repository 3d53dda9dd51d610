import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newTenant, startHarness, type Harness } from './support/harness';

/**
 * A HubSpot contact may work with several companies, one of them primary, and HubSpot lists them by
 * company id, not primary first (issue 13, item 7). The full pull reads them inline (v3), the
 * incremental one by v4 batch read: both must give the contact the same account, its primary
 * company, or a contact moves between accounts from one pull to the next.
 */
describe('HubSpot: a contact with several companies keeps its primary one (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  it('full and incremental pulls both take the primary company; none primary, the lowest id', async () => {
    const t = await newTenant(h, { contacts: 5, companies: 4 });
    const companies = t.portal.portal.objects.companies.map((c) => c.id);
    // Associated primary first, so listed second: HubSpot orders associations by company id.
    const primary = companies[2];
    const withPrimary = await t.admin.create('contacts', { email: 'two.companies@example.com' }, [
      primary,
      companies[0],
    ]);
    const noPrimary = await t.admin.create(
      'contacts',
      { email: 'no.primary@example.com' },
      [companies[3], companies[1]],
      null,
    );

    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const accountOf = async (crmId: string) => (await x.recordByCrmId('contact', crmId))?.fields.account_id;
    const localAccount = async (crmId: string) => (await x.recordByCrmId('account', crmId))?.id;
    const want = { withPrimary: await localAccount(primary), noPrimary: await localAccount(companies[1]) };
    assert.ok(want.withPrimary && want.noPrimary, 'the companies were pulled');
    assert.equal(await accountOf(withPrimary.id), want.withPrimary, 'full pull: the primary company');
    assert.equal(await accountOf(noPrimary.id), want.noPrimary, 'full pull: none primary, the lowest id');

    // Edits that do not touch the associations bring both contacts into the next incremental pull.
    await t.admin.update('contacts', withPrimary.id, { jobtitle: 'Edited in HubSpot' });
    await t.admin.update('contacts', noPrimary.id, { jobtitle: 'Edited in HubSpot' });
    await h.env.sleep('15m');
    await x.waitForStatus('the first recurring pull', (st) => st.lastPull?.kind === 'recurring');
    for (const id of [withPrimary.id, noPrimary.id])
      assert.equal((await x.recordByCrmId('contact', id))?.fields.title, 'Edited in HubSpot', 'pulled incrementally');
    assert.equal(await accountOf(withPrimary.id), want.withPrimary, 'incremental pull: still the primary company');
    assert.equal(await accountOf(noPrimary.id), want.noPrimary, 'incremental pull: still the lowest id');
    await x.disconnect();
  });
});
