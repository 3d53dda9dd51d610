import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { integrationWorkflowId } from '../src/domain/integration-input';
import { errorLog, findByCrmId } from '../src/store/reports';
import { linkCrmOwner, setPermission, upsertUser } from '../src/store/workspace-store';
import { disconnectSignal, pullNowUpdate, reauthorizeSignal, statusQuery, TASK_QUEUE } from '../src/workflows/contract';
import { integrationWorkflow } from '../src/workflows/integration';
import { newTenant, startHarness, waitFor, type Harness } from './support/harness';

describe('credentials and owner changes (time-skipping)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h?.stop();
  });

  async function start(t: Awaited<ReturnType<typeof newTenant>>, plan: 'free' | 'paid') {
    const handle = await h.env.client.workflow.start(integrationWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: integrationWorkflowId(t.workspaceId, 'hubspot'),
      args: [{ workspaceId: t.workspaceId, crm: 'hubspot', connection: t.connection, syncUserId: t.syncUserId, plan }],
    });
    return { handle, status: () => handle.query(statusQuery) };
  }

  it('bad credentials lead to needsReauth with no retry storm, and reauthorize recovers', async () => {
    const t = await newTenant(h);
    await t.admin.revoke(t.token);
    const { handle, status } = await start(t, 'free');

    const waiting = await waitFor('needsReauth', status, (s) => s.phase === 'needsReauth');
    assert.match(waiting.needsReauthReason!, /^HubSpot account details failed \(401 INVALID_AUTHENTICATION\)/);
    await h.env.sleep('3h');
    assert.equal((await status()).phase, 'needsReauth', 'still waiting after hours');
    assert.equal(h.sandbox.unauthorized, 1, 'one 401, no retries against the CRM');

    // The operator installs a new token under the same connection name, then says so.
    const fresh = `${t.token}-rotated`;
    await t.admin.addToken(fresh);
    h.connections[t.connection] = { ...h.connections[t.connection], accessToken: fresh };
    await handle.signal(reauthorizeSignal, {});
    const syncing = await waitFor('syncing', status, (s) => s.phase === 'syncing');
    assert.equal(syncing.needsReauthReason, null);
    assert.equal(syncing.lastPull?.created, 25);

    // Tokens never reach workflow history or logs.
    await handle.signal(disconnectSignal, {});
    await handle.result();
    const history = JSON.stringify(await handle.fetchHistory());
    for (const token of [t.token, fresh]) {
      assert.ok(!history.includes(token), 'token in workflow history');
      assert.ok(!h.logs.some((l) => l.includes(token)), 'token in logs');
    }
    assert.ok(h.logs.length > 0, 'the worker did log');
  });

  it('a revoked token during syncing moves to needsReauth and resumes after reauthorize', async () => {
    const t = await newTenant(h);
    const { handle, status } = await start(t, 'free');
    await waitFor('syncing', status, (s) => s.phase === 'syncing');
    await t.admin.revoke(t.token);
    await h.env.sleep('16m');
    const s = await waitFor('needsReauth', status, (x) => x.phase === 'needsReauth');
    assert.equal(s.errors.failedPulls, 1);
    await t.admin.addToken(t.token);
    await handle.signal(reauthorizeSignal, {});
    await waitFor('syncing again', status, (x) => x.phase === 'syncing');
    await handle.signal(disconnectSignal, {});
    await handle.result();
  });

  /** Two workspace users linked to the first two CRM owners; a third CRM owner linked to nobody. */
  async function ownersTenant(permissions: string[]) {
    const t = await newTenant(h, { contacts: 6, companies: 2, owners: 3, permissions });
    for (const [i, owner] of ['70000', '70001'].entries()) {
      await upsertUser(h.db, { id: `${t.workspaceId}-rep${i}`, workspaceId: t.workspaceId, email: `rep${i}@${t.workspaceId}.example`, name: `Rep ${i}` });
      await linkCrmOwner(h.db, t.workspaceId, 'hubspot', owner, `${t.workspaceId}-rep${i}`);
    }
    // A contact owned by a linked owner, for the change.
    const contact = await t.admin.create('contacts', { email: 'owned@example.com', firstname: 'Owen', hubspot_owner_id: '70000' });
    return { t, contactId: contact.id };
  }

  it('applies a CRM owner change when the sync user may assign contact owners', async () => {
    const { t, contactId } = await ownersTenant(['assign contact owner', 'assign account owner']);
    const { handle, status } = await start(t, 'free');
    await waitFor('syncing', status, (s) => s.phase === 'syncing');
    assert.equal((await findByCrmId(h.db, t.workspaceId, 'hubspot', 'contact', contactId))?.ownerUserId, `${t.workspaceId}-rep0`);

    await t.admin.update('contacts', contactId, { hubspot_owner_id: '70001' });
    await h.env.sleep('16m');
    await waitFor('owner applied', () => findByCrmId(h.db, t.workspaceId, 'hubspot', 'contact', contactId), (c) => c?.ownerUserId === `${t.workspaceId}-rep1`);
    const s = await waitFor('recurring pull recorded', status, (x) => x.lastPull?.kind === 'recurring');
    assert.equal(s.lastPull?.ownerChanges, 1);
    assert.equal((await errorLog(h.db, t.workspaceId, 'hubspot', { jobType: 'owner-sync' })).filter((e) => e.errorCode === 'OWNER_SYNC_PERMISSION').length, 0);

    // An owner linked to no workspace user is logged, not guessed.
    await t.admin.update('contacts', contactId, { hubspot_owner_id: '70002' });
    await h.env.sleep('15m');
    const unlinked = await waitFor('unlinked owner logged', () => errorLog(h.db, t.workspaceId, 'hubspot'), (e) => e.some((x) => x.errorCode === 'OWNER_NOT_LINKED' && x.crmId === contactId));
    assert.match(unlinked.find((x) => x.crmId === contactId)!.message, /CRM owner 70002 is linked to no workspace user/);
    assert.equal((await findByCrmId(h.db, t.workspaceId, 'hubspot', 'contact', contactId))?.ownerUserId, `${t.workspaceId}-rep1`);
    await handle.signal(disconnectSignal, {});
    await handle.result();
  });

  it('logs an owner change without the permission, and applies it after the permission is granted and pullNow runs', async () => {
    const { t, contactId } = await ownersTenant([]);
    const { handle, status } = await start(t, 'free');
    await waitFor('syncing', status, (s) => s.phase === 'syncing');
    assert.equal((await findByCrmId(h.db, t.workspaceId, 'hubspot', 'contact', contactId))?.ownerUserId, null);

    const entries = await errorLog(h.db, t.workspaceId, 'hubspot', { jobType: 'owner-sync' });
    const entry = entries.find((e) => e.crmId === contactId && e.errorCode === 'OWNER_SYNC_PERMISSION');
    assert.ok(entry, 'permission entry for the contact');
    assert.equal(entry.objectKind, 'contact');
    assert.match(entry.message, new RegExp(`sync user ${t.syncUserId} lacks the "assign contact owner" permission`));
    assert.ok((await status()).errors.ownerSync > 0);

    await setPermission(h.db, t.syncUserId, 'assign contact owner', true);
    await handle.executeUpdate(pullNowUpdate, { args: [{}] });
    await waitFor('owner applied after pullNow', () => findByCrmId(h.db, t.workspaceId, 'hubspot', 'contact', contactId), (c) => c?.ownerUserId === `${t.workspaceId}-rep0`);
    // Accounts still need their own permission.
    const accountEntries = (await errorLog(h.db, t.workspaceId, 'hubspot', { jobType: 'owner-sync', limit: 1000 })).filter((e) => e.objectKind === 'account');
    assert.ok(accountEntries.some((e) => e.message.includes('"assign account owner"')));
    await handle.signal(disconnectSignal, {});
    await handle.result();
  });
});
