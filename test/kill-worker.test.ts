import assert from 'node:assert/strict';
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
import { disconnectSignal, statusQuery } from '../src/workflows/contract';
import { waitFor } from './support/harness';
import { exited, freePort, spawnWorker } from './support/processes';

/**
 * SIGKILL the worker process at several points of an initial pull on the real dev server; each time
 * a new worker takes over. The workspace must end with exactly the sandbox's records, none twice.
 */
describe('worker killed during the initial pull (real dev server)', () => {
  let temporal: DevServer;
  let sandbox: HubSpotSandbox;
  let db: Db | undefined;
  let dataDir: string;
  let workerEnv: Record<string, string>;
  let worker: ChildProcess | undefined;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-sync-kill-'));
    temporal = await startDevServer({ port: await freePort(), logFile: join(dir, 'temporal.log') });
    const connection = await Connection.connect({ address: temporal.address });
    await ensureSearchAttributes(connection, 'default');
    await connection.close();
    sandbox = await startHubSpotSandbox();
    dataDir = join(dir, 'pglite');
    const connectionsFile = join(dir, 'connections.json');
    writeFileSync(connectionsFile, JSON.stringify({ 'kill-hubspot': { crm: 'hubspot', accessToken: 'pat-kill', baseUrl: sandbox.url } }));
    workerEnv = {
      TEMPORAL_ADDRESS: temporal.address,
      // The worker owns the embedded database, as in the main job; SIGKILL hits PGlite too.
      PGLITE_DATA_DIR: dataDir,
      CRM_CONNECTIONS_FILE: connectionsFile,
      // Short chunks, so the kills land in different activity attempts.
      PULL_CHUNK_BUDGET_MS: '400',
    };
  });
  after(async () => {
    worker?.kill('SIGKILL');
    await db?.close();
    await sandbox?.close();
    await temporal?.stop();
  });

  const count = async (sql: string) => Number((await db!.query<{ n: number }>(sql)).rows[0].n);

  it('ends with exactly the CRM records, none twice', async () => {
    const admin = await HubSpotSandboxAdmin.createPortal(sandbox.url, 777, 'pat-kill');
    await admin.seed({ contacts: 3_000, companies: 300, owners: 3 });
    // Slow the CRM a little so the pull lasts long enough to be killed three times.
    await admin.setFaults({ latencyMs: 25 });
    db = await openDb({ dataDir });
    await ensureWorkspace(db, 'killws', 'free');
    await upsertUser(db, { id: 'killws-admin', workspaceId: 'killws', email: 'a@k.example', name: 'A', permissions: ['assign contact owner', 'assign account owner'] });

    await db.close();
    db = undefined;
    worker = spawnWorker(workerEnv);
    const client = await temporalClient(temporal.address, 'default');
    const handle = await startIntegration(client, { workspaceId: 'killws', crm: 'hubspot', connection: 'kill-hubspot', syncUserId: 'killws-admin', plan: 'free' });

    // The database belongs to the worker while it runs; progress is read from the CRM side.
    const contactPages = async () => (await admin.stats()).byRoute['GET /crm/v3/objects/contacts'] ?? 0;
    const killedAt: number[] = [];
    for (const threshold of [4, 14, 24]) {
      killedAt.push(await waitFor(`${threshold} contact pages`, contactPages, (n) => n >= threshold, 120_000));
      worker.kill('SIGKILL');
      await exited(worker);
      worker = spawnWorker(workerEnv);
    }
    const s = await waitFor('syncing', () => handle.query(statusQuery), (x) => x.phase === 'syncing', 240_000);
    assert.ok(killedAt.every((n) => n < 30), `every kill landed mid-pull (after ${killedAt.join(', ')} of 30 pages)`);
    await handle.signal(disconnectSignal, {});
    await handle.result();
    await client.connection.close();
    worker.kill('SIGTERM');
    await exited(worker);
    db = await openDb({ dataDir });

    assert.equal(await count("SELECT count(*)::int AS n FROM contacts WHERE workspace_id = 'killws'"), 3_000);
    assert.equal(await count("SELECT count(*)::int AS n FROM accounts WHERE workspace_id = 'killws'"), 300);
    assert.equal(await count("SELECT count(DISTINCT crm_id)::int AS n FROM crm_links WHERE workspace_id = 'killws' AND object_kind = 'contact'"), 3_000);
    const { ids } = await admin.ids('contacts');
    const { rows } = await db.query<{ crm_id: string }>("SELECT crm_id FROM crm_links WHERE workspace_id = 'killws' AND object_kind = 'contact'");
    assert.deepEqual(new Set(rows.map((r) => r.crm_id)), new Set(ids));
    // Pages were counted exactly once, too.
    assert.equal(await count("SELECT sum(created)::int AS n FROM pull_runs WHERE workspace_id = 'killws' AND kind = 'initial'"), 3_300);
    // And the status the operator sees reports the same, though chunks were cut short and retried.
    assert.equal(s.lastPull?.created, 3_300);
    assert.equal(s.lastPull?.seen, 3_300);
  });
});
