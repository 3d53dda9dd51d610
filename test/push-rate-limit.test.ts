import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newTenant, startHarness, type Harness } from './support/harness';

/**
 * A 429 storm: the portal allows 10 requests / 10 s, and another integration of the customer's
 * spends part of it with the same token, so the push cannot pace around every 429 by itself. It
 * must still finish with zero failed records, waiting out HubSpot's delay rather than hammering.
 */
describe('push through a 429 storm (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  it('pushes every record with none failed', async (t) => {
    const tenant = await newTenant(h, { contacts: 10, companies: 2, rateLimit: { tenSecondMax: 10 } });
    const x = await h.integration(tenant, { plan: 'free', until: 'syncing', timeoutMs: 120_000 });
    const before = await tenant.admin.stats();

    // The neighbour: one request every 2.5 s with the same token, whatever the answer.
    let stop = false;
    let neighbour429s = 0;
    const neighbour = (async () => {
      while (!stop) {
        const res = await fetch(`${h.sandbox.url}/crm/v3/objects/contacts?limit=1`, {
          headers: { authorization: `Bearer ${tenant.token}` },
        }).catch(() => undefined);
        if (res?.status === 429) neighbour429s++;
        await new Promise((r) => setTimeout(r, 2_500));
      }
    })();

    const t0 = Date.now();
    const accounts = [];
    for (let i = 0; i < 10; i++)
      accounts.push(await x.write('accounts add', { name: `Storm ${i}`, domain: `storm-${i}.example` }));
    for (let i = 0; i < 150; i++) {
      await x.write('contacts add', {
        email: `p${i}@storm-${i % 10}.example`,
        last_name: `P${i}`,
        account_id: accounts[i % 10].id,
      });
    }
    const s = await x.waitForStatus(
      'push drained',
      (st) => !st.push.pushing && st.push.due === 0 && st.push.totals.linked >= 160,
      300_000,
    );
    stop = true;
    await neighbour;
    const wallS = (Date.now() - t0) / 1000;

    assert.equal(s.push.totals.rejected + s.push.totals.transient, 0, 'zero records failed');
    assert.deepEqual(await x.errorLog({ jobType: 'push' }), []);
    const portal = tenant.portal.portal;
    assert.equal(
      portal.objects.contacts.filter((c) => c.properties.apollo_contact_id).length,
      150,
      'each contact once',
    );
    assert.equal(
      portal.objects.companies.filter((c) => c.properties.apollo_account_id).length,
      10,
      'each account once',
    );
    const after = await tenant.admin.stats();
    const pushed429s = after.throttled - before.throttled - neighbour429s;
    t.diagnostic(
      `429s met by the push: ${pushed429s} (neighbour: ${neighbour429s}); CRM calls: ${after.requests - before.requests}; wall: ${wallS.toFixed(1)} s`,
    );
    assert.ok(pushed429s > 0, 'the storm did reach the push');
    await x.disconnect();
  });
});
