import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectionConfig } from '../src/crm/connections';
import { DevStack } from '../src/dev/stack';
import type { CrmName } from '../src/domain/types';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox } from '../src/sandbox/hubspot/server';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox } from '../src/sandbox/salesforce/server';
import type { Db } from '../src/store/db';
import { operate, waitFor } from './support/harness';

/**
 * SIGKILL the worker process at several points of an initial pull on the real dev server; each time
 * a new worker takes over. The workspace must end with exactly the CRM's records, none twice.
 */
interface KillCase {
  crm: CrmName;
  /** Creates the CRM side; returns the connection and how to read it. */
  setup(): Promise<{
    connection: ConnectionConfig;
    /** Pull pages the CRM has served so far, to time the kills. */
    pagesServed(): Promise<number>;
    /** Page counts at which to kill, all before the pull can end. */
    killAt: number[];
    contactIds(): Promise<string[]>;
    accounts: number;
    close(): Promise<void>;
  }>;
}

const CASES: KillCase[] = [
  {
    crm: 'hubspot',
    async setup() {
      const sandbox = await startHubSpotSandbox();
      const admin = await HubSpotSandboxAdmin.createPortal(sandbox.url, 777, 'pat-kill');
      await admin.seed({ contacts: 3_000, companies: 300, owners: 3 });
      // Slow the CRM a little so the pull lasts long enough to be killed three times.
      await admin.setFaults({ latencyMs: 25 });
      return {
        connection: { crm: 'hubspot', accessToken: 'pat-kill', baseUrl: sandbox.url },
        pagesServed: async () => (await admin.stats()).byRoute['GET /crm/v3/objects/contacts'] ?? 0,
        killAt: [4, 14, 24], // of 30 contact pages
        contactIds: async () => (await admin.ids('contacts')).ids,
        accounts: 300,
        close: () => sandbox.close(),
      };
    },
  },
  {
    crm: 'salesforce',
    async setup() {
      const sandbox = await startSalesforceSandbox();
      const admin = await SalesforceSandboxAdmin.createOrg(sandbox.url, '00DKILL', 'sf-kill');
      await admin.seed({
        accounts: 300,
        contacts: 14_000,
        leads: 2_000,
        leadContactPairs: 20,
        convertedLeads: 10,
        users: 3,
      });
      // Salesforce pages are 2,000 records; slow each a little so kills land between them.
      await admin.setFaults({ latencyMs: 300 });
      const pages = async () => {
        const by = (await admin.stats()).byRoute;
        return Object.entries(by)
          .filter(([k]) => /GET \/services\/data\/vXX\/query/.test(k))
          .reduce((n, [, v]) => n + v, 0);
      };
      return {
        connection: { crm: 'salesforce', accessToken: 'sf-kill', instanceUrl: sandbox.url },
        pagesServed: pages,
        killAt: [6, 9, 12], // of ~16 query calls: owners x2, counts x3, 1 account, 8 contact, 2 lead batches
        contactIds: async () => (await admin.ids('Contact')).ids,
        accounts: 300 + 10,
        close: () => sandbox.close(),
      };
    },
  },
];

for (const kc of CASES)
  describe(`${kc.crm}: worker killed during the initial pull (real dev server)`, () => {
    let stack: DevStack;
    let crmSide: Awaited<ReturnType<KillCase['setup']>>;
    let db: Db | undefined;
    const ws = `kill-${kc.crm}`;

    before(async () => {
      stack = await DevStack.start({ name: ws });
      crmSide = await kc.setup();
      stack.closeWithStack(() => crmSide.close());
      stack.writeConnections({ [ws]: crmSide.connection });
    });
    after(async () => {
      await stack?.stop();
    });

    const count = async (sql: string) => Number((await db!.query<{ n: number }>(sql, [ws])).rows[0].n);

    it('ends with exactly the CRM records, none twice', async () => {
      const { syncUserId } = await stack.addWorkspace(ws, {
        permissions: ['assign contact owner', 'assign account owner'],
      });
      // The worker owns the embedded database, as in the main job; SIGKILL hits PGlite too. Short
      // chunks, so the kills land in different activity attempts.
      stack.startWorker({ env: { PULL_CHUNK_BUDGET_MS: '400' }, stdio: ['ignore', 'ignore', 'inherit'] });
      const x = operate(
        await stack.startIntegration({ workspaceId: ws, crm: kc.crm, connection: ws, syncUserId, plan: 'free' }),
      );

      // The database belongs to the worker while it runs; progress is read from the CRM side.
      const killedAt: number[] = [];
      for (const threshold of crmSide.killAt) {
        killedAt.push(await waitFor(`${threshold} pages`, crmSide.pagesServed, (n) => n >= threshold, 120_000));
        await stack.killAndRestartWorker();
      }
      const s = await x.waitForPhase('syncing', 240_000);
      const lastKill = killedAt[killedAt.length - 1];
      assert.ok(
        lastKill < (await crmSide.pagesServed()),
        `every kill landed mid-pull (after ${killedAt.join(', ')} pages)`,
      );
      await x.disconnect();
      await stack.stopWorker();
      db = await stack.openDb();

      const contactIds = await crmSide.contactIds();
      assert.equal(await count('SELECT count(*)::int AS n FROM accounts WHERE workspace_id = $1'), crmSide.accounts);
      const { rows } = await db.query<{ crm_id: string; crm_object: string }>(
        "SELECT crm_id, crm_object FROM crm_links WHERE workspace_id = $1 AND object_kind = 'contact'",
        [ws],
      );
      const linkedContacts = rows.filter((r) => r.crm_object !== 'Lead').map((r) => r.crm_id);
      assert.deepEqual(new Set(linkedContacts), new Set(contactIds), 'every CRM contact linked');
      assert.equal(linkedContacts.length, contactIds.length, 'none twice');
      // One workspace contact per link: nothing half-written survived a kill.
      assert.equal(await count('SELECT count(*)::int AS n FROM contacts WHERE workspace_id = $1'), rows.length);
      // Pages were counted exactly once, too, and the status the operator sees says the same.
      assert.equal(
        await count("SELECT sum(created)::int AS n FROM pull_runs WHERE workspace_id = $1 AND kind = 'initial'"),
        rows.length + crmSide.accounts,
      );
      assert.equal(s.lastPull?.created, rows.length + crmSide.accounts);
    });
  });
