import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@hubspot/api-client';
import { CrmError } from '../src/crm/errors';
import { HubSpotAdapter } from '../src/crm/hubspot/adapter';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox, type HubSpotSandbox } from '../src/sandbox/hubspot/server';

/** The official client, unmodified, against the sandbox: documented shapes, paging and errors. */
describe('HubSpot sandbox fidelity (@hubspot/api-client)', () => {
  let sb: HubSpotSandbox;
  let admin: HubSpotSandboxAdmin;
  let client: Client;
  const token = 'pat-na1-fidelity';
  before(async () => {
    sb = await startHubSpotSandbox();
    admin = await HubSpotSandboxAdmin.createPortal(sb.url, 4242, token);
    await admin.seed({ contacts: 250, companies: 30, owners: 4, duplicates: 2 });
    client = new Client({ accessToken: token, basePath: sb.url });
  });
  after(() => sb.close());

  it('pages contacts 100 at a time with after cursors until paging is absent', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await client.crm.contacts.basicApi.getPage(100, after, ['email', 'hubspot_owner_id'], undefined, [
        'companies',
      ]);
      pages++;
      assert.ok(page.results.length <= 100);
      for (const r of page.results) {
        ids.push(r.id);
        assert.ok(r.createdAt instanceof Date, 'dates parsed by the client');
        assert.ok('email' in r.properties && 'hs_object_id' in r.properties);
      }
      after = page.paging?.next?.after;
    } while (after);
    assert.equal(pages, 3);
    assert.equal(new Set(ids).size, 252);
    const all = await client.crm.contacts.getAll(100);
    assert.equal(all.length, 252, 'the client helper getAll agrees');
  });

  it('answers a list page beyond 100 with at most 100 and accepts comma-separated properties', async () => {
    const res = await fetch(`${sb.url}/crm/v3/objects/companies?limit=500&properties=name,domain`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json;charset=utf-8/);
    const body = (await res.json()) as { results: { properties: Record<string, unknown> }[] };
    assert.equal(body.results.length, 30);
    assert.ok('domain' in body.results[0].properties);
  });

  it('searches by last-modified date with sorts, limit 200, totals and the 10,000-result cap', async () => {
    const res = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE' as never, value: '0' }] }],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }] as never,
      properties: ['email'],
      limit: 200,
    });
    assert.equal(res.total, 252);
    assert.equal(res.results.length, 200);
    assert.equal(res.paging?.next?.after, '200');
    await assert.rejects(
      client.crm.contacts.searchApi.doSearch({ filterGroups: [], limit: 201 } as never),
      (e: { code: number; body: { category: string } }) => e.code === 400 && e.body.category === 'VALIDATION_ERROR',
    );
    await assert.rejects(
      client.crm.contacts.searchApi.doSearch({ filterGroups: [], limit: 100, after: '9950' } as never),
      (e: { code: number; body: { message: string } }) => e.code === 400 && /10000/.test(e.body.message),
    );
  });

  it('batch-reads by id with a 207 naming the missing ones, lists owners and v4 associations', async () => {
    const page = await client.crm.contacts.basicApi.getPage(2);
    const res = await client.crm.contacts.batchApi.read({
      inputs: [{ id: page.results[0].id }, { id: '999999' }],
      properties: ['email'],
      propertiesWithHistory: [],
    });
    assert.equal(res.results.length, 1);
    assert.deepEqual((res as unknown as { errors: { context: { ids: string[] } }[] }).errors[0].context.ids, [
      '999999',
    ]);

    const owners = await client.crm.owners.ownersApi.getPage();
    assert.equal(owners.results.length, 4);
    assert.match(owners.results[0].email!, /@sandbox-sales\.example$/);

    const assoc = await client.crm.associations.v4.batchApi.getPage('contacts', 'companies', {
      inputs: page.results.map((r) => ({ id: r.id })),
    });
    assert.equal(assoc.results.length, 2);
    assert.equal(
      assoc.results[0].to[0].associationTypes.some((t) => t.typeId === 1),
      true,
    );
  });

  it("lists a contact's companies by id, the primary marked wherever it falls, in v3 and v4", async () => {
    const companies = (await client.crm.companies.basicApi.getPage(3)).results.map((c) => c.id);
    const contact = await admin.create('contacts', { email: 'several@example.com' }, [companies[2], companies[0]]);
    const v3 = await client.crm.contacts.basicApi.getById(contact.id, undefined, undefined, ['companies']);
    // The first associated is primary; v3 names it twice (type 1 and 279), after the lower id.
    assert.deepEqual(
      v3.associations?.companies?.results?.map((a) => [a.id, a.type]),
      [
        [companies[0], 'contact_to_company_unlabeled'],
        [companies[2], 'contact_to_company'],
        [companies[2], 'contact_to_company_unlabeled'],
      ],
    );
    const v4 = await client.crm.associations.v4.basicApi.getPage('contacts', contact.id, 'companies');
    assert.deepEqual(
      v4.results.map((r) => [String(r.toObjectId), r.associationTypes.map((t) => t.typeId)]),
      [
        [companies[0], [279]],
        [companies[2], [1, 279]],
      ],
    );
    const none = await admin.create('contacts', { email: 'none.primary@example.com' }, [companies[1]], null);
    const batch = await client.crm.associations.v4.batchApi.getPage('contacts', 'companies', {
      inputs: [{ id: none.id }],
    });
    assert.deepEqual(
      batch.results[0].to[0].associationTypes.map((t) => t.typeId),
      [279],
      'none primary',
    );
  });

  it("answers a wrong token with HubSpot's 401 body", async () => {
    const bad = new Client({ accessToken: 'nope', basePath: sb.url });
    await assert.rejects(
      bad.crm.contacts.basicApi.getPage(1),
      (e: { code: number; body: { category: string } }) =>
        e.code === 401 && e.body.category === 'INVALID_AUTHENTICATION',
    );
  });

  it('enforces the rolling 10-second window with the documented 429 body and headers', async () => {
    const limited = await HubSpotSandboxAdmin.createPortal(sb.url, 4343, 'pat-limited', { tenSecondMax: 5 });
    const c = new Client({ accessToken: 'pat-limited', basePath: sb.url });
    for (let i = 0; i < 5; i++) await c.crm.contacts.basicApi.getPage(1);
    const err = await c.crm.contacts.basicApi.getPage(1).then(
      () => assert.fail('expected 429'),
      (e) => e,
    );
    assert.equal(err.code, 429);
    assert.equal(err.body.policyName, 'TEN_SECONDLY_ROLLING');
    assert.equal(err.body.message, 'You have reached your ten_secondly_rolling limit.');
    assert.equal(err.headers['x-hubspot-ratelimit-max'], '5');
    assert.equal((await limited.stats()).throttled, 1);
  });

  it('injects faults: 5xx outage windows and latency', async () => {
    const f = await HubSpotSandboxAdmin.createPortal(sb.url, 4444, 'pat-faulty');
    const c = new Client({ accessToken: 'pat-faulty', basePath: sb.url });
    await f.setFaults({ outageUntil: Date.now() + 60_000 });
    await assert.rejects(c.crm.contacts.basicApi.getPage(1), (e: { code: number }) => e.code === 503);
    await f.setFaults({ outageUntil: 0, latencyMs: 120 });
    const t0 = Date.now();
    await c.crm.contacts.basicApi.getPage(1);
    assert.ok(Date.now() - t0 >= 120);
  });
});

describe('HubSpot adapter', () => {
  let sb: HubSpotSandbox;
  before(async () => {
    sb = await startHubSpotSandbox();
  });
  after(() => sb.close());

  async function portal(id: number, contacts: number, rateLimit = {}, importedAt?: string) {
    const admin = await HubSpotSandboxAdmin.createPortal(sb.url, id, `pat-${id}`, rateLimit);
    if (contacts) await admin.seed({ contacts, companies: 0, owners: 1, importedAt });
    return { admin, adapter: new HubSpotAdapter(`conn-${id}`, { accessToken: `pat-${id}`, baseUrl: sb.url }) };
  }

  async function drain(
    adapter: HubSpotAdapter,
    sinceMs: number | null,
    untilMs: number,
    onPage?: (n: number) => Promise<void>,
  ) {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await adapter.fetchPage({ stream: 'contacts', cursor, fields: ['email'], sinceMs, untilMs });
      seen.push(...page.records.map((r) => r.crmId));
      cursor = page.nextCursor;
      await onPage?.(++pages);
    } while (cursor);
    return seen;
  }

  it('pulls more than 10,000 changed records incrementally without hitting the search cap', async () => {
    const { admin, adapter } = await portal(5001, 10_450, { tenSecondMax: 10_000, searchPerSecond: 1000 });
    const seen = await drain(adapter, 0, Date.now() + 1000);
    assert.equal(new Set(seen).size, 10_450);
    assert.equal((await admin.stats()).throttled, 0);
  });

  it('misses no record when records change while the pull pages', async () => {
    const { admin, adapter } = await portal(5002, 1_000);
    const { ids } = await admin.ids('contacts');
    const until = Date.now() + 60_000;
    const seen = await drain(adapter, 0, until, async (page) => {
      // Touch records already passed and records still ahead while paging.
      if (page === 2)
        for (const id of [ids[0], ids[10], ids[900], ids[950]])
          await admin.update('contacts', id, { jobtitle: `moved ${page}` });
    });
    assert.deepEqual(new Set(seen), new Set(ids));
  });

  it('misses no record when records leave a bulk-import instant while the pull pages through it', async () => {
    // Every record shares one modified time, so the pull pages inside that instant. Editing records
    // it has passed takes them out of the instant; paging by offset would then skip as many.
    const { admin, adapter } = await portal(5003, 1_000, {}, new Date(Date.now() - 60_000).toISOString());
    const { ids } = await admin.ids('contacts');
    const seen = await drain(adapter, 0, Date.now() + 60_000, async (page) => {
      if (page === 2)
        for (const id of ids.slice(0, 5)) await admin.update('contacts', id, { jobtitle: 'edited mid-pull' });
    });
    assert.deepEqual(new Set(seen), new Set(ids));
    // Each record once, plus at most the five edited ones seen again at their new time.
    assert.ok(seen.length <= ids.length + 5, `${seen.length} records for ${ids.length}`);
  });

  it('turns HubSpot errors into CrmError kinds without leaking the token', async () => {
    const { admin, adapter } = await portal(5003, 3);
    await admin.revoke('pat-5003');
    const err = await adapter.verify().then(
      () => assert.fail('expected auth error'),
      (e) => e,
    );
    assert.ok(err instanceof CrmError);
    assert.equal(err.kind, 'auth');
    assert.ok(!err.message.includes('pat-5003'));
    await admin.addToken('pat-5003');
    await admin.setFaults({ outageUntil: Date.now() + 60_000 });
    const transient = await adapter.listOwners().catch((e) => e);
    assert.equal(transient.kind, 'transient');
  });

  it('paces itself under the portal limit it learns from response headers', async () => {
    const { admin, adapter } = await portal(5004, 1_500, { tenSecondMax: 10 });
    const t0 = Date.now();
    const seen = await drain(adapter, null, Date.now());
    assert.equal(seen.length, 1_500);
    assert.equal((await admin.stats()).throttled, 0, 'no 429: pacing waited instead');
    assert.ok(Date.now() - t0 >= 10_000, '15 calls at 10 per 10 s need over 10 s');
    assert.deepEqual(adapter.pacer.limit, { max: 10, windowMs: 10_000 });
  });
});
