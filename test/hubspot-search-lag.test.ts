import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CURSOR_OVERLAP_MS } from '../src/store/pull-store';
import { newTenant, startHarness, waitFor, type Harness } from './support/harness';

/**
 * HubSpot's search finds a write seconds after it is made, and recurring pulls page through search
 * by modified time (issue 13, item 7). An edit the index has not caught up with when a pull reads
 * it must come with a later pull: each pull starts CURSOR_OVERLAP_MS before the previous one began.
 */
describe('HubSpot search lags writes (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  // Real time: the sandbox's clock is the machine's, not the time-skipping server's.
  const LAG_MS = 5_000;

  it('a CRM edit the search index had not caught up with at one pull comes with the next', async () => {
    const t = await newTenant(h);
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const stats = () => h.sandbox.portalStats(t.portal.portal.portalId);
    await t.admin.setFaults({ searchLagMs: LAG_MS });
    const contact = t.portal.portal.objects.contacts[3];
    await t.admin.update('contacts', contact.id, { jobtitle: 'Edited in HubSpot' });
    const title = async () => (await x.recordByCrmId('contact', contact.id))?.fields.title;

    // The next pull comes at once in real time: its search does not find the edit yet.
    await h.env.sleep('15m');
    await x.waitForStatus('the first recurring pull', (s) => s.lastPull?.kind === 'recurring');
    assert.ok((stats().searchLagged ?? 0) >= 1, 'the pull met the lag');
    assert.notEqual(await title(), 'Edited in HubSpot');

    // Once the index has caught up, the following pull's window (overlapping the last) finds it.
    await new Promise((r) => setTimeout(r, LAG_MS));
    await h.env.sleep('15m');
    await waitFor('the edit pulled', title, (v) => v === 'Edited in HubSpot');
    assert.ok(CURSOR_OVERLAP_MS > LAG_MS);
    assert.equal((await x.status()).errors.failedPulls, 0);
    await x.disconnect();
  });
});
