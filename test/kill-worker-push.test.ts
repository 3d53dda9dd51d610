import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { ConnectionConfig } from '../src/crm/connections';
import { DevStack } from '../src/dev/stack';
import type { CrmName } from '../src/domain/types';
import type { SettingsPatch } from '../src/domain/settings';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox } from '../src/sandbox/hubspot/server';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { startSalesforceSandbox } from '../src/sandbox/salesforce/server';
import type { Db } from '../src/store/db';
import { operate, waitFor } from './support/harness';

/**
 * SIGKILL the worker at several points of a bulk push on the real dev server: after the accounts of
 * a batch went and before its people did, between a people batch the CRM accepted and the links
 * being recorded, and (HubSpot) between the upsert and the association call. A retry must find what
 * the first attempt created. The CRM must end with exactly one record per workspace record, each
 * person on its own account, and every workspace record linked.
 */
const ACCOUNTS = 150;

/** What the CRM holds that carries workspace ids. */
interface Pushed {
  contacts: { localId: string; crmId: string; accountCrmIds: string[] }[];
  accounts: { localId: string; crmId: string }[];
}

interface PushKillCase {
  crm: CrmName;
  contacts: number;
  setup(): Promise<{
    connection: ConnectionConfig;
    settings?: SettingsPatch;
    /** Calls of a CRM route made so far, to time the kills. */
    calls(route: RegExp): Promise<number>;
    /** Kill points in the order the push reaches them, all before it can end. */
    killAt: { route: RegExp; calls: number }[];
    /** Upserts of people the whole push needs (batches), to check every kill landed mid-push. */
    batches: number;
    pushed(): Pushed;
    close(): Promise<void>;
  }>;
}

const CASES: PushKillCase[] = [
  {
    crm: 'hubspot',
    contacts: 1_500,
    async setup() {
      const sandbox = await startHubSpotSandbox();
      const admin = await HubSpotSandboxAdmin.createPortal(sandbox.url, 778, 'pat-kill-push');
      await admin.seed({ contacts: 50, companies: 10, owners: 2 });
      // A little latency so each batch takes long enough for kills to land inside it.
      await admin.setFaults({ latencyMs: 40 });
      const portal = () => sandbox.indexes.get(778)!.portal;
      return {
        connection: { crm: 'hubspot', accessToken: 'pat-kill-push', baseUrl: sandbox.url },
        calls: async (route) => sumRoutes((await admin.stats()).byRoute, route),
        killAt: [
          { route: /companies\/batch\/upsert$/, calls: 1 },
          { route: /contacts\/batch\/upsert$/, calls: 3 },
          { route: /associations\/contacts\/companies\/batch\/associate\/default$/, calls: 6 },
          { route: /contacts\/batch\/upsert$/, calls: 10 },
        ],
        batches: 15,
        pushed: () => ({
          contacts: portal()
            .objects.contacts.filter((c) => c.properties.apollo_contact_id)
            .map((c) => ({ localId: c.properties.apollo_contact_id!, crmId: c.id, accountCrmIds: c.companyIds ?? [] })),
          accounts: portal()
            .objects.companies.filter((c) => c.properties.apollo_account_id)
            .map((c) => ({ localId: c.properties.apollo_account_id!, crmId: c.id })),
        }),
        close: () => sandbox.close(),
      };
    },
  },
  {
    crm: 'salesforce',
    contacts: 3_000,
    async setup() {
      const sandbox = await startSalesforceSandbox();
      const admin = await SalesforceSandboxAdmin.createOrg(sandbox.url, '00DKILLPUSH', 'sf-kill-push');
      await admin.seed({ accounts: 10, contacts: 50, leads: 10, users: 2 });
      // Four lanes of 200-record batches go fast: slow each call so kills land between batches.
      await admin.setFaults({ latencyMs: 250 });
      const org = () => [...sandbox.orgs.values()].find((o) => o.org.orgId === '00DKILLPUSH')!.org;
      const withId = (type: 'Contact' | 'Account') =>
        org().records[type].filter((r) => r.IsDeleted !== true && typeof r.Apollo_Id__c === 'string');
      return {
        connection: { crm: 'salesforce', accessToken: 'sf-kill-push', instanceUrl: sandbox.url },
        // People as Contacts, so each must end on its account.
        settings: { push: { createPeopleAs: 'Contact' } },
        calls: async (route) => sumRoutes((await admin.stats()).byRoute, route),
        killAt: [
          { route: /composite\/sobjects\/Account\/Apollo_Id__c$/, calls: 1 },
          { route: /composite\/sobjects\/Contact\/Apollo_Id__c$/, calls: 3 },
          { route: /composite\/sobjects\/Contact\/Apollo_Id__c$/, calls: 6 },
          { route: /composite\/sobjects\/Contact\/Apollo_Id__c$/, calls: 9 },
        ],
        batches: 15,
        pushed: () => ({
          contacts: withId('Contact').map((c) => ({
            localId: String(c.Apollo_Id__c),
            crmId: String(c.Id),
            accountCrmIds: c.AccountId ? [String(c.AccountId)] : [],
          })),
          accounts: withId('Account').map((a) => ({ localId: String(a.Apollo_Id__c), crmId: String(a.Id) })),
        }),
        close: () => sandbox.close(),
      };
    },
  },
];

function sumRoutes(byRoute: Record<string, number>, route: RegExp): number {
  return Object.entries(byRoute)
    .filter(([k]) => route.test(k))
    .reduce((n, [, v]) => n + v, 0);
}

/** The workspace's own records, written before the CRM is connected: a bulk manual push sends them. */
async function seedWorkspace(db: Db, ws: string, contacts: number): Promise<void> {
  const accountIds = Array.from({ length: ACCOUNTS }, () => randomUUID());
  await db.query(
    `INSERT INTO accounts (id, workspace_id, name, domain) SELECT a.id, $1, 'Pushco ' || a.n, 'pushco-' || a.n || '.example'
       FROM unnest($2::uuid[]) WITH ORDINALITY AS a(id, n)`,
    [ws, accountIds],
  );
  await db.query(
    `INSERT INTO contacts (id, workspace_id, email, last_name, account_id)
     SELECT gen_random_uuid(), $1, 'person' || n || '@pushco-' || (n % $3 + 1) || '.example', 'Person ' || n, ($2::uuid[])[n % $3 + 1]
       FROM generate_series(1, $4) AS n`,
    [ws, accountIds, ACCOUNTS, contacts],
  );
}

for (const c of CASES) {
  describe(`${c.crm}: worker killed during a push (real dev server)`, () => {
    let stack: DevStack | undefined;
    const ws = `kill-push-${c.crm}`;

    after(async () => {
      await stack?.stop();
    });

    it('ends with one CRM record per workspace record, each person on its account, every one linked', async () => {
      stack = await DevStack.start({ name: ws });
      const crm = await c.setup();
      stack.closeWithStack(() => crm.close());
      stack.writeConnections({ [ws]: crm.connection });
      const { syncUserId } = await stack.addWorkspace(ws, { setup: (db) => seedWorkspace(db, ws, c.contacts) });

      // The worker owns the embedded database; SIGKILL hits PGlite too.
      stack.startWorker({ stdio: ['ignore', 'ignore', 'inherit'] });
      const x = operate(
        await stack.startIntegration({ workspaceId: ws, crm: c.crm, connection: ws, syncUserId, plan: 'free' }),
      );
      await x.waitForPhase('syncing', 120_000);
      if (crm.settings) await x.updateSettings(crm.settings);
      const queued = await x.pushRecords({ objectKind: 'contact', all: true });
      assert.equal(queued.queued, c.contacts);

      const peopleRoute = crm.killAt[crm.killAt.length - 1].route;
      for (const k of crm.killAt) {
        await waitFor(
          `${k.calls} calls of ${k.route}`,
          () => crm.calls(k.route),
          (n) => n >= k.calls,
          180_000,
        );
        await stack.killAndRestartWorker();
      }
      const peopleUpsertsAtLastKill = await crm.calls(peopleRoute);
      const s = await x.waitForStatus(
        'push drained',
        (st) => !st.push.pushing && st.push.due === 0 && st.push.deferred === 0 && st.push.lastBatchAt !== null,
        300_000,
      );
      assert.ok(
        peopleUpsertsAtLastKill < crm.batches,
        `every kill landed mid-push (${peopleUpsertsAtLastKill} of ${crm.batches} people batches sent at the last)`,
      );
      await x.disconnect();
      await stack.stopWorker();

      const pushed = crm.pushed();
      assert.equal(pushed.contacts.length, c.contacts, `exactly one ${c.crm} person per workspace contact`);
      assert.equal(new Set(pushed.contacts.map((p) => p.localId)).size, c.contacts);
      assert.equal(pushed.accounts.length, ACCOUNTS, `exactly one ${c.crm} account per workspace account`);
      assert.equal(s.push.totals.rejected, 0);
      // Exact despite the kills: a batch committed just before one reports its counts on the retry.
      assert.equal(s.push.totals.linked, c.contacts, 'status counts every linked contact once');

      const db = await stack.openDb();
      const { rows } = await db.query<{ local_id: string; crm_id: string; kind: string }>(
        'SELECT local_id, crm_id, object_kind AS kind FROM crm_links WHERE workspace_id = $1',
        [ws],
      );
      const linkOf = new Map(rows.map((r) => [`${r.kind}:${r.local_id}`, r.crm_id]));
      for (const a of pushed.accounts)
        assert.equal(
          linkOf.get(`account:${a.localId}`),
          a.crmId,
          'each pushed account is linked to the record carrying its id',
        );
      for (const p of pushed.contacts)
        assert.equal(
          linkOf.get(`contact:${p.localId}`),
          p.crmId,
          'each pushed contact is linked to the record carrying its id',
        );
      const accountOf = new Map(
        (
          await db.query<{ id: string; account_id: string }>(
            'SELECT id, account_id FROM contacts WHERE workspace_id = $1 AND account_id IS NOT NULL',
            [ws],
          )
        ).rows.map((r) => [r.id, r.account_id]),
      );
      const crmAccountOf = new Map(pushed.accounts.map((a) => [a.localId, a.crmId]));
      const misplaced = pushed.contacts.filter(
        (p) => p.accountCrmIds.length !== 1 || p.accountCrmIds[0] !== crmAccountOf.get(accountOf.get(p.localId)!),
      );
      assert.equal(misplaced.length, 0, `each person on its own account, once (${misplaced.length} not)`);
    });
  });
}
