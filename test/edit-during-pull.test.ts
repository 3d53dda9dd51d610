import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './support/harness';
import type { Integration } from './support/integration';
import { newSalesforceTenant, newTenant, type Tenant } from './support/tenants';
import { waitFor } from './support/wait';

/**
 * Issue 11's measured scenario, as a user meets it: a linked contact, a slow CRM, a pull, and an edit
 * in the workspace while the pull runs. Before field ownership the pull wrote the old title back and
 * the push then sent it, so the edit was lost on both sides. Then a shared field edited on both sides
 * at different times ends with the later value on both, and quiet pulls write nothing more.
 */
describe('edits during pulls are never lost (time-skipping, HubSpot)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.stop());

  /** The CRM's value of a contact field, read from the sandbox's own state. */
  function crmValue(x: Integration, crmId: string, field: 'title' | 'first_name'): string | null {
    const t = x.tenant as Tenant;
    if (t.crm === 'hubspot') {
      const name = field === 'title' ? 'jobtitle' : 'firstname';
      return t.portal.get('contacts', crmId)?.properties[name] ?? null;
    }
    const rec = t.org.get(crmId)?.rec;
    return (rec?.[field === 'title' ? 'Title' : 'FirstName'] as string | null | undefined) ?? null;
  }
  function crmEdit(x: Integration, crmId: string, field: 'first_name', value: string): void {
    const t = x.tenant as Tenant;
    if (t.crm === 'hubspot') t.portal.update('contacts', crmId, { firstname: value });
    else t.org.update(t.org.get(crmId)!.type, crmId, { FirstName: value });
  }
  const slow = (x: Integration, latencyMs: number) => (x.tenant as Tenant).admin.setFaults({ latencyMs });

  // Salesforce: the same scenario is still to be written against its sandbox (issue 11 note).
  for (const crm of ['hubspot'] as const) {
    it(`${crm}: a title edited while a slow pull runs ends as the edit on both sides`, async () => {
      const t =
        crm === 'hubspot'
          ? await newTenant(h, { contacts: 3000 })
          : await newSalesforceTenant(h, { seed: { contacts: 150, leads: 50 } });
      const x = await h.integration(t, { plan: 'free', until: 'syncing' });
      const { id } = await x.write('contacts add', {
        email: `pat-${crm}@edits.example`,
        first_name: 'Pat',
        last_name: 'Edits',
        title: 'CTO',
      });
      await x.waitForPushDrained();
      const crmId = (await x.crmIdOf(id))!;
      assert.equal(crmValue(x, crmId, 'title'), 'CTO');

      await slow(x, 400);
      await x.pullNow();
      await x.waitForStatus('the manual pull running', (s) => s.pullInProgress === 'manual');
      await new Promise((r) => setTimeout(r, 3_000));
      await x.write('contacts update', { title: 'VP Sales' }, { id });
      // Pushed while the pull still runs: pushes no longer wait for the pull.
      await waitFor(
        'the edit in the CRM',
        async () => crmValue(x, crmId, 'title'),
        (v) => v === 'VP Sales',
        60_000,
      );
      assert.equal((await x.status()).pullInProgress, 'manual', 'the edit reached the CRM before the pull ended');
      await x.waitForStatus(
        'the pull finished',
        (s) => s.pullInProgress === null && s.lastPull?.kind === 'manual',
        120_000,
      );
      await slow(x, 0);
      const ws = await x.recordByCrmId('contact', crmId);
      assert.equal(ws?.fields.title, 'VP Sales', 'the workspace keeps the edit');
      assert.equal(crmValue(x, crmId, 'title'), 'VP Sales', 'the CRM keeps the edit');
      await x.disconnect();
    });

    it(`${crm}: a shared field edited on both sides ends with the later value, and 3 more pulls write nothing`, async () => {
      const t =
        crm === 'hubspot'
          ? await newTenant(h, { contacts: 5 })
          : await newSalesforceTenant(h, { seed: { contacts: 5, leads: 2 } });
      const x = await h.integration(t, { plan: 'free', until: 'syncing' });
      const { id } = await x.write('contacts add', {
        email: `sam-${crm}@shared.example`,
        first_name: 'Sam',
        last_name: 'Shared',
      });
      await x.waitForPushDrained();
      const crmId = (await x.crmIdOf(id))!;
      // The workspace first, the CRM a little later (past Salesforce's whole-second times): the CRM's is later.
      await x.write('contacts update', { first_name: 'Samuel' }, { id });
      await new Promise((r) => setTimeout(r, 1_100));
      crmEdit(x, crmId, 'first_name', 'Sammy');
      await x.waitForPushDrained();
      const pulls = async () => (await x.status()).lastPull?.finishedAt;
      for (let i = 0; i < 4; i++) {
        const before = await pulls();
        await x.pullNow();
        await x.waitForStatus('a pull finished', (s) => s.pullInProgress === null && s.lastPull?.finishedAt !== before);
        await x.waitForPushDrained();
        if (i === 0) {
          assert.equal((await x.recordByCrmId('contact', crmId))?.fields.first_name, 'Sammy');
          assert.equal(crmValue(x, crmId, 'first_name'), 'Sammy');
        }
      }
      const st = await x.status();
      assert.equal(
        (await x.recordByCrmId('contact', crmId))?.fields.first_name,
        'Sammy',
        'the later (CRM) value holds',
      );
      assert.equal(crmValue(x, crmId, 'first_name'), 'Sammy');
      assert.equal(st.lastPull?.updated, 0, 'the last quiet pull found nothing changed in the CRM');
      await x.disconnect();
    });
  }
});
