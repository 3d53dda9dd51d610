import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { ensureSearchAttributes } from '../src/client/search-attributes';
import { startIntegration, temporalClient } from '../src/client/integrations';
import { startDevServer, type DevServer } from '../src/dev/temporal-dev-server';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox, type HubSpotSandbox } from '../src/sandbox/hubspot/server';
import { openDb, type Db } from '../src/store/db';
import { ensureWorkspace, upsertUser } from '../src/store/workspace-store';
import { disconnectSignal, pushRecordsUpdate, statusQuery } from '../src/workflows/contract';
import { waitFor } from './support/harness';
import { exited, freePort, spawnWorker } from './support/processes';

/**
 * SIGKILL the worker at several points of a bulk push to HubSpot on the real dev server: between a
 * batch the CRM accepted and the links being recorded, a retry must find what the first attempt
 * created. The CRM must end with exactly one record per workspace record, and every one linked.
 */
const CONTACTS = 1_500;
const ACCOUNTS = 150;
const UPSERT_ROUTE = 'POST /crm/v3/objects/contacts/batch/upsert';

describe('hubspot: worker killed during a push (real dev server)', () => {
  let temporal: DevServer;
  let sandbox: HubSpotSandbox;
  let admin: HubSpotSandboxAdmin;
  let db: Db | undefined;
  let dataDir: string;
  let workerEnv: Record<string, string>;
  let worker: ChildProcess | undefined;
  const ws = 'kill-push';

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-sync-kill-push-'));
    temporal = await startDevServer({ port: await freePort(), logFile: join(dir, 'temporal.log') });
    const connection = await Connection.connect({ address: temporal.address });
    await ensureSearchAttributes(connection, 'default');
    await connection.close();
    sandbox = await startHubSpotSandbox();
    admin = await HubSpotSandboxAdmin.createPortal(sandbox.url, 778, 'pat-kill-push');
    await admin.seed({ contacts: 50, companies: 10, owners: 2 });
    dataDir = join(dir, 'pglite');
    const connectionsFile = join(dir, 'connections.json');
    writeFileSync(connectionsFile, JSON.stringify({ [ws]: { crm: 'hubspot', accessToken: 'pat-kill-push', baseUrl: sandbox.url } }));
    workerEnv = { TEMPORAL_ADDRESS: temporal.address, PGLITE_DATA_DIR: dataDir, CRM_CONNECTIONS_FILE: connectionsFile };
  });
  after(async () => {
    worker?.kill('SIGKILL');
    await db?.close();
    await sandbox?.close();
    await temporal?.stop();
  });

  it('ends with one CRM record per workspace record, every one linked', async () => {
    // The workspace's own records, written before the CRM is connected: a bulk manual push sends them.
    db = await openDb({ dataDir });
    await ensureWorkspace(db, ws, 'free');
    await upsertUser(db, { id: `${ws}-admin`, workspaceId: ws, email: 'a@kp.example', name: 'A', permissions: [] });
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
      [ws, accountIds, ACCOUNTS, CONTACTS],
    );
    await db.close();
    db = undefined;
    // A little latency so each batch takes long enough for kills to land inside it.
    await admin.setFaults({ latencyMs: 40 });

    worker = spawnWorker(workerEnv);
    const client = await temporalClient(temporal.address, 'default');
    const handle = await startIntegration(client, { workspaceId: ws, crm: 'hubspot', connection: ws, syncUserId: `${ws}-admin`, plan: 'free' });
    await waitFor('syncing', () => handle.query(statusQuery), (s) => s.phase === 'syncing', 120_000);
    const queued = await handle.executeUpdate(pushRecordsUpdate, { args: [{ objectKind: 'contact', all: true }] });
    assert.equal(queued.queued, CONTACTS);

    const upserts = async () => (await admin.stats()).byRoute[UPSERT_ROUTE] ?? 0;
    const killedAt: number[] = [];
    for (const threshold of [2, 6, 10]) {
      killedAt.push(await waitFor(`${threshold} contact upserts`, upserts, (n) => n >= threshold, 180_000));
      worker.kill('SIGKILL');
      await exited(worker);
      worker = spawnWorker(workerEnv);
    }
    const s = await waitFor('push drained', () => handle.query(statusQuery), (x) => !x.push.pushing && x.push.due === 0 && x.push.totals.linked >= CONTACTS, 300_000);
    assert.ok(killedAt[killedAt.length - 1] < CONTACTS / 100, `every kill landed mid-push (after ${killedAt.join(', ')} upserts)`);
    await handle.signal(disconnectSignal, {});
    await handle.result();
    await client.connection.close();
    worker.kill('SIGTERM');
    await exited(worker);

    const portal = sandbox.indexes.get(778)!.portal;
    const pushedContacts = portal.objects.contacts.filter((c) => c.properties.apollo_contact_id);
    const pushedCompanies = portal.objects.companies.filter((c) => c.properties.apollo_account_id);
    assert.equal(pushedContacts.length, CONTACTS, 'exactly one HubSpot contact per workspace contact');
    assert.equal(new Set(pushedContacts.map((c) => c.properties.apollo_contact_id)).size, CONTACTS);
    assert.equal(pushedCompanies.length, ACCOUNTS, 'exactly one HubSpot company per workspace account');

    db = await openDb({ dataDir });
    const links = await db.query<{ kind: string; n: number }>(
      `SELECT object_kind AS kind, count(*)::int AS n FROM crm_links l WHERE workspace_id = $1
          AND EXISTS (SELECT 1 FROM contacts c WHERE c.id = l.local_id AND c.last_name LIKE 'Person %'
                      UNION ALL SELECT 1 FROM accounts a WHERE a.id = l.local_id AND a.name LIKE 'Pushco %')
        GROUP BY object_kind`,
      [ws],
    );
    const n = Object.fromEntries(links.rows.map((r) => [r.kind, Number(r.n)]));
    assert.deepEqual(n, { account: ACCOUNTS, contact: CONTACTS }, 'every pushed workspace record is linked');
    // Links point at the records that carry the workspace ids.
    const { rows } = await db.query<{ local_id: string; crm_id: string }>("SELECT local_id, crm_id FROM crm_links WHERE workspace_id = $1 AND object_kind = 'contact'", [ws]);
    const byLocal = new Map(rows.map((r) => [r.local_id, r.crm_id]));
    for (const c of pushedContacts) assert.equal(byLocal.get(c.properties.apollo_contact_id!), c.id);
    assert.equal(s.push.totals.rejected, 0);
    const contactsWithCompany = pushedContacts.filter((c) => (c.companyIds ?? []).length === 1).length;
    assert.equal(contactsWithCompany, CONTACTS, 'each contact associated with its company once');
  });
});
