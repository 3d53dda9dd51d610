import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import type { ConnectionConfig } from '../crm/connections';
import { createLogger } from '../logger';
import { HubSpotSandboxAdmin } from '../sandbox/hubspot/admin-client';
import { openDb, type Db } from '../store/db';
import { seedDemoWorkspace } from './demo-workspace';

/** The demo portal's id in the HubSpot sandbox. */
export const DEMO_PORTAL = 880001;

export interface DemoSetupOptions {
  /** Where the HubSpot sandbox listens. */
  sandboxUrl: string;
  /** URL the worker will use for the sandbox (differs from sandboxUrl inside docker-compose). */
  workerSandboxUrl?: string;
  /** The worker's CRM_CONNECTIONS_FILE: written once, with a fresh demo token. */
  connectionsFile: string;
  db: Db;
}

/**
 * Makes the demo ready, idempotently: a HubSpot portal seeded with demo data (5,000 contacts, 1,000
 * companies, 6 owners, 25 duplicate pairs) at HubSpot's 190 / 10 s limit, the connection the worker
 * reads, and the workspace "acme" whose users match the portal's owners. A second run finds it all
 * in place and changes nothing.
 */
export async function setupDemo(o: DemoSetupOptions): Promise<{ seeded: boolean }> {
  let seeded = false;
  if (!(await HubSpotSandboxAdmin.portals(o.sandboxUrl)).includes(DEMO_PORTAL) || !existsSync(o.connectionsFile)) {
    const token = `pat-na1-${randomBytes(12).toString('hex')}`;
    const admin = await HubSpotSandboxAdmin.createPortal(o.sandboxUrl, DEMO_PORTAL, token, { tenSecondMax: 190 });
    await admin.seed({ contacts: 5_000, companies: 1_000, owners: 6, duplicates: 25, seed: 7 });
    const connections: Record<string, ConnectionConfig> = {
      'acme-hubspot': { crm: 'hubspot', accessToken: token, baseUrl: o.workerSandboxUrl ?? o.sandboxUrl },
    };
    // Owner-only: the file holds the token.
    writeFileSync(o.connectionsFile, JSON.stringify(connections, null, 2), { mode: 0o600 });
    seeded = true;
  }
  const { owners } = await new HubSpotSandboxAdmin(o.sandboxUrl, DEMO_PORTAL).owners();
  await seedDemoWorkspace(o.db, owners.map((x) => x.email));
  return { seeded };
}

/**
 * `node lib/src/dev/demo-setup.js`: the same, as a one-shot process (docker-compose's demo-setup
 * service). HUBSPOT_SANDBOX_URL, WORKER_HUBSPOT_SANDBOX_URL, CRM_CONNECTIONS_FILE, DATABASE_URL.
 */
async function main(): Promise<void> {
  const log = createLogger();
  const sandboxUrl = process.env.HUBSPOT_SANDBOX_URL ?? 'http://127.0.0.1:4010';
  const connectionsFile = process.env.CRM_CONNECTIONS_FILE;
  if (!connectionsFile) throw new Error('CRM_CONNECTIONS_FILE is required');
  const db = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir: process.env.PGLITE_DATA_DIR });
  try {
    const r = await setupDemo({ sandboxUrl, workerSandboxUrl: process.env.WORKER_HUBSPOT_SANDBOX_URL, connectionsFile, db });
    log.info(r, r.seeded ? 'demo portal seeded and workspace "acme" ready' : 'demo already in place');
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`demo setup failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
