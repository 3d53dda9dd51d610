import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SalesforceAdapter } from '../src/crm/salesforce/adapter';
import type { OutboundRecord, PullPage } from '../src/crm/port';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox, type SalesforceSandbox } from '../src/sandbox/salesforce/server';

/**
 * Deletions and merges on Salesforce (issue 14), through jsforce against the sandbox: an
 * incremental pull reads its window again through queryAll (IsDeleted = true, MasterRecordId for
 * merge losers), across batch boundaries, resumed cursors and lost locators; a full pull lists none;
 * deleteRecords deletes through Collections; listIds pages every live id once, 2,000 a call; an
 * update of a deleted record comes back `gone`.
 */
describe('Salesforce deletions and merges', () => {
  let sb: SalesforceSandbox;
  let n = 0;
  before(async () => {
    sb = await startSalesforceSandbox();
  });
  after(() => sb?.close());

  async function org(contacts: number) {
    const token = `sf-removals-${++n}`;
    const admin = await SalesforceSandboxAdmin.createOrg(sb.url, `00DREMOV${n}`, token);
    await admin.seed({ accounts: 5, contacts, leads: 0, users: 1, seed: n });
    return {
      admin,
      adapter: () =>
        new SalesforceAdapter(`removals-${n}-${Math.random()}`, { accessToken: token, instanceUrl: sb.url }),
    };
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const routeCalls = async (admin: SalesforceSandboxAdmin, re: RegExp) =>
    Object.entries((await admin.stats()).byRoute)
      .filter(([r]) => re.test(r))
      .reduce((s, [, c]) => s + c, 0);

  /**
   * Pulls a stream to its end, a fresh adapter per page; every page is fetched a second time from
   * its cursor with the query locator gone (expired, or the org restarted), which must resume at the
   * same place.
   */
  async function pull(make: () => SalesforceAdapter, stream: string, sinceMs: number | null, untilMs: number) {
    const pages: PullPage[] = [];
    let cursor: string | null = null;
    do {
      const page: PullPage = await make().fetchPage({ stream, cursor, fields: ['Email'], sinceMs, untilMs });
      if (cursor && JSON.parse(cursor).locator) {
        const lost = JSON.stringify({ ...JSON.parse(cursor), locator: '01gEXPIREDLOCATOR-2000' });
        const again = await make().fetchPage({ stream, cursor: lost, fields: ['Email'], sinceMs, untilMs });
        assert.deepEqual(
          (again.removals ?? []).map((r) => r.crmId),
          (page.removals ?? []).map((r) => r.crmId),
          'a lost locator resumes where the page began',
        );
      }
      pages.push(page);
      assert.ok(pages.length < 50, 'the pull ends');
      cursor = page.nextCursor;
    } while (cursor);
    return pages;
  }

  it('an incremental pull lists the window’s deletions and merge losers, across batches and lost locators', async () => {
    const { admin, adapter } = await org(2_600);
    const ids = (await admin.ids('Contact')).ids;
    // Deleted before the window (two seconds before, past the whole-second rounding): not this pull's.
    await admin.remove('Contact', ids[0]);
    await sleep(2_100);
    const sinceMs = Date.now();
    // 2,300 deleted through Collections in a second or two: a SystemModstamp tie group larger than a batch.
    const deleted = ids.slice(10, 2_310);
    const outcomes = await adapter().deleteRecords('Contact', deleted);
    assert.ok(outcomes.every((o) => o.ok && !o.alreadyGone));
    await admin.merge('Contact', ids[2_400], [ids[2_401], ids[2_402]]);
    await admin.merge('Contact', ids[2_410], [ids[2_411]]);
    // Restored (undeleted) in the window: live again, so no removal of the window stands for it.
    await admin.remove('Contact', ids[2_500]);
    await admin.undelete([ids[2_500]]);
    const untilMs = Date.now() + 1_000;

    const pages = await pull(adapter, 'Contact', sinceMs, untilMs);
    const removals = pages.flatMap((p) => p.removals ?? []);
    assert.deepEqual(
      [...new Set(removals.filter((r) => r.mergedInto === null).map((r) => r.crmId))].sort(),
      [...deleted].sort(),
      'every deletion of the window, none before it',
    );
    assert.deepEqual(Object.fromEntries(removals.filter((r) => r.mergedInto).map((r) => [r.crmId, r.mergedInto])), {
      [ids[2_401]]: ids[2_400],
      [ids[2_402]]: ids[2_400],
      [ids[2_411]]: ids[2_410],
    });
    assert.ok(removals.every((r) => r.crmObject === 'Contact' && /\.000Z$/.test(r.removedAt)));
    const removalPages = pages.filter((p) => p.removals?.length);
    assert.ok(removalPages.length >= 2, 'the removals span more than one batch');
    assert.ok(removalPages.every((p) => p.records.length === 0 && p.removals!.length <= 2_000));
    // The survivors and the restored record come as changed records.
    const changed = new Set(pages.flatMap((p) => p.records.map((r) => r.crmId)));
    for (const id of [ids[2_400], ids[2_410], ids[2_500]]) assert.ok(changed.has(id), id);
    assert.ok(
      [...deleted, ids[2_401], ids[2_402], ids[2_411]].every((id) => !changed.has(id)),
      'no removed record is pulled as a changed one',
    );
  });

  it('a full pull lists no removals', async () => {
    const { admin, adapter } = await org(50);
    const ids = (await admin.ids('Contact')).ids;
    await admin.remove('Contact', ids[1]);
    await admin.merge('Contact', ids[2], [ids[3]]);
    const pages = await pull(adapter, 'Contact', null, Date.now() + 1_000);
    assert.equal(pages.flatMap((p) => p.removals ?? []).length, 0);
    assert.equal(pages.flatMap((p) => p.records).length, 48);
  });

  it('deleteRecords deletes the live ones and reports deleted, purged and unknown ids as already gone', async () => {
    const { admin, adapter } = await org(20);
    const ids = (await admin.ids('Contact')).ids;
    await admin.remove('Contact', ids[1]);
    await admin.remove('Contact', ids[2]);
    await admin.purge([ids[2]]);
    const unknown = '003RO9999999999AAA';
    const before = await routeCalls(admin, /^DELETE .*\/composite\/sobjects$/);
    const outcomes = await adapter().deleteRecords('Contact', [ids[0], ids[1], ids[2], unknown, 'nope', ids[3]]);
    assert.deepEqual(
      outcomes.map((o) => (o.ok ? `${o.crmId}:${o.alreadyGone ? 'gone' : 'deleted'}` : `${o.crmId}:${o.code}`)),
      [
        `${ids[0]}:deleted`,
        `${ids[1]}:gone`,
        `${ids[2]}:gone`,
        `${unknown}:gone`,
        'nope:MALFORMED_ID',
        `${ids[3]}:deleted`,
      ],
    );
    assert.equal((await routeCalls(admin, /^DELETE .*\/composite\/sobjects$/)) - before, 1, 'one collection call');
    const rec = await admin.get('Contact', ids[0]);
    assert.equal(rec.IsDeleted, true, 'to the recycle bin');
    assert.equal(rec.MasterRecordId, null);
  });

  it('listIds pages every live id once, 2,000 a call, and resumes after a lost locator', async () => {
    const { admin, adapter } = await org(4_100);
    const ids = (await admin.ids('Contact')).ids;
    await admin.remove('Contact', ids[5]);
    await admin.merge('Contact', ids[6], [ids[7]]);
    const queries = /^GET .*\/query(\/<locator>)?$/;
    const before = await routeCalls(admin, queries);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { ids: string[]; nextCursor: string | null } = await adapter().listIds('Contact', cursor);
      seen.push(...page.ids);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    const live = (await admin.ids('Contact')).ids;
    assert.equal(live.length, 4_100 - 2);
    assert.deepEqual([...seen].sort(), [...live].sort());
    assert.equal(new Set(seen).size, seen.length, 'each id once');
    assert.equal(pages, 3);
    assert.equal((await routeCalls(admin, queries)) - before, Math.ceil(live.length / 2_000));

    // A cursor whose locator is gone: queried again after the last id returned.
    const first = await adapter().listIds('Contact', null);
    const lost = JSON.stringify({ ...JSON.parse(first.nextCursor!), locator: '01gEXPIREDLOCATOR-2000' });
    const rest: string[] = [...first.ids];
    let c: string | null = lost;
    while (c) {
      const page: { ids: string[]; nextCursor: string | null } = await adapter().listIds('Contact', c);
      rest.push(...page.ids);
      c = page.nextCursor;
    }
    assert.deepEqual([...rest].sort(), [...live].sort());
    assert.equal(new Set(rest).size, rest.length);
  });

  it('an update of a record deleted in the org comes back gone, only that one', async () => {
    const { admin, adapter } = await org(10);
    const ids = (await admin.ids('Contact')).ids;
    await admin.remove('Contact', ids[1]);
    await admin.remove('Contact', ids[2]);
    await admin.purge([ids[2]]);
    const rec = (localId: string, crmId: string): OutboundRecord => ({
      localId,
      crmId,
      crmObject: 'Contact',
      properties: { Title: 'CTO' },
      onCreate: {},
      ownerCrmId: null,
      email: null,
      matchEmail: null,
      accountCrmId: null,
      accountName: null,
    });
    const outcomes = await adapter().pushContacts(
      [rec('a', ids[0]), rec('b', ids[1]), rec('c', ids[2]), rec('d', ids[3])],
      'Contact',
    );
    const by = new Map(outcomes.map((o) => [o.localId, o]));
    assert.equal(by.get('a')!.ok, true);
    assert.equal(by.get('d')!.ok, true);
    const b = by.get('b')!;
    const c = by.get('c')!;
    assert.ok(!b.ok && b.gone === true && b.code === 'ENTITY_IS_DELETED', JSON.stringify(b));
    assert.ok(!c.ok && c.gone === true && c.code === 'INVALID_CROSS_REFERENCE_KEY', JSON.stringify(c));
  });
});
