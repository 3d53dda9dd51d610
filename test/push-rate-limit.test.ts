import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeAndNotify } from '../src/client/workspace-writes';
import { integrationWorkflowId } from '../src/domain/integration-input';
import { errorLog } from '../src/store/reports';
import { disconnectSignal, statusQuery, TASK_QUEUE } from '../src/workflows/contract';
import { integrationWorkflow } from '../src/workflows/integration';
import { newTenant, startHarness, waitFor, type Harness } from './support/harness';

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
    const handle = await h.env.client.workflow.start(integrationWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: integrationWorkflowId(tenant.workspaceId, 'hubspot'),
      args: [{ workspaceId: tenant.workspaceId, crm: 'hubspot', connection: tenant.connection, syncUserId: tenant.syncUserId, plan: 'free' }],
    });
    const status = () => handle.query(statusQuery);
    await waitFor('syncing', status, (s) => s.phase === 'syncing', 120_000);
    const before = await tenant.admin.stats();

    // The neighbour: one request every 2.5 s with the same token, whatever the answer.
    let stop = false;
    let neighbour429s = 0;
    const neighbour = (async () => {
      while (!stop) {
        const res = await fetch(`${h.sandbox.url}/crm/v3/objects/contacts?limit=1`, { headers: { authorization: `Bearer ${tenant.token}` } }).catch(() => undefined);
        if (res?.status === 429) neighbour429s++;
        await new Promise((r) => setTimeout(r, 2_500));
      }
    })();

    const t0 = Date.now();
    const accounts = [];
    for (let i = 0; i < 10; i++) accounts.push(await writeAndNotify(h.db, h.env.client, 'accounts add', tenant.workspaceId, { name: `Storm ${i}`, domain: `storm-${i}.example` }));
    for (let i = 0; i < 150; i++) {
      await writeAndNotify(h.db, h.env.client, 'contacts add', tenant.workspaceId, { email: `p${i}@storm-${i % 10}.example`, last_name: `P${i}`, account_id: accounts[i % 10].id });
    }
    const s = await waitFor('push drained', status, (x) => !x.push.pushing && x.push.due === 0 && x.push.totals.linked >= 160, 300_000);
    stop = true;
    await neighbour;
    const wallS = (Date.now() - t0) / 1000;

    assert.equal(s.push.totals.rejected + s.push.totals.transient, 0, 'zero records failed');
    assert.deepEqual(await errorLog(h.db, tenant.workspaceId, 'hubspot', { jobType: 'push' }), []);
    const portal = [...h.sandbox.indexes.values()].find((i) => i.portal.tokens.includes(tenant.token))!.portal;
    assert.equal(portal.objects.contacts.filter((c) => c.properties.apollo_contact_id).length, 150, 'each contact once');
    assert.equal(portal.objects.companies.filter((c) => c.properties.apollo_account_id).length, 10, 'each account once');
    const after = await tenant.admin.stats();
    const pushed429s = after.throttled - before.throttled - neighbour429s;
    t.diagnostic(`429s met by the push: ${pushed429s} (neighbour: ${neighbour429s}); CRM calls: ${after.requests - before.requests}; wall: ${wallS.toFixed(1)} s`);
    assert.ok(pushed429s > 0, 'the storm did reach the push');
    await handle.signal(disconnectSignal, {});
    await handle.result();
  });
});
