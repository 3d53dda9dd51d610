import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox, type SalesforceSandbox } from '../src/sandbox/salesforce/server';

/** jsforce itself drives the sandbox: the shapes, paging, limits and errors it gets must be Salesforce's. */
describe('Salesforce sandbox fidelity (jsforce)', () => {
  let sandbox: SalesforceSandbox;
  let admin: SalesforceSandboxAdmin;
  let conn: Connection;
  const token = 'sf-fidelity-token';

  before(async () => {
    sandbox = await startSalesforceSandbox();
    admin = await SalesforceSandboxAdmin.createOrg(sandbox.url, '00DFIDELITY', token);
    await admin.seed({
      accounts: 50,
      contacts: 4_500,
      leads: 300,
      users: 3,
      leadContactPairs: 5,
      convertedLeads: 4,
      seed: 11,
    });
    conn = new Connection({ instanceUrl: sandbox.url, accessToken: token, version: '62.0' });
  });
  after(() => sandbox?.close());

  const errorOf = async (p: PromiseLike<unknown>) =>
    Promise.resolve(p).then(
      () => assert.fail('expected an error'),
      (e: { name: string; errorCode?: string; message: string }) => e,
    );

  it('pages a query 2,000 records at a time through nextRecordsUrl and queryMore', async () => {
    const first = await conn.query<{ Id: string; Email: string }>('SELECT Id, Email FROM Contact ORDER BY Id');
    // 4,500 seeded contacts + 4 from converted leads.
    assert.equal(first.totalSize, 4_504);
    assert.equal(first.done, false);
    assert.equal(first.records.length, 2_000);
    assert.match(first.nextRecordsUrl!, /\/services\/data\/v62\.0\/query\/01g[A-Za-z0-9]+-2000$/);
    assert.deepEqual(Object.keys(first.records[0]).sort(), ['Email', 'Id', 'attributes']);
    assert.equal((first.records[0] as unknown as { attributes: { type: string } }).attributes.type, 'Contact');
    const second = await conn.queryMore<{ Id: string }>(first.nextRecordsUrl!);
    const third = await conn.queryMore<{ Id: string }>(second.nextRecordsUrl!);
    assert.equal(third.done, true);
    assert.equal(third.nextRecordsUrl, undefined);
    const ids = [...first.records, ...second.records, ...third.records].map((r) => r.Id);
    assert.equal(new Set(ids).size, 4_504);
    assert.deepEqual(ids, [...ids].sort(), 'ORDER BY Id holds across batches');
  });

  it('evaluates WHERE with datetimes, AND/OR, IN, LIKE, ORDER BY and LIMIT; COUNT()', async () => {
    const all = (
      await conn.query<{ Id: string; SystemModstamp: string; Status: string }>(
        'SELECT Id, SystemModstamp, Status FROM Lead ORDER BY SystemModstamp, Id',
      )
    ).records;
    assert.match(all[0].SystemModstamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    const mid = all[150].SystemModstamp;
    const after = await conn.query<{ Id: string; SystemModstamp: string }>(
      `SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp > ${mid} ORDER BY SystemModstamp DESC LIMIT 5`,
    );
    assert.equal(after.records.length, Math.min(5, all.filter((l) => l.SystemModstamp > mid).length));
    for (const r of after.records) assert.ok(r.SystemModstamp > mid);
    const statuses = await conn.query<{ Status: string }>(
      "SELECT Status FROM Lead WHERE (Status = 'working - contacted' OR Status IN ('Closed - Converted')) AND IsConverted = true",
    );
    // Only converted leads are IsConverted; equality on text ignores case.
    assert.equal(statuses.totalSize, 4);
    const like = await conn.query("SELECT Id FROM Lead WHERE Company LIKE 'Converted Co%'");
    assert.equal(like.totalSize, 4);
    const count = await conn.query('SELECT COUNT() FROM Account');
    assert.equal(count.totalSize, 54);
    assert.equal(count.records.length, 0);
  });

  it('answers bad SOQL as Salesforce does', async () => {
    const malformed = await errorOf(conn.query('SELECT Id FRM Lead'));
    assert.equal(malformed.name, 'MALFORMED_QUERY');
    assert.match(malformed.message, /ERROR at Row:1:Column:\d+/);
    const field = await errorOf(conn.query('SELECT Nope FROM Lead'));
    assert.equal(field.name, 'INVALID_FIELD');
    assert.match(field.message, /No such column 'Nope' on entity 'Lead'/);
    const quoted = await errorOf(conn.query("SELECT Id FROM Lead WHERE SystemModstamp > '2024-01-01T00:00:00Z'"));
    assert.equal(quoted.name, 'INVALID_QUERY_FILTER_OPERATOR');
    const type = await errorOf(conn.query('SELECT Id FROM Opportunityish'));
    assert.equal(type.name, 'INVALID_TYPE');
  });

  it('shows merged and deleted records to queryAll only, with MasterRecordId', async () => {
    const [a, b] = (await conn.query<{ Id: string }>('SELECT Id FROM Contact ORDER BY Id LIMIT 2')).records;
    await admin.merge('Contact', a.Id, [b.Id]);
    const live = await conn.query(`SELECT Id FROM Contact WHERE Id = '${b.Id}'`);
    assert.equal(live.totalSize, 0);
    const all = await conn.query<{ Id: string; IsDeleted: boolean; MasterRecordId: string }>(
      `SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE Id = '${b.Id}'`,
      { scanAll: true },
    );
    assert.deepEqual(
      all.records.map((r) => [r.IsDeleted, r.MasterRecordId]),
      [[true, a.Id]],
    );
    const start = new Date(Date.now() - 60_000);
    // getDeleted covers whole seconds up to now: the merge shows once its second has passed.
    await new Promise((r) => setTimeout(r, 1_100));
    const deleted = await conn.sobject('Contact').deleted(start, new Date(Date.now() + 60_000));
    assert.ok(deleted.deletedRecords.some((d) => d.id === b.Id));
    const updated = await conn.sobject('Contact').updated(start, new Date(Date.now() + 60_000));
    assert.ok(updated.ids.includes(a.Id), 'the master was updated');
  });

  it('describes picklists, restricted or not', async () => {
    const lead = await conn.sobject('Lead').describe();
    const status = lead.fields.find((f) => f.name === 'Status')!;
    assert.equal(status.type, 'picklist');
    assert.equal(status.restrictedPicklist, true);
    assert.ok(status.picklistValues!.some((v) => v.value === 'Open - Not Contacted'));
    const source = lead.fields.find((f) => f.name === 'LeadSource')!;
    assert.equal(source.restrictedPicklist, false);
    assert.equal(lead.fields.find((f) => f.name === 'Apollo_Id__c')!.externalId, true);
  });

  it('creates, updates and upserts through sObject Collections with per-record results', async () => {
    const created = await conn
      .sobject('Lead')
      .create(
        [
          { LastName: 'Good', Company: 'Acme', Email: 'good@acme.example' },
          { LastName: 'Bad', Company: 'Acme', Status: 'Nonsense' },
          { LastName: 'NoCompany' },
        ],
        { allOrNone: false },
      );
    assert.equal(created[0].success, true);
    assert.match(String(created[0].id), /^00Q/);
    const bad = created[1] as unknown as {
      success: false;
      errors: { statusCode: string; message: string; fields: string[] }[];
    };
    assert.equal(bad.success, false);
    assert.equal(bad.errors[0].statusCode, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    assert.deepEqual(bad.errors[0].fields, ['Status']);
    assert.equal((created[2] as unknown as typeof bad).errors[0].statusCode, 'REQUIRED_FIELD_MISSING');
    assert.match((created[2] as unknown as typeof bad).errors[0].message, /Required fields are missing: \[Company\]/);

    const updated = await conn.sobject('Lead').update([{ Id: created[0].id!, Title: 'CTO' }], { allOrNone: false });
    assert.equal(updated[0].success, true);
    assert.equal((await admin.get('Lead', created[0].id!)).Title, 'CTO');

    const upserted = await conn
      .sobject('Contact')
      .upsert([{ Apollo_Id__c: 'ap-1', LastName: 'Upserted' }], 'Apollo_Id__c');
    assert.equal((upserted[0] as { created?: boolean }).created, true);
    const again = await conn
      .sobject('Contact')
      .upsert([{ Apollo_Id__c: 'ap-1', LastName: 'Upserted Again' }], 'Apollo_Id__c');
    assert.equal((again[0] as { created?: boolean }).created, false);

    const tooMany = await errorOf(
      conn.sobject('Lead').create(
        Array.from({ length: 201 }, (_, i) => ({ LastName: `L${i}`, Company: 'C' })),
        { allOrNone: false },
      ),
    );
    assert.equal(tooMany.name, 'EXCEEDED_ID_LIMIT');
  });

  it('refuses to update a converted lead and reports duplicates when the rule is on', async () => {
    const converted = (
      await conn.query<{ Id: string; ConvertedContactId: string }>(
        'SELECT Id, ConvertedContactId FROM Lead WHERE IsConverted = true LIMIT 1',
      )
    ).records[0];
    assert.match(converted.ConvertedContactId, /^003/);
    const r = await conn.sobject('Lead').update([{ Id: converted.Id, Title: 'x' }], { allOrNone: false });
    assert.equal(
      (r[0] as unknown as { errors: { statusCode: string }[] }).errors[0].statusCode,
      'CANNOT_UPDATE_CONVERTED_LEAD',
    );
    await admin.setLimits({ duplicateRule: true });
    const email = (await conn.query<{ Email: string }>('SELECT Email FROM Contact WHERE Email != null LIMIT 1'))
      .records[0].Email;
    const dup = await conn.sobject('Contact').create([{ LastName: 'Dup', Email: email }], { allOrNone: false });
    assert.equal(
      (dup[0] as unknown as { errors: { statusCode: string }[] }).errors[0].statusCode,
      'DUPLICATES_DETECTED',
    );
    await admin.setLimits({ duplicateRule: false });
  });

  it('reports identity, limits and Sforce-Limit-Info usage on every response', async () => {
    const id = await conn.identity();
    assert.equal(id.organization_id, '00DFIDELITY');
    assert.match(id.user_id, /^005/);
    const limits = await conn.limits();
    assert.equal(limits.DailyApiRequests.Max, 100_000);
    const usage = conn.limitInfo.apiUsage!;
    assert.equal(usage.limit, 100_000);
    assert.equal(usage.used, (await admin.usage()).count);
    assert.equal(limits.DailyApiRequests.Remaining, 100_000 - usage.used, 'the /limits call counts itself');
  });

  it('answers a bad token with INVALID_SESSION_ID and a spent allowance with REQUEST_LIMIT_EXCEEDED', async () => {
    const wrong = new Connection({ instanceUrl: sandbox.url, accessToken: 'nope', version: '62.0' });
    const auth = await errorOf(wrong.query('SELECT Id FROM Lead LIMIT 1'));
    assert.equal(auth.name, 'INVALID_SESSION_ID');
    assert.doesNotMatch(auth.message, /nope/);

    const used = (await admin.usage()).count;
    await admin.setLimits({ dailyMax: used + 2 });
    await conn.query('SELECT Id FROM Lead LIMIT 1');
    await conn.query('SELECT Id FROM Lead LIMIT 1');
    const spent = await errorOf(conn.query('SELECT Id FROM Lead LIMIT 1'));
    assert.equal(spent.name, 'REQUEST_LIMIT_EXCEEDED');
    assert.match(spent.message, /TotalRequests Limit exceeded/);
    await admin.setUsage(0);
    await admin.setLimits({ dailyMax: 100_000 });
    await conn.query('SELECT Id FROM Lead LIMIT 1');
  });

  it('times out a query that matches more rows than the threshold, not a narrower one', async () => {
    await admin.setLimits({ queryTimeoutRows: 1_000 });
    const wide = await errorOf(conn.query('SELECT Id FROM Contact'));
    assert.equal(wide.name, 'QUERY_TIMEOUT');
    const narrow = await conn.query('SELECT Id FROM Lead');
    assert.ok(narrow.totalSize < 1_000);
    await admin.setLimits({ queryTimeoutRows: 0 });
    assert.equal((await admin.stats()).queryTimeouts, 1);
  });

  it('injects faults: outages (jsforce retries GETs through them), lock errors, revoked tokens', async () => {
    const before = (await admin.stats()).serverErrors;
    await admin.setFaults({ outageUntil: Date.now() + 1_200 });
    const r = await conn.query('SELECT COUNT() FROM Account');
    assert.equal(r.totalSize > 0, true, 'the query got through once the outage ended');
    assert.ok((await admin.stats()).serverErrors > before, 'SERVER_UNAVAILABLE was answered meanwhile');
    await admin.setFaults({ outageUntil: 0, lockRate: 1 });
    const locked = await conn.sobject('Lead').create([{ LastName: 'L', Company: 'C' }], { allOrNone: false });
    assert.equal(
      (locked[0] as unknown as { errors: { statusCode: string }[] }).errors[0].statusCode,
      'UNABLE_TO_LOCK_ROW',
    );
    await admin.setFaults({ lockRate: 0 });
    await admin.revoke(token);
    assert.equal((await errorOf(conn.query('SELECT Id FROM Lead LIMIT 1'))).name, 'INVALID_SESSION_ID');
    await admin.addToken(token);
    await conn.query('SELECT Id FROM Lead LIMIT 1');
  });

  it('keeps its orgs across a restart when given a data file', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dataFile = join(mkdtempSync(join(tmpdir(), 'sf-sandbox-')), 'sf.json');
    let sb = await startSalesforceSandbox({ dataFile });
    const a = await SalesforceSandboxAdmin.createOrg(sb.url, '00DPERSIST', 'persist-token');
    await a.seed({ accounts: 3, contacts: 7, leads: 2, users: 1 });
    await sb.close();
    sb = await startSalesforceSandbox({ dataFile });
    const c = new Connection({ instanceUrl: sb.url, accessToken: 'persist-token', version: '62.0' });
    assert.equal((await c.query('SELECT COUNT() FROM Contact')).totalSize, 7);
    await sb.close();
  });
});
