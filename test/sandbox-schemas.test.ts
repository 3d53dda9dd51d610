import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox, type HubSpotSandbox } from '../src/sandbox/hubspot/server';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox, type SalesforceSandbox } from '../src/sandbox/salesforce/server';
import { assertShape } from './support/schemas';

/**
 * Every response the adapters (and the official clients under them) read, taken from the sandboxes
 * over real HTTP and checked against schemas of the CRMs' published shapes (test/schemas; each
 * file names the spec or docs and the commit it was derived from): successes, partial successes,
 * and the error and fault paths (invalid input, not found, 401, 429 / 403 limits, 503 outages).
 * The raw JSON is checked, not what a client made of it, so a field a client would silently drop or
 * default still counts.
 */

interface Answer {
  status: number;
  body: unknown;
}

async function call(
  base: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  // Both CRMs label every JSON body so (the HubSpot client refuses a body without a Content-Type).
  if (text)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json;charset=utf-8$/i, `${method} ${path}`);
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Asserts the status, then the shape; returns the body for the test's own checks. */
function expect<T>(answer: Answer, status: number, ref: string, what: string): T {
  assert.equal(answer.status, status, `${what}: status (body ${JSON.stringify(answer.body).slice(0, 300)})`);
  assertShape(ref, answer.body, what);
  return answer.body as T;
}

type HsRecord = { id: string; properties: Record<string, string | null>; associations?: unknown };
type HsPage = { results: HsRecord[]; paging?: { next?: { after: string } } };

describe('HubSpot sandbox responses match the published HubSpot shapes', () => {
  let sb: HubSpotSandbox;
  let admin: HubSpotSandboxAdmin;
  const token = 'pat-na1-schemas';
  const hs = (method: string, path: string, body?: unknown) => call(sb.url, token, method, path, body);
  const OBJ = 'hubspot/crm-objects.json';
  let contactIds: string[];
  let companyIds: string[];

  before(async () => {
    sb = await startHubSpotSandbox();
    admin = await HubSpotSandboxAdmin.createPortal(sb.url, 5151, token);
    await admin.seed({ contacts: 130, companies: 12, owners: 3, duplicates: 1, seed: 5 });
    contactIds = (await admin.ids('contacts')).ids;
    companyIds = (await admin.ids('companies')).ids;
  });
  after(() => sb?.close());

  it('account details, owners pages', async () => {
    const details = expect<{ portalId: number }>(
      await hs('GET', '/account-info/v3/details'),
      200,
      'hubspot/account-info.json#details',
      'account details',
    );
    assert.equal(details.portalId, 5151);
    let afterCursor: string | undefined;
    let owners = 0;
    do {
      const page = expect<HsPage>(
        await hs('GET', `/crm/v3/owners?limit=2&archived=false${afterCursor ? `&after=${afterCursor}` : ''}`),
        200,
        'hubspot/owners.json#ownerPage',
        'owners page',
      );
      owners += page.results.length;
      afterCursor = page.paging?.next?.after;
    } while (afterCursor);
    assert.equal(owners, 3, 'two pages, the first with paging.next.after');
  });

  it('list pages with associations, to the last page, and a record by id', async () => {
    for (const [type, props, assoc] of [
      ['contacts', 'email,firstname,hubspot_owner_id,lastmodifieddate', '&associations=companies'],
      ['companies', 'name,domain,hs_lastmodifieddate', ''],
    ] as const) {
      const ids: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = expect<HsPage>(
          await hs(
            'GET',
            `/crm/v3/objects/${type}?limit=100&properties=${props}${assoc}&archived=false${cursor ? `&after=${cursor}` : ''}`,
          ),
          200,
          `${OBJ}#listPage`,
          `${type} list page`,
        );
        pages++;
        ids.push(...page.results.map((r) => r.id));
        if (type === 'contacts' && pages === 1)
          assert.ok(
            page.results.some((r) => r.associations),
            'some contacts carry their companies',
          );
        cursor = page.paging?.next?.after;
      } while (cursor);
      if (type === 'contacts') assert.equal(pages, 2);
      assert.deepEqual(ids, type === 'contacts' ? contactIds : companyIds, `the pages hold every ${type} once`);
    }
    expect(
      await hs('GET', `/crm/v3/objects/contacts/${contactIds[0]}?properties=email`),
      200,
      `${OBJ}#recordWithAssociations`,
      'contact by id',
    );
    expect(await hs('GET', '/crm/v3/objects/contacts/999999999'), 404, `${OBJ}#error`, 'unknown contact');
    expect(await hs('GET', '/crm/v3/objects/widgets'), 404, `${OBJ}#error`, 'unknown object type');
  });

  it('search pages with totals and paging.next.after, and a refused search', async () => {
    const search = (extra: object) =>
      hs('POST', '/crm/v3/objects/contacts/search', {
        filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: '0' }] }],
        sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
        properties: ['email', 'lastmodifieddate'],
        ...extra,
      });
    const first = expect<HsPage & { total: number }>(await search({ limit: 100 }), 200, `${OBJ}#searchPage`, 'search');
    assert.equal(first.total, 131);
    assert.ok(first.paging?.next?.after);
    const last = expect<HsPage>(
      await search({ limit: 100, after: first.paging!.next!.after }),
      200,
      `${OBJ}#searchPage`,
      'last search page',
    );
    assert.equal(last.paging, undefined);
    expect(await search({ limit: 201 }), 400, `${OBJ}#error`, 'search over the limit');
  });

  it('batch reads by id and by email: 200 when all are found, 207 naming the missing', async () => {
    const read = (inputs: string[], idProperty?: string) =>
      hs('POST', '/crm/v3/objects/contacts/batch/read', {
        inputs: inputs.map((id) => ({ id })),
        properties: ['email', 'lastmodifieddate'],
        propertiesWithHistory: [],
        ...(idProperty ? { idProperty } : {}),
      });
    const all = expect<{ results: HsRecord[] }>(await read(contactIds.slice(0, 3)), 200, `${OBJ}#batch`, 'batch read');
    const partial = expect<{ errors: { context: { ids: string[] } }[] }>(
      await read([contactIds[0], '999999999']),
      207,
      `${OBJ}#batchWithErrors`,
      'batch read with a missing id',
    );
    assert.deepEqual(partial.errors[0].context.ids, ['999999999']);
    const email = all.results[0].properties.email!;
    expect(await read([email], 'email'), 200, `${OBJ}#batch`, 'batch read by email');
    expect(
      await read([email, 'nobody@nowhere.example'], 'email'),
      207,
      `${OBJ}#batchWithErrors`,
      'by email, one missing',
    );
    expect(await read([email], 'firstname'), 400, `${OBJ}#error`, 'batch read by a non-unique property');
    const tooMany = Array.from({ length: 101 }, (_, i) => String(1000 + i));
    expect(await read(tooMany), 400, `${OBJ}#error`, 'a batch read of 101 inputs');
  });

  it('record values have the form their property definition gives', async () => {
    for (const type of ['contacts', 'companies']) {
      const defs = (
        (await hs('GET', `/crm/v3/properties/${type}`)).body as { results: { name: string; type: string }[] }
      ).results;
      const page = expect<HsPage>(
        await hs('GET', `/crm/v3/objects/${type}?limit=100&properties=${defs.map((d) => d.name).join(',')}`),
        200,
        `${OBJ}#listPage`,
        `${type} with every property`,
      );
      const seen = new Set<string>();
      for (const rec of page.results)
        for (const d of defs) {
          const value = rec.properties[d.name];
          assertShape('hubspot/properties.json#propertyValue', { type: d.type, value }, `${type} ${rec.id} ${d.name}`);
          if (value) seen.add(d.type);
        }
      assert.ok(seen.has('datetime') && seen.has('number'), 'datetime and number values were looked at');
    }
  });

  it('properties: list, one, create (201, then 409), unknown (404)', async () => {
    const P = 'hubspot/properties.json';
    for (const type of ['contacts', 'companies'])
      expect(await hs('GET', `/crm/v3/properties/${type}`), 200, `${P}#propertyList`, `${type} properties`);
    expect(await hs('GET', '/crm/v3/properties/contacts/lifecyclestage'), 200, `${P}#property`, 'a property');
    expect(await hs('GET', '/crm/v3/properties/contacts/no_such_thing'), 404, `${OBJ}#error`, 'an unknown property');
    const create = () =>
      hs('POST', '/crm/v3/properties/companies', {
        name: 'apollo_account_id',
        label: 'Apollo account id',
        type: 'string',
        fieldType: 'text',
        groupName: 'companyinformation',
        hasUniqueValue: true,
      });
    expect(await create(), 201, `${P}#property`, 'created property');
    expect(await create(), 409, `${OBJ}#error`, 'the same property again');
    expect(
      await hs('POST', '/crm/v3/properties/companies', { name: 'Bad Name', label: 'x', type: 'string' }),
      400,
      `${OBJ}#error`,
      'a property with a bad name',
    );
  });

  it('batch upsert and update: 200, 207 per-input errors, 400 for an untraced bad input', async () => {
    const upsert = (inputs: object[]) => hs('POST', '/crm/v3/objects/companies/batch/upsert', { inputs });
    const fresh = (n: number, extra: Record<string, string> = {}) => ({
      id: `ws-acct-${n}`,
      idProperty: 'apollo_account_id',
      objectWriteTraceId: `local-${n}`,
      properties: { name: `Schema Co ${n}`, domain: `schema-${n}.example`, ...extra },
    });
    const created = expect<{ results: { new: boolean }[] }>(
      await upsert([fresh(1), fresh(2)]),
      200,
      `${OBJ}#upsertBatch`,
      'upsert creating',
    );
    assert.deepEqual(
      created.results.map((r) => r.new),
      [true, true],
    );
    const mixed = expect<{ results: { new: boolean }[]; errors: { message: string }[] }>(
      await upsert([fresh(1), fresh(3, { industry: 'NOT_AN_INDUSTRY' })]),
      207,
      `${OBJ}#upsertBatchWithErrors`,
      'upsert with an invalid option',
    );
    assert.deepEqual(
      mixed.results.map((r) => r.new),
      [false],
    );
    assertShape(
      `${OBJ}#propertyProblems`,
      JSON.parse(/^Property values were not valid: (.*)$/s.exec(mixed.errors[0].message)![1]),
      'the problems inside a validation message',
    );
    const { objectWriteTraceId: _, ...untraced } = fresh(4, { no_such_property: 'x' });
    const refused = expect<{ message: string }>(
      await upsert([untraced]),
      400,
      `${OBJ}#error`,
      'untraced upsert with an unknown property',
    );
    assertShape(
      `${OBJ}#propertyProblems`,
      JSON.parse(/^Property values were not valid: (.*)$/s.exec(refused.message)![1]),
      'the problems inside a 400 validation message',
    );

    const update = (inputs: object[]) => hs('POST', '/crm/v3/objects/contacts/batch/update', { inputs });
    const edit = (id: string, n: number, properties: Record<string, string> = { jobtitle: 'CTO' }) => ({
      id,
      objectWriteTraceId: `c-${n}`,
      properties,
    });
    expect(await update([edit(contactIds[0], 1), edit(contactIds[1], 2)]), 200, `${OBJ}#batch`, 'batch update');
    expect(
      await update([edit(contactIds[0], 1), edit('999999999', 2), edit(contactIds[2], 3, { lastmodifieddate: '1' })]),
      207,
      `${OBJ}#batchWithErrors`,
      'batch update with a missing id and a read-only property',
    );
    expect(
      await update([{ id: contactIds[0], properties: { lifecyclestage: 'nope' } }]),
      400,
      `${OBJ}#error`,
      'untraced update with an invalid option',
    );
  });

  it('deletes (204 for any id), batch archive, the recycle bin list, merge', async () => {
    const [a, b, c, d] = contactIds.slice(60, 64);
    assert.equal((await hs('DELETE', `/crm/v3/objects/contacts/${a}`)).status, 204);
    assert.equal((await hs('DELETE', `/crm/v3/objects/contacts/${a}`)).status, 204, 'archived already');
    assert.equal((await hs('DELETE', '/crm/v3/objects/contacts/999999999')).status, 204, 'never was');
    const archive = (inputs: object[]) => hs('POST', '/crm/v3/objects/contacts/batch/archive', { inputs });
    assert.equal((await archive([{ id: b }, { id: '999999999' }])).status, 204);
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ id: String(i + 1) }));
    expect(await archive(tooMany), 400, `${OBJ}#error`, 'a batch archive of 101 inputs');
    const bin = expect<HsPage>(
      await hs('GET', '/crm/v3/objects/contacts?archived=true&limit=100'),
      200,
      `${OBJ}#listPage`,
      'the recycle bin',
    );
    const archived = bin.results.filter((r) => r.id === a || r.id === b) as (HsRecord & { archivedAt?: string })[];
    assert.equal(archived.length, 2);
    assert.ok(archived.every((r) => r.archivedAt));
    const merge = (body: object) => hs('POST', '/crm/v3/objects/contacts/merge', body);
    const survivor = expect<HsRecord>(
      await merge({ primaryObjectId: c, objectIdToMerge: d }),
      200,
      `${OBJ}#record`,
      'a merge',
    );
    assert.equal(survivor.id, c);
    const read = expect<HsRecord>(
      await hs('GET', `/crm/v3/objects/contacts/${d}?properties=hs_merged_object_ids`),
      200,
      `${OBJ}#record`,
      'a merged-away id',
    );
    assert.equal(read.id, c);
    assert.equal(read.properties.hs_merged_object_ids, d);
    expect(await merge({ primaryObjectId: c, objectIdToMerge: c }), 400, `${OBJ}#error`, 'a merge with itself');
    expect(await merge({ primaryObjectId: c, objectIdToMerge: a }), 404, `${OBJ}#error`, 'a merge of an archived id');
  });

  it('v4 associations: associate default, batch read, one record', async () => {
    const A = 'hubspot/associations-v4.json';
    const pair = (contact: string, company: string) => ({ from: { id: contact }, to: { id: company } });
    expect(
      await hs('POST', '/crm/v4/associations/contacts/companies/batch/associate/default', {
        inputs: [pair(contactIds[0], companyIds[0]), pair(contactIds[1], companyIds[1])],
      }),
      200,
      `${A}#defaultAssociationBatch`,
      'associate default',
    );
    const partial = expect<{ numErrors: number }>(
      await hs('POST', '/crm/v4/associations/contacts/companies/batch/associate/default', {
        inputs: [pair(contactIds[0], companyIds[0]), pair(contactIds[1], '999999999')],
      }),
      // The spec documents 200 alone for this operation, but HubSpot's batch APIs answer 207 when
      // some inputs fail (which is why @hubspot/api-client 13.5, generated from the spec, throws on it).
      207,
      `${A}#defaultAssociationBatch`,
      'associate default with an unknown company',
    );
    assert.equal(partial.numErrors, 1);
    const read = expect<{ results: { to: unknown[] }[] }>(
      await hs('POST', '/crm/v4/associations/contacts/companies/batch/read', {
        inputs: contactIds.slice(0, 5).map((id) => ({ id })),
      }),
      200,
      `${A}#batchRead`,
      'associations batch read',
    );
    assert.ok(read.results.some((r) => r.to.length > 0));
    expect(
      await hs('GET', `/crm/v4/objects/contacts/${contactIds[0]}/associations/companies`),
      200,
      `${A}#objectAssociations`,
      "one contact's companies",
    );
  });

  it('401 for a bad token, 503 in an outage', async () => {
    expect(await call(sb.url, 'pat-na1-wrong', 'GET', '/crm/v3/owners'), 401, `${OBJ}#error`, 'a wrong token');
    expect(await call(sb.url, null, 'GET', '/crm/v3/owners'), 401, `${OBJ}#error`, 'no token');
    await admin.setFaults({ outageUntil: Date.now() + 60_000 });
    try {
      expect(await hs('GET', '/crm/v3/objects/contacts'), 503, `${OBJ}#error`, 'an outage');
    } finally {
      await admin.setFaults({ outageUntil: 0 });
    }
  });

  it('429 bodies for the ten-secondly, secondly and daily limits', async () => {
    const RL = 'hubspot/rate-limit.json#tooManyRequests';
    const limited = await HubSpotSandboxAdmin.createPortal(sb.url, 5152, 'pat-na1-limited', {
      tenSecondMax: 1,
      windowMs: 60_000,
      searchPerSecond: 1,
      dailyMax: 1_000,
    });
    const get = () => call(sb.url, 'pat-na1-limited', 'GET', '/crm/v3/objects/contacts');
    const search = () =>
      call(sb.url, 'pat-na1-limited', 'POST', '/crm/v3/objects/contacts/search', { filterGroups: [], limit: 1 });
    assert.equal((await get()).status, 200);
    const ten = expect<{ policyName: string }>(await get(), 429, RL, 'ten-secondly 429');
    assert.equal(ten.policyName, 'TEN_SECONDLY_ROLLING');
    assert.equal((await search()).status, 200);
    const secondly = expect<{ policyName: string }>(await search(), 429, RL, 'search 429');
    assert.equal(secondly.policyName, 'SECONDLY');
    await limited.setRateLimit({ dailyMax: 1 });
    const daily = expect<{ policyName: string }>(await get(), 429, RL, 'daily 429');
    assert.equal(daily.policyName, 'DAILY');
  });
});

type SfPage = { totalSize: number; done: boolean; nextRecordsUrl?: string; records: { Id: string }[] };

describe('Salesforce sandbox responses match the documented Salesforce REST shapes', () => {
  let sb: SalesforceSandbox;
  let admin: SalesforceSandboxAdmin;
  const token = 'sf-schemas-token';
  const V = '/services/data/v62.0';
  const R = 'salesforce/rest.json';
  const sf = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    call(sb.url, token, method, path, body, headers);
  const q = (soql: string, resource = 'query') => `${V}/${resource}?q=${encodeURIComponent(soql)}`;

  before(async () => {
    sb = await startSalesforceSandbox();
    admin = await SalesforceSandboxAdmin.createOrg(sb.url, '00D000000SCHEMAAAA', token);
    await admin.seed({
      accounts: 20,
      contacts: 450,
      leads: 60,
      users: 2,
      leadContactPairs: 2,
      convertedLeads: 2,
      seed: 3,
    });
  });
  after(() => sb?.close());

  it('version resources and the identity they point to', async () => {
    const resources = expect<{ identity: string }>(
      await sf('GET', V),
      200,
      `${R}#versionResources`,
      'version resources',
    );
    const identity = expect<{ organization_id: string }>(
      await sf('GET', `${new URL(resources.identity).pathname}?format=json`),
      200,
      `${R}#identity`,
      'identity',
    );
    assert.equal(identity.organization_id, '00D000000SCHEMAAAA');
  });

  it('query batches through nextRecordsUrl, queryAll and COUNT()', async () => {
    const ids: string[] = [];
    let page = expect<SfPage>(
      await sf('GET', q('SELECT Id, Email, SystemModstamp FROM Contact ORDER BY Id'), undefined, {
        'sforce-query-options': 'batchSize=200',
      }),
      200,
      `${R}#queryResult`,
      'query',
    );
    ids.push(...page.records.map((r) => r.Id));
    let batches = 1;
    while (!page.done) {
      page = expect<SfPage>(await sf('GET', page.nextRecordsUrl!), 200, `${R}#queryResult`, 'queryMore');
      ids.push(...page.records.map((r) => r.Id));
      batches++;
    }
    assert.equal(batches, 3);
    assert.equal(ids.length, page.totalSize);
    expect(
      await sf('GET', q('SELECT Id, Name, Email FROM User WHERE IsActive = true', 'queryAll')),
      200,
      `${R}#queryResult`,
      'queryAll',
    );
    const count = expect<SfPage>(await sf('GET', q('SELECT COUNT() FROM Lead')), 200, `${R}#queryResult`, 'COUNT()');
    assert.ok(count.totalSize > 0);
    assert.deepEqual(count.records, []);
  });

  it('deletes: single (204 / 404), collections per id, queryAll and getDeleted list the deleted', async () => {
    const ids = (await admin.ids('Contact')).ids.slice(300, 304);
    assert.equal((await sf('DELETE', `${V}/sobjects/Contact/${ids[0]}`)).status, 204);
    const again = expect<{ errorCode: string }[]>(
      await sf('DELETE', `${V}/sobjects/Contact/${ids[0]}`),
      404,
      `${R}#errorBody`,
      'a delete of a deleted record',
    );
    assert.equal(again[0].errorCode, 'ENTITY_IS_DELETED');
    const results = expect<{ success: boolean; errors: { statusCode: string }[] }[]>(
      await sf('DELETE', `${V}/composite/sobjects?ids=${ids[1]},${ids[0]},nope,${ids[2]}&allOrNone=false`),
      200,
      `${R}#saveResults`,
      'a collection delete',
    );
    assert.deepEqual(
      results.map((r) => (r.success ? 'ok' : r.errors[0].statusCode)),
      ['ok', 'ENTITY_IS_DELETED', 'MALFORMED_ID', 'ok'],
    );
    const rolledBack = expect<{ success: boolean; errors: { statusCode: string }[] }[]>(
      await sf('DELETE', `${V}/composite/sobjects?ids=${ids[3]},${ids[0]}&allOrNone=true`),
      200,
      `${R}#saveResults`,
      'an all-or-none collection delete',
    );
    assert.deepEqual(
      rolledBack.map((r) => r.errors[0].statusCode),
      ['ALL_OR_NONE_OPERATION_ROLLED_BACK', 'ENTITY_IS_DELETED'],
    );
    const soql = `SELECT Id, MasterRecordId, SystemModstamp FROM Contact WHERE IsDeleted = true AND Id = '${ids[1]}'`;
    const page = expect<{ records: unknown[] }>(await sf('GET', q(soql, 'queryAll')), 200, `${R}#queryResult`, soql);
    assert.equal(page.records.length, 1);
    assert.equal((await sf('GET', q(soql))).status, 200);
  });

  it('query errors: unknown field, unknown object, malformed, a bad locator', async () => {
    for (const [soql, code] of [
      ['SELECT Id, Nope__c FROM Contact', 'INVALID_FIELD'],
      ['SELECT Id FROM Widget', 'INVALID_TYPE'],
      ['SELECT FROM', 'MALFORMED_QUERY'],
    ]) {
      const body = expect<{ errorCode: string }[]>(await sf('GET', q(soql)), 400, `${R}#errorBody`, soql);
      assert.equal(body[0].errorCode, code);
    }
    expect(await sf('GET', `${V}/query/01gNOPE-200`), 400, `${R}#errorBody`, 'a bad locator');
    await admin.setLimits({ queryTimeoutRows: 10 });
    try {
      const timeout = expect<{ errorCode: string }[]>(
        await sf('GET', q('SELECT Id FROM Contact')),
        400,
        `${R}#errorBody`,
        'a query past the timeout',
      );
      assert.equal(timeout[0].errorCode, 'QUERY_TIMEOUT');
    } finally {
      await admin.setLimits({ queryTimeoutRows: 0 });
    }
  });

  it('describes Account, Contact and Lead; an unknown sObject is 404', async () => {
    for (const type of ['Account', 'Contact', 'Lead'])
      expect(await sf('GET', `${V}/sobjects/${type}/describe`), 200, `${R}#describe`, `${type} describe`);
    expect(await sf('GET', `${V}/sobjects/Widget/describe`), 404, `${R}#errorBody`, 'unknown sObject');
  });

  it('queried values have the JSON type their describe gives', async () => {
    // A number and a date to look at: seeded records may leave both empty.
    await sf('POST', `${V}/sobjects/Account`, { Name: 'Typed Co', NumberOfEmployees: 250 });
    for (const type of ['Account', 'Contact', 'Lead']) {
      const { fields } = (await sf('GET', `${V}/sobjects/${type}/describe`)).body as {
        fields: { name: string; type: string }[];
      };
      const page = expect<{ records: Record<string, unknown>[] }>(
        await sf('GET', q(`SELECT ${fields.map((f) => f.name).join(', ')} FROM ${type}`)),
        200,
        `${R}#queryResult`,
        `${type} query of every field`,
      );
      const seen = new Set<string>();
      for (const rec of page.records)
        for (const f of fields) {
          assertShape(`${R}#fieldValue`, { type: f.type, value: rec[f.name] }, `${type}.${f.name}`);
          if (rec[f.name] !== null) seen.add(f.type);
        }
      if (type === 'Account') assert.ok(seen.has('int'), 'an int value was looked at');
    }
  });

  it('limits', async () => {
    expect(await sf('GET', `${V}/limits`), 200, `${R}#limits`, 'limits');
  });

  it('single create (201 / 400), collections create, update and upsert with per-record errors', async () => {
    const one = expect<{ id: string }>(
      await sf('POST', `${V}/sobjects/Account`, { Name: 'Schema Inc' }),
      201,
      `${R}#createResult`,
      'single create',
    );
    expect(await sf('POST', `${V}/sobjects/Account`, { Website: 'x.example' }), 400, `${R}#errorBody`, 'no Name');
    expect(await sf('GET', `${V}/sobjects/Account/001000000000000AAA`), 404, `${R}#errorBody`, 'unknown id');

    const created = expect<{ success: boolean }[]>(
      await sf('POST', `${V}/composite/sobjects`, {
        allOrNone: false,
        records: [
          { attributes: { type: 'Account' }, Name: 'Collection Co' },
          { attributes: { type: 'Account' }, Website: 'nameless.example' },
          { attributes: { type: 'Account' }, Name: 'Bad Field Co', Nope__c: 'x' },
        ],
      }),
      200,
      `${R}#saveResults`,
      'collection create',
    );
    assert.deepEqual(
      created.map((r) => r.success),
      [true, false, false],
    );
    expect(
      await sf('PATCH', `${V}/composite/sobjects`, {
        allOrNone: false,
        records: [
          { attributes: { type: 'Account' }, Id: one.id, Phone: '555-0100' },
          { attributes: { type: 'Account' }, Id: '001000000000000AAA', Phone: '555-0101' },
        ],
      }),
      200,
      `${R}#saveResults`,
      'collection update',
    );
    const lead = (n: number, extra: Record<string, string> = {}) => ({
      attributes: { type: 'Lead' },
      Apollo_Id__c: `ws-lead-${n}`,
      LastName: `Schema ${n}`,
      Company: 'Schema Inc',
      Email: `lead${n}@schema.example`,
      ...extra,
    });
    const upsert = (records: object[]) =>
      sf('PATCH', `${V}/composite/sobjects/Lead/Apollo_Id__c`, { allOrNone: false, records });
    const first = expect<{ created?: boolean }[]>(
      await upsert([lead(1), lead(2, { Status: 'Not A Status' })]),
      200,
      `${R}#upsertResults`,
      'upsert creating',
    );
    assert.equal(first[0].created, true);
    const again = expect<{ created?: boolean }[]>(
      await upsert([lead(1), lead(3, { Email: 'not an email' })]),
      200,
      `${R}#upsertResults`,
      'upsert updating',
    );
    assert.equal(again[0].created, false);
    expect(
      await upsert([{ attributes: { type: 'Lead' }, LastName: 'x' }]),
      200,
      `${R}#upsertResults`,
      'upsert without the external id',
    );
    expect(
      await upsert(Array.from({ length: 201 }, (_, i) => lead(100 + i))),
      400,
      `${R}#errorBody`,
      'a collection of 201 records',
    );
    await admin.setFaults({ lockRate: 1 });
    try {
      const locked = expect<{ errors: { statusCode: string }[] }[]>(
        await upsert([lead(1)]),
        200,
        `${R}#upsertResults`,
        'a locked row',
      );
      assert.equal(locked[0].errors[0].statusCode, 'UNABLE_TO_LOCK_ROW');
    } finally {
      await admin.setFaults({ lockRate: 0 });
    }
  });

  it('401 for a bad session, 403 past the daily allowance, 503 in an outage', async () => {
    const bad = expect<{ errorCode: string }[]>(
      await call(sb.url, 'sf-wrong', 'GET', `${V}/limits`),
      401,
      `${R}#errorBody`,
      'a bad session',
    );
    assert.equal(bad[0].errorCode, 'INVALID_SESSION_ID');
    const { count } = await admin.usage();
    await admin.setLimits({ dailyMax: count });
    try {
      expect(await sf('GET', q('SELECT Id FROM Account')), 403, `${R}#errorBody`, 'the daily allowance spent');
    } finally {
      await admin.setLimits({ dailyMax: 100_000 });
    }
    await admin.setFaults({ outageUntil: Date.now() + 60_000 });
    try {
      expect(await sf('GET', `${V}/limits`), 503, `${R}#errorBody`, 'an outage');
    } finally {
      await admin.setFaults({ outageUntil: 0 });
    }
  });

  it('the OAuth token endpoint: a refreshed session, and refusals', async () => {
    const O = 'salesforce/oauth.json';
    await admin.addOAuth({
      clientId: 'schemas-client',
      clientSecret: 'schemas-secret',
      refreshToken: 'schemas-refresh',
    });
    const grant = async (form: Record<string, string>) => {
      const res = await fetch(`${sb.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    const ok = {
      grant_type: 'refresh_token',
      refresh_token: 'schemas-refresh',
      client_id: 'schemas-client',
      client_secret: 'schemas-secret',
    };
    const session = expect<{ access_token: string }>(await grant(ok), 200, `${O}#token`, 'refresh');
    assert.equal((await call(sb.url, session.access_token, 'GET', `${V}/limits`)).status, 200, 'the new session works');
    for (const [patch, error] of [
      [{ refresh_token: 'revoked' }, 'invalid_grant'],
      [{ client_id: 'someone-else' }, 'invalid_client_id'],
      [{ client_secret: 'wrong' }, 'invalid_client'],
      [{ grant_type: 'password' }, 'unsupported_grant_type'],
    ] as const) {
      const body = expect<{ error: string }>(await grant({ ...ok, ...patch }), 400, `${O}#tokenError`, error);
      assert.equal(body.error, error);
    }
  });
});
