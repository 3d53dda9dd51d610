import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { writeAndNotify, type WriteOp } from '../src/client/workspace-writes';
import type { ConnectionConfig } from '../src/crm/connections';
import { DevStack } from '../src/dev/stack';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox } from '../src/sandbox/hubspot/server';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox } from '../src/sandbox/salesforce/server';
import { openDb, type Db } from '../src/store/db';
import { outboxCounts } from '../src/store/push-store';
import { findByCrmId } from '../src/store/reports';
import { ensureWorkspace, upsertUser } from '../src/store/workspace-store';
import { operate, waitFor, type IntegrationControls } from './support/harness';
import { ROOT } from './support/tools';

/**
 * Issue 11's measured scenario on the real dev server, a real worker process and PostgreSQL: a linked
 * contact, a slow CRM (HubSpot 400 ms a request), a manual pull, and a workspace edit three seconds
 * into it (Salesforce: 1.5 s a request, the edit after one second, since its pull takes far fewer calls).
 * Before field ownership the pull wrote the old title back and the push then sent it, so the edit
 * was lost on both sides. Then a shared field edited on both sides at different times ends with the
 * later value on both, and three more pulls write nothing.
 */
type Field = 'title' | 'first_name';
interface Crm {
  connection: ConnectionConfig;
  /**
   * The slowness that keeps a manual pull running well past the edit: HubSpot pages 100 records a
   * request, Salesforce 2,000 a query batch, so Salesforce needs slower requests and an earlier edit.
   */
  latencyMs: number;
  editAfterMs: number;
  value(crmId: string, field: Field): string | null;
  edit(crmId: string, field: Field, value: string): void;
  slow(latencyMs: number): Promise<unknown>;
  close(): Promise<void>;
}

const CRMS: Record<'hubspot' | 'salesforce', () => Promise<Crm>> = {
  async hubspot() {
    const sandbox = await startHubSpotSandbox();
    const admin = await HubSpotSandboxAdmin.createPortal(sandbox.url, 7711, 'pat-edits');
    // A portal large enough that a pull at 400 ms a request lasts well past the edit.
    await admin.seed({ contacts: 3_000, companies: 20, owners: 2 });
    const prop: Record<Field, string> = { title: 'jobtitle', first_name: 'firstname' };
    const idx = () => sandbox.indexes.get(7711)!;
    return {
      connection: { crm: 'hubspot', accessToken: 'pat-edits', baseUrl: sandbox.url },
      latencyMs: 400,
      editAfterMs: 3_000,
      value: (id, f) => idx().get('contacts', id)?.properties[prop[f]] ?? null,
      edit: (id, f, v) => void idx().update('contacts', id, { [prop[f]]: v }),
      slow: (latencyMs) => admin.setFaults({ latencyMs }),
      close: () => sandbox.close(),
    };
  },
  async salesforce() {
    const sandbox = await startSalesforceSandbox();
    const admin = await SalesforceSandboxAdmin.createOrg(sandbox.url, '00DEDITS', 'sf-edits');
    await admin.seed({ accounts: 20, contacts: 3_000, leads: 500, users: 2 });
    const col: Record<Field, string> = { title: 'Title', first_name: 'FirstName' };
    const org = () => [...sandbox.orgs.values()].find((o) => o.org.orgId === '00DEDITS')!;
    const person = (id: string) => {
      for (const type of ['Lead', 'Contact'] as const) {
        const rec = org().org.records[type].find((r) => r.Id === id);
        if (rec) return { type, rec };
      }
      return undefined;
    };
    return {
      connection: { crm: 'salesforce', accessToken: 'sf-edits', instanceUrl: sandbox.url },
      latencyMs: 1_500,
      editAfterMs: 1_000,
      value: (id, f) => (person(id)?.rec[col[f]] as string | null | undefined) ?? null,
      edit: (id, f, v) => void org().update(person(id)!.type, id, { [col[f]]: v }),
      slow: (latencyMs) => admin.setFaults({ latencyMs }),
      close: () => sandbox.close(),
    };
  },
};

let pg: { url: string; dir: string } | undefined;
before(() => {
  const out = execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh')], { encoding: 'utf8' }).trim();
  const env = Object.fromEntries(out.split(' ').map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
  pg = { url: env.DATABASE_URL, dir: env.PG_TEST_DIR };
});
after(() => {
  if (pg) execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh'), 'stop', pg.dir]);
});

for (const name of ['hubspot', 'salesforce'] as const) {
  describe(`${name}: edits during pulls are never lost (real dev server)`, () => {
    let stack: DevStack;
    let crm: Crm;
    let db: Db;
    let client: Client;
    let x: IntegrationControls;
    const ws = `edits-${name}`;
    const write = (op: WriteOp, fields: unknown, id?: string) => writeAndNotify(db, client, op, ws, fields, { id });
    const crmIdOf = async (localId: string) =>
      (
        await db.query<{ crm_id: string }>('SELECT crm_id FROM crm_links WHERE workspace_id = $1 AND local_id = $2', [
          ws,
          localId,
        ])
      ).rows[0]?.crm_id;
    const workspaceValue = async (crmId: string, f: Field) =>
      (await findByCrmId(db, ws, name, 'contact', crmId))?.fields[f] ?? null;
    /** Pushed: no due outbox row, and the workflow's drain is idle. */
    const drained = () =>
      waitFor(
        'push drained',
        async () => ({ s: await x.status(), o: await outboxCounts(db, ws, name) }),
        ({ s, o }) => !s.push.pushing && o.due === 0 && s.push.due === 0,
        60_000,
      );
    const pullOnce = async () => {
      const before = (await x.status()).lastPull?.finishedAt;
      await x.pullNow();
      return x.waitForStatus(
        'a manual pull finished',
        (s) => s.pullInProgress === null && s.lastPull?.kind === 'manual' && s.lastPull.finishedAt !== before,
        180_000,
      );
    };

    before(async () => {
      stack = await DevStack.start({ name: ws });
      crm = await CRMS[name]();
      stack.closeWithStack(() => crm.close());
      stack.writeConnections({ [ws]: crm.connection });
      stack.useDatabase(pg!.url);
      db = await openDb({ databaseUrl: pg!.url });
      stack.closeWithStack(() => db.close());
      await ensureWorkspace(db, ws, 'free');
      await upsertUser(db, { id: `${ws}-admin`, workspaceId: ws, email: `admin@${ws}.example`, name: 'Admin' });
      stack.startWorker({ stdio: ['ignore', 'ignore', 'inherit'] });
      client = await stack.client();
      x = operate(
        await stack.startIntegration({
          workspaceId: ws,
          crm: name,
          connection: ws,
          syncUserId: `${ws}-admin`,
          plan: 'free',
        }),
      );
      await x.waitForPhase('syncing', 180_000);
    });
    after(async () => stack?.stop());

    it('a title edited while a slow pull runs ends as the edit on both sides, pushed before the pull ends', async () => {
      // A Salesforce Lead needs a Company: the contact's account gives it.
      const account = await write('accounts add', { name: `Edits ${name}`, domain: `edits-${name}.example` });
      const { id } = await write('contacts add', {
        account_id: account.id,
        email: `pat@edits-${name}.example`,
        first_name: 'Pat',
        last_name: 'Edits',
        title: 'CTO',
      });
      await drained();
      const crmId = (await crmIdOf(id))!;
      assert.equal(crm.value(crmId, 'title'), 'CTO');

      await crm.slow(crm.latencyMs);
      await x.pullNow();
      await x.waitForStatus('the manual pull running', (s) => s.pullInProgress === 'manual');
      await new Promise((r) => setTimeout(r, crm.editAfterMs));
      await write('contacts update', { title: 'VP Sales' }, id);
      await waitFor(
        'the edit in the CRM',
        async () => crm.value(crmId, 'title'),
        (v) => v === 'VP Sales',
        60_000,
      );
      assert.equal((await x.status()).pullInProgress, 'manual', 'the edit reached the CRM while the pull still ran');
      await x.waitForStatus(
        'the pull finished',
        (s) => s.pullInProgress === null && s.lastPull?.kind === 'manual',
        300_000,
      );
      await crm.slow(0);
      assert.equal(await workspaceValue(crmId, 'title'), 'VP Sales', 'the workspace keeps the edit');
      assert.equal(crm.value(crmId, 'title'), 'VP Sales', 'the CRM keeps the edit');
    });

    it('a shared field edited on both sides ends with the later value on both, and 3 more pulls write nothing', async () => {
      const account = await write('accounts add', { name: `Shared ${name}`, domain: `shared-${name}.example` });
      const { id } = await write('contacts add', {
        account_id: account.id,
        email: `sam@shared-${name}.example`,
        first_name: 'Sam',
        last_name: 'Shared',
      });
      await drained();
      const crmId = (await crmIdOf(id))!;
      // The workspace first, the CRM later (past Salesforce's whole-second times): the CRM's is the later.
      await write('contacts update', { first_name: 'Samuel' }, id);
      await drained();
      await new Promise((r) => setTimeout(r, 1_100));
      crm.edit(crmId, 'first_name', 'Sammy');
      await pullOnce();
      await drained();
      assert.equal(await workspaceValue(crmId, 'first_name'), 'Sammy');
      assert.equal(crm.value(crmId, 'first_name'), 'Sammy');

      const pushedBefore = (await x.status()).push.totals.linked;
      for (let i = 0; i < 3; i++) {
        const s = await pullOnce();
        await drained();
        assert.equal(s.lastPull?.updated, 0, `quiet pull ${i + 1} found nothing changed in the CRM`);
      }
      assert.equal((await x.status()).push.totals.linked, pushedBefore, 'quiet pulls caused no push');
      assert.equal(await workspaceValue(crmId, 'first_name'), 'Sammy');
      assert.equal(crm.value(crmId, 'first_name'), 'Sammy');
    });
  });
}
