import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@hubspot/api-client';
import { HubSpotAdapter } from '../src/crm/hubspot/adapter';
import type { OutboundRecord, PullPage } from '../src/crm/port';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox, type HubSpotSandbox } from '../src/sandbox/hubspot/server';

/**
 * Deletions and merges on HubSpot (issue 14), through @hubspot/api-client against the sandbox: an
 * incremental pull lists what was archived in its window (across recycle-bin pages and resumed
 * cursors) and what was merged into the survivors it pulls; a full pull lists none; deleteRecords
 * archives only live records; listIds pages every live id once; an update of an archived record
 * comes back `gone`.
 */
describe('HubSpot deletions and merges', () => {
  let sb: HubSpotSandbox;
  let n = 0;
  before(async () => {
    sb = await startHubSpotSandbox();
  });
  after(() => sb?.close());

  async function portal(contacts: number) {
    const token = `pat-na1-removals-${++n}`;
    const admin = await HubSpotSandboxAdmin.createPortal(sb.url, 7100 + n, token, { tenSecondMax: 100_000 });
    await admin.seed({ contacts, companies: 5, owners: 2, seed: n });
    return {
      admin,
      client: new Client({ accessToken: token, basePath: sb.url }),
      adapter: () => new HubSpotAdapter(`removals-${n}-${Math.random()}`, { accessToken: token, baseUrl: sb.url }),
    };
  }

  const calls = async (admin: HubSpotSandboxAdmin, route: string) => (await admin.stats()).byRoute[route] ?? 0;

  /**
   * Pulls a stream to its end, a fresh adapter per page (as an activity after a crash gets), every
   * page fetched twice from its cursor (a heartbeated cursor resumed after the page was applied).
   */
  async function pull(make: () => HubSpotAdapter, stream: string, sinceMs: number | null, untilMs: number) {
    const pages: PullPage[] = [];
    let cursor: string | null = null;
    do {
      const again: PullPage = await make().fetchPage({ stream, cursor, fields: ['email'], sinceMs, untilMs });
      const page = await make().fetchPage({ stream, cursor, fields: ['email'], sinceMs, untilMs });
      assert.deepEqual(page.removals ?? [], again.removals ?? [], 'a resumed cursor answers the same page');
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor);
    return pages;
  }

  it('an incremental pull lists the window’s deletions and merges, across pages and resumed cursors', async () => {
    const { admin, client, adapter } = await portal(400);
    const ids = (await admin.ids('contacts')).ids;
    // Deleted before the window: in the recycle bin, but not this pull's.
    await admin.archive('contacts', ids[0], new Date(Date.now() - 60_000));
    await new Promise((r) => setTimeout(r, 5));
    const sinceMs = Date.now();
    // 150 archived by the official client's batch archive (two calls), one by DELETE: 151 in the
    // window, so the recycle bin (152) spans two list pages.
    const archived = ids.slice(10, 160);
    await client.crm.contacts.batchApi.archive({ inputs: archived.slice(0, 100).map((id) => ({ id })) });
    await client.crm.contacts.batchApi.archive({ inputs: archived.slice(100).map((id) => ({ id })) });
    await client.crm.contacts.basicApi.archive(ids[200]);
    // Two merges into one survivor, one into another.
    const merged = await client.crm.contacts.basicApi.merge({ primaryObjectId: ids[300], objectIdToMerge: ids[301] });
    assert.equal(merged.id, ids[300]);
    await admin.merge('contacts', ids[300], ids[302]);
    await admin.merge('contacts', ids[310], ids[311]);
    const untilMs = Date.now() + 1;

    const pages = await pull(adapter, 'contacts', sinceMs, untilMs);
    const removals = pages.flatMap((p) => p.removals ?? []);
    const deleted = new Set(removals.filter((r) => r.mergedInto === null).map((r) => r.crmId));
    assert.deepEqual([...deleted].sort(), [...archived, ids[200]].sort(), 'every deletion of the window, no other');
    const merges = new Map(removals.filter((r) => r.mergedInto !== null).map((r) => [r.crmId, r.mergedInto]));
    assert.deepEqual(
      Object.fromEntries(merges),
      { [ids[301]]: ids[300], [ids[302]]: ids[300], [ids[311]]: ids[310] },
      'each merged-away id with its survivor',
    );
    for (const r of removals) {
      assert.equal(r.crmObject, 'contacts');
      assert.ok(!Number.isNaN(Date.parse(r.removedAt)));
    }
    const archivedPages = pages.filter((p) => p.records.length === 0 && (p.removals ?? []).length > 0);
    assert.ok(archivedPages.length >= 2, 'the deletions came on pages of their own, across a page boundary');
    assert.ok(
      pages.every((p) => (p.removals ?? []).length <= 200),
      'pages stay bounded',
    );
    // The survivors were pulled as changed records, naming what they absorbed.
    const survivor = pages.flatMap((p) => p.records).find((r) => r.crmId === ids[300])!;
    assert.deepEqual(survivor.properties.hs_merged_object_ids!.split(';').sort(), [ids[301], ids[302]].sort());

    // A merged-away id reads as its survivor, and is in neither list.
    const read = await client.crm.contacts.basicApi.getById(ids[301]);
    assert.equal(read.id, ids[300]);
    const live = (await admin.ids('contacts')).ids;
    assert.ok(!live.includes(ids[301]));
  });

  it('a full pull lists no removals', async () => {
    const { admin, adapter } = await portal(120);
    const ids = (await admin.ids('contacts')).ids;
    await admin.archive('contacts', ids[1]);
    await admin.merge('contacts', ids[2], ids[3]);
    const pages = await pull(adapter, 'contacts', null, Date.now() + 1);
    assert.equal(pages.flatMap((p) => p.removals ?? []).length, 0);
    assert.equal(pages.flatMap((p) => p.records).length, 120 - 2);
  });

  it('deleteRecords archives the live ones and reports the gone ones as already gone', async () => {
    const { admin, adapter } = await portal(30);
    const ids = (await admin.ids('contacts')).ids;
    await admin.archive('contacts', ids[1]);
    await admin.purge('contacts', [ids[2]]);
    await admin.merge('contacts', ids[3], ids[4]);
    const asked = [ids[0], ids[1], ids[2], '99999999', ids[4], 'not-an-id', ids[5]];
    const outcomes = await adapter().deleteRecords('contacts', asked);
    assert.deepEqual(
      outcomes.map((o) => (o.ok ? `${o.crmId}:${o.alreadyGone ? 'gone' : 'deleted'}` : `${o.crmId}:${o.code}`)),
      [
        `${ids[0]}:deleted`,
        `${ids[1]}:gone`,
        `${ids[2]}:gone`,
        '99999999:gone',
        `${ids[4]}:gone`,
        'not-an-id:INVALID_ID',
        `${ids[5]}:deleted`,
      ],
    );
    const live = new Set((await admin.ids('contacts')).ids);
    assert.ok(!live.has(ids[0]) && !live.has(ids[5]), 'the live ones are archived');
    assert.ok(live.has(ids[3]), 'the survivor of a merged-away id asked for is not archived');
    assert.equal((await admin.get('contacts', ids[0])).archived, true);
  });

  it('listIds pages every live id once, 100 a call', async () => {
    const { admin, adapter } = await portal(1_050);
    const ids = (await admin.ids('contacts')).ids;
    await admin.archive('contacts', ids[7]);
    await admin.merge('contacts', ids[8], ids[9]);
    const before = await calls(admin, 'GET /crm/v3/objects/contacts');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { ids: string[]; nextCursor: string | null } = await adapter().listIds('contacts', cursor);
      seen.push(...page.ids);
      cursor = page.nextCursor;
    } while (cursor);
    const live = (await admin.ids('contacts')).ids;
    assert.equal(live.length, 1_050 + 0 - 2);
    assert.deepEqual([...seen].sort(), [...live].sort());
    assert.equal(new Set(seen).size, seen.length, 'each id once');
    assert.equal((await calls(admin, 'GET /crm/v3/objects/contacts')) - before, Math.ceil(live.length / 100));
  });

  it('an update of a record archived in HubSpot comes back gone, only that one', async () => {
    const { admin, adapter } = await portal(10);
    const ids = (await admin.ids('contacts')).ids;
    await admin.archive('contacts', ids[1]);
    const rec = (localId: string, crmId: string): OutboundRecord => ({
      localId,
      crmId,
      crmObject: 'contacts',
      properties: { jobtitle: 'CTO' },
      onCreate: {},
      ownerCrmId: null,
      email: null,
      matchEmail: null,
      accountCrmId: null,
      accountName: null,
    });
    const outcomes = await adapter().pushContacts([rec('a', ids[0]), rec('b', ids[1]), rec('c', ids[2])]);
    const byId = new Map(outcomes.map((o) => [o.localId, o]));
    assert.equal(byId.get('a')!.ok, true);
    assert.equal(byId.get('c')!.ok, true);
    const b = byId.get('b')!;
    assert.ok(!b.ok && b.gone === true && b.code === 'OBJECT_NOT_FOUND', JSON.stringify(b));
    assert.ok(outcomes.every((o) => o.ok || o.localId === 'b'));
  });
});
