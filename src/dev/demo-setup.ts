import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ConnectionConfig } from '../crm/connections';
import { parseJsonQuietly } from '../crm/connections-file';
import { createLogger } from '../logger';
import { HubSpotSandboxAdmin } from '../sandbox/hubspot/admin-client';
import { SalesforceSandboxAdmin } from '../sandbox/salesforce/admin-client';
import { openDb, type Db } from '../store/db';
import { seedDemoWorkspace } from './demo-workspace';

/** The demo portal's id in the HubSpot sandbox, and the demo org's in the Salesforce sandbox. */
export const DEMO_PORTAL = 880001;
export const DEMO_ORG = '00DDEMO0001';

/** The demo data of `npm start`: one HubSpot portal and one Salesforce org, generated the same each time. */
export const DEMO_PORTAL_SEED = { contacts: 5_000, companies: 1_000, owners: 6, duplicates: 25, seed: 7 };
export const DEMO_ORG_SEED = {
  accounts: 1_000,
  contacts: 4_000,
  leads: 1_500,
  leadContactPairs: 30,
  convertedLeads: 20,
  duplicates: 10,
  users: 6,
  seed: 9,
};

/** What to paste into the UI's Start Workflow form for each demo integration. */
export const DEMO_INPUTS = {
  hubspot: { workspaceId: 'acme', crm: 'hubspot', connection: 'acme-hubspot', syncUserId: 'u-admin', plan: 'paid' },
  salesforce: {
    workspaceId: 'globex',
    crm: 'salesforce',
    connection: 'globex-salesforce',
    syncUserId: 'sf-admin',
    plan: 'paid',
  },
} as const;

export interface DemoSetupOptions {
  /** Where the HubSpot sandbox listens. */
  sandboxUrl: string;
  /** Where the Salesforce sandbox listens; no Salesforce demo without it. */
  salesforceUrl?: string;
  /** URLs the worker will use for the sandboxes (they differ inside docker-compose). */
  workerSandboxUrl?: string;
  workerSalesforceUrl?: string;
  /** The worker's CRM_CONNECTIONS_FILE: each connection is written once, with a fresh demo token. */
  connectionsFile: string;
  db: Db;
}

/**
 * Makes the demo ready, idempotently:
 * - HubSpot: portal 880001 at HubSpot's 190 / 10 s, 5,000 contacts, 1,000 companies, 6 owners, 25
 *   duplicate contacts; workspace "acme".
 * - Salesforce: org 00DDEMO0001 with 1,000 accounts, 4,000 contacts, 1,500 leads, 30 leads that are
 *   also contacts, 20 converted leads, 10 duplicate contacts, 6 sales users; workspace "globex".
 * The workspaces' reps carry the CRM owners' emails. A second run finds it all and changes nothing.
 */
export async function setupDemo(o: DemoSetupOptions): Promise<{ seeded: string[] }> {
  const connections = readConnections(o.connectionsFile);
  const seeded: string[] = [];
  const newToken = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

  const hs = DEMO_INPUTS.hubspot;
  if (!(await HubSpotSandboxAdmin.portals(o.sandboxUrl)).includes(DEMO_PORTAL) || !connections[hs.connection]) {
    const token = newToken('pat-na1-');
    const admin = await HubSpotSandboxAdmin.createPortal(o.sandboxUrl, DEMO_PORTAL, token, { tenSecondMax: 190 });
    await admin.seed(DEMO_PORTAL_SEED);
    connections[hs.connection] = { crm: 'hubspot', accessToken: token, baseUrl: o.workerSandboxUrl ?? o.sandboxUrl };
    seeded.push('hubspot');
  }
  const { owners } = await new HubSpotSandboxAdmin(o.sandboxUrl, DEMO_PORTAL).owners();
  await seedDemoWorkspace(
    o.db,
    hs.workspaceId,
    'u-',
    owners.map((x) => x.email),
  );

  if (o.salesforceUrl) {
    const sf = DEMO_INPUTS.salesforce;
    if (!(await SalesforceSandboxAdmin.orgs(o.salesforceUrl)).includes(DEMO_ORG) || !connections[sf.connection]) {
      const token = newToken(`${DEMO_ORG}!`);
      const admin = await SalesforceSandboxAdmin.createOrg(o.salesforceUrl, DEMO_ORG, token, { dailyMax: 100_000 });
      await admin.seed(DEMO_ORG_SEED);
      connections[sf.connection] = {
        crm: 'salesforce',
        accessToken: token,
        instanceUrl: o.workerSalesforceUrl ?? o.salesforceUrl,
      };
      seeded.push('salesforce');
    }
    const admin = new SalesforceSandboxAdmin(o.salesforceUrl, DEMO_ORG);
    const emails: string[] = [];
    for (const id of (await admin.ids('User')).ids) {
      const u = await admin.get('User', id);
      if (!String(u.Username).startsWith('integration@')) emails.push(String(u.Email));
    }
    await seedDemoWorkspace(o.db, sf.workspaceId, 'sf-', emails);
  }
  // Owner-only: the file holds the tokens.
  if (seeded.length) writeFileSync(o.connectionsFile, JSON.stringify(connections, null, 2), { mode: 0o600 });
  return { seeded };
}

function readConnections(file: string): Record<string, ConnectionConfig> {
  if (!existsSync(file)) return {};
  // Not JSON.parse's own error: it would quote the file's text, tokens included.
  const parsed = parseJsonQuietly(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(`connections file ${file} is not valid JSON${parsed.where}`);
  return parsed.value as Record<string, ConnectionConfig>;
}

/**
 * `node lib/src/dev/demo-setup.js`: the same, as a one-shot process (docker-compose's demo-setup
 * service). HUBSPOT_SANDBOX_URL, SALESFORCE_SANDBOX_URL, WORKER_HUBSPOT_SANDBOX_URL,
 * WORKER_SALESFORCE_SANDBOX_URL, CRM_CONNECTIONS_FILE, DATABASE_URL (or PGLITE_DATA_DIR).
 */
async function main(): Promise<void> {
  const log = createLogger();
  const connectionsFile = process.env.CRM_CONNECTIONS_FILE;
  if (!connectionsFile) throw new Error('CRM_CONNECTIONS_FILE is required');
  const db = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir: process.env.PGLITE_DATA_DIR });
  try {
    const r = await setupDemo({
      sandboxUrl: process.env.HUBSPOT_SANDBOX_URL ?? 'http://127.0.0.1:4010',
      salesforceUrl: process.env.SALESFORCE_SANDBOX_URL || undefined,
      workerSandboxUrl: process.env.WORKER_HUBSPOT_SANDBOX_URL,
      workerSalesforceUrl: process.env.WORKER_SALESFORCE_SANDBOX_URL,
      connectionsFile,
      db,
    });
    log.info(r, r.seeded.length ? `demo seeded: ${r.seeded.join(', ')}` : 'demo already in place');
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
