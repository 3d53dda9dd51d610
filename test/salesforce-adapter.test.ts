import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CrmError } from '../src/crm/errors';
import { SalesforceAdapter } from '../src/crm/salesforce/adapter';
import { freePort } from '../src/dev/processes';
import { budgetDecision } from '../src/domain/api-budget';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox, type SalesforceSandbox } from '../src/sandbox/salesforce/server';

/** The jsforce-based adapter against the sandbox: slicing, expired cursors, mid-pull changes, errors. */
describe('Salesforce adapter', () => {
  let sandbox: SalesforceSandbox;
  let port: number;
  const dataFile = join(mkdtempSync(join(tmpdir(), 'sf-adapter-')), 'sf.json');
  let n = 0;

  before(async () => {
    port = await freePort();
    sandbox = await startSalesforceSandbox({ port, dataFile });
  });
  after(() => sandbox?.close());

  async function org(seed: { accounts: number; contacts: number; leads: number; spreadDays?: number }) {
    const token = `sf-adapter-${++n}`;
    const admin = await SalesforceSandboxAdmin.createOrg(sandbox.url, `00DADAPT${n}`, token);
    await admin.seed({ ...seed, users: 2, seed: n });
    return {
      admin,
      adapter: new SalesforceAdapter(`adapter-test-${n}`, { accessToken: token, instanceUrl: sandbox.url }),
      token,
    };
  }

  async function pullAll(
    adapter: SalesforceAdapter,
    stream: string,
    sinceMs: number | null,
    untilMs: number,
    onPage?: (page: number) => Promise<void>,
  ) {
    const ids: string[] = [];
    const stamps: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await adapter.fetchPage({ stream, cursor, fields: ['Email', 'FirstName'], sinceMs, untilMs });
      ids.push(...page.records.map((r) => r.crmId));
      stamps.push(...page.records.map((r) => r.modifiedAt));
      cursor = page.nextCursor;
      await onPage?.(++pages);
    } while (cursor);
    return { ids, pages, stamps };
  }

  it('splits the time range when Salesforce times out a query, and still returns every record once', async () => {
    // Seeded as if over the past 30 days, so time slices can separate the records.
    const { admin, adapter } = await org({ accounts: 2, contacts: 5_000, leads: 0 });
    await admin.setLimits({ queryTimeoutRows: 1_500 });
    const pulled = await pullAll(adapter, 'Contact', null, Date.now() + 1_000);
    assert.equal(pulled.ids.length, 5_000);
    assert.equal(new Set(pulled.ids).size, 5_000);
    assert.ok((await admin.stats()).queryTimeouts > 0, 'the pull met QUERY_TIMEOUT and carried on');
  });

  it('resumes after the query cursor is lost (sandbox restart) without losing or repeating records', async () => {
    const { admin, adapter } = await org({ accounts: 2, contacts: 4_500, leads: 0 });
    const pulled = await pullAll(adapter, 'Contact', null, Date.now() + 1_000, async (page) => {
      if (page !== 1) return;
      // Salesforce's locators are server state: a restart forgets them.
      await sandbox.close();
      sandbox = await startSalesforceSandbox({ port, dataFile });
    });
    assert.equal(pulled.ids.length, 4_500);
    assert.equal(new Set(pulled.ids).size, 4_500);
    assert.equal((await admin.ids('Contact')).count, 4_500);
  });

  it('misses nothing when records change while a pull pages: the next incremental pull has them', async () => {
    const { admin, adapter } = await org({ accounts: 1, contacts: 4_200, leads: 0 });
    const { ids: all } = await admin.ids('Contact');
    const until = Date.now() + 1;
    await new Promise((r) => setTimeout(r, 5));
    const changed = [all[10], all[4_100]];
    const first = await pullAll(adapter, 'Contact', null, until, async (page) => {
      if (page === 1) for (const id of changed) await admin.update('Contact', id, { Title: 'changed mid-pull' });
    });
    // One was already pulled; the other moved past `until` before its batch was read.
    assert.ok(first.ids.includes(all[10]));
    const second = await pullAll(adapter, 'Contact', until - 120_000, Date.now() + 1_000);
    for (const id of changed) assert.ok(second.ids.includes(id), `${id} is in the next pull`);
    assert.equal(new Set([...first.ids, ...second.ids]).size, 4_200, 'together they cover every contact');
  });

  it('pages a tie group larger than a batch (2,500 contacts, one SystemModstamp) across a lost cursor, each once', async () => {
    // One import at one instant: Salesforce's whole-second stamps give every record the same one.
    const { adapter } = await org({ accounts: 1, contacts: 2_500, leads: 0, spreadDays: 0 });
    const pulled = await pullAll(adapter, 'Contact', null, Date.now() + 1_000, async (page) => {
      if (page !== 1) return;
      await sandbox.close();
      sandbox = await startSalesforceSandbox({ port, dataFile });
    });
    assert.ok(pulled.pages >= 2, 'the group spans more than one batch');
    const stamps = new Set(pulled.stamps);
    assert.equal(stamps.size, 1, 'every contact has one SystemModstamp');
    assert.match([...stamps][0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/, 'whole seconds');
    assert.equal(new Set(pulled.ids).size, pulled.ids.length, 'none read twice');
    assert.equal(new Set(pulled.ids).size, 2_500, 'none skipped');
  });

  it('reads again a record changed in the second a finished pull began in', async () => {
    const { admin, adapter } = await org({ accounts: 1, contacts: 50, leads: 0 });
    const { ids } = await admin.ids('Contact');
    const edited = await admin.update('Contact', ids[7], { Title: 'edited' });
    const second = Date.parse(String(edited.SystemModstamp));
    // The pull that began 1 ms into that second may have read the record before the edit (the
    // stamp cannot tell): the next one, asked for changes since that start, reads it again.
    const began = second + 1;
    await pullAll(adapter, 'Contact', null, began);
    const next = await pullAll(adapter, 'Contact', began, Date.now() + 1_000);
    assert.deepEqual(next.ids, [ids[7]], 'the edit, and nothing older than its second');
  });

  it('misses nothing when a tie group is edited while its pull pages and its cursor is lost', async () => {
    const { admin, adapter } = await org({ accounts: 1, contacts: 2_500, leads: 0, spreadDays: 0 });
    const { ids: all } = await admin.ids('Contact');
    const until = Date.now() + 1;
    const changed = [all[10], all[2_400]];
    const first = await pullAll(adapter, 'Contact', null, until, async (page) => {
      if (page !== 1) return;
      for (const id of changed) await admin.update('Contact', id, { Title: 'changed mid-pull' });
      await sandbox.close();
      sandbox = await startSalesforceSandbox({ port, dataFile });
    });
    assert.equal(new Set(first.ids).size, first.ids.length, 'the first pull reads none twice');
    // Since exactly when the first began, no overlap: the edits are in it however their seconds fall.
    const second = await pullAll(adapter, 'Contact', until, Date.now() + 1_000);
    for (const id of changed) assert.ok(second.ids.includes(id), `${id} is in the next pull`);
    assert.equal(new Set([...first.ids, ...second.ids]).size, 2_500, 'together they cover every contact');
  });

  it('turns Salesforce errors into CrmError kinds without leaking the token', async () => {
    const bad = new SalesforceAdapter('bad', { accessToken: 'sf-secret-token-xyz', instanceUrl: sandbox.url });
    const err = await bad.verify().then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CrmError);
    assert.equal(err.kind, 'auth');
    assert.doesNotMatch(err.message, /sf-secret-token-xyz/);
    const { adapter } = await org({ accounts: 1, contacts: 1, leads: 0 });
    const invalid = await adapter
      .fetchPage({ stream: 'Contact', cursor: null, fields: ['NoSuchField__c'], sinceMs: null, untilMs: Date.now() })
      .then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
    assert.equal((invalid as CrmError).kind, 'invalid');
    assert.match((invalid as CrmError).message, /INVALID_FIELD/);
  });

  it('reads owners, counts, and marks converted leads to follow their contact', async () => {
    const { admin, adapter } = await org({ accounts: 1, contacts: 3, leads: 2 });
    assert.equal((await adapter.verify()).crmAccountId, admin.orgId);
    const owners = await adapter.listOwners();
    assert.equal(owners.length, 3, 'two sales users and the integration user');
    assert.ok(owners.every((o) => o.crmOwnerId.startsWith('005') && o.email));
    assert.equal(await adapter.countRecords('Lead'), 2);
    const { ids: leads } = await admin.ids('Lead');
    const conv = await admin.convertLead(leads[0]);
    const page = await adapter.fetchPage({
      stream: 'Lead',
      cursor: null,
      fields: ['Email'],
      sinceMs: null,
      untilMs: Date.now() + 1_000,
    });
    assert.equal(page.records.find((r) => r.crmId === leads[0])?.followsTo, conv.contactId);
    assert.equal(page.records.find((r) => r.crmId === leads[1])?.followsTo, null);
  });

  it('spends the daily allowance with a reserve: go, then slow, then pause', () => {
    assert.deepEqual(budgetDecision(100, 15_000), { action: 'go' });
    const slow = budgetDecision(13_000, 15_000);
    assert.equal(slow.action, 'slow');
    assert.ok(slow.action === 'slow' && slow.delayMs > 0 && slow.delayMs <= 2_000);
    assert.deepEqual(budgetDecision(13_500, 15_000), { action: 'pause', usable: 13_500 });
    assert.equal(budgetDecision(13_500, 15_000, 5).action, 'slow', 'a smaller reserve leaves more to spend');
  });
});
