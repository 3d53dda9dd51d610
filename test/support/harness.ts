import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createLogger } from '../../src/logger';
import { CrmConnections, staticConnections, type ConnectionConfig } from '../../src/crm/connections';
import { HubSpotSandboxAdmin } from '../../src/sandbox/hubspot/admin-client';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/server';
import { SalesforceSandboxAdmin } from '../../src/sandbox/salesforce/admin-client';
import type { SfSeedSpec } from '../../src/sandbox/salesforce/demo-data';
import type { OrgLimits } from '../../src/sandbox/salesforce/state';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce/server';
import { openDb, type Db } from '../../src/store/db';
import { ensureWorkspace, upsertUser } from '../../src/store/workspace-store';
import { createWorker, type WorkerDeps } from '../../src/worker';
import { refusalReason } from '../../src/client/integrations';
import { timeSkippingEnv, workflowBundle } from './temporal-env';

/** Everything a lifecycle test needs: time-skipping Temporal, both CRM sandboxes, a workspace DB, a worker. */
export interface Harness {
  env: TestWorkflowEnvironment;
  sandbox: HubSpotSandbox;
  salesforce: SalesforceSandbox;
  db: Db;
  /** Mutable: tests add connections and rotate tokens here, as an operator edits the worker's config. */
  connections: Record<string, ConnectionConfig>;
  worker: Worker;
  /** Every line the worker's logger wrote, for checks that no credential ever appears. */
  logs: string[];
  stop(): Promise<void>;
}

export async function startHarness(opts: { chunkBudgetMs?: number; interceptors?: WorkerDeps['interceptors'] } = {}): Promise<Harness> {
  const [env, sandbox, salesforce, db, bundle] = await Promise.all([timeSkippingEnv(), startHubSpotSandbox(), startSalesforceSandbox(), openDb(), workflowBundle()]);
  const connections: Record<string, ConnectionConfig> = {};
  const logs: string[] = [];
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    db,
    connections: new CrmConnections(staticConnections(connections)),
    logger: createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } }),
    workflowBundle: bundle,
    chunkBudgetMs: opts.chunkBudgetMs,
    interceptors: opts.interceptors,
  });
  const running = worker.run();
  return {
    env,
    sandbox,
    salesforce,
    db,
    connections,
    worker,
    logs,
    async stop() {
      worker.shutdown();
      await running;
      await Promise.all([env.teardown(), sandbox.close(), salesforce.close(), db.close()]);
    },
  };
}

let portalSeq = 1;
/** A fresh portal + workspace + connection, so tests in one file never share CRM data. */
export async function newTenant(h: Harness, o: { contacts?: number; companies?: number; owners?: number; permissions?: string[]; rateLimit?: { tenSecondMax?: number } } = {}) {
  const n = portalSeq++;
  const workspaceId = `ws${n}-${process.pid}`;
  const token = `pat-na1-test-${n}-${process.pid}`;
  const admin = await HubSpotSandboxAdmin.createPortal(h.sandbox.url, 100000 + n, token, o.rateLimit ?? {});
  await admin.seed({ contacts: o.contacts ?? 20, companies: o.companies ?? 5, owners: o.owners ?? 3, seed: n });
  await ensureWorkspace(h.db, workspaceId, 'paid');
  await upsertUser(h.db, { id: `${workspaceId}-admin`, workspaceId, email: `admin@${workspaceId}.example`, name: 'Admin', permissions: o.permissions ?? [] });
  const connection = `${workspaceId}-hubspot`;
  h.connections[connection] = { crm: 'hubspot', accessToken: token, baseUrl: h.sandbox.url };
  return { workspaceId, token, admin, connection, syncUserId: `${workspaceId}-admin` };
}

let orgSeq = 1;
/** A fresh Salesforce org + workspace + connection. The workspace's reps carry the org users' emails. */
export async function newSalesforceTenant(
  h: Harness,
  o: { seed?: Partial<SfSeedSpec>; permissions?: string[]; limits?: Partial<OrgLimits>; apiReservePercent?: number } = {},
) {
  const n = orgSeq++;
  const workspaceId = `sf${n}-${process.pid}`;
  const token = `00D-sf-token-${n}-${process.pid}`;
  const admin = await SalesforceSandboxAdmin.createOrg(h.salesforce.url, `00DORG${n}`, token, o.limits ?? {});
  await admin.seed({ accounts: 5, contacts: 20, leads: 10, users: 3, seed: n, ...(o.seed ?? {}) });
  await ensureWorkspace(h.db, workspaceId, 'paid');
  await upsertUser(h.db, { id: `${workspaceId}-admin`, workspaceId, email: `admin@${workspaceId}.example`, name: 'Admin', permissions: o.permissions ?? [] });
  const connection = `${workspaceId}-salesforce`;
  h.connections[connection] = { crm: 'salesforce', accessToken: token, instanceUrl: h.salesforce.url, ...(o.apiReservePercent !== undefined ? { apiReservePercent: o.apiReservePercent } : {}) };
  return { workspaceId, token, admin, connection, syncUserId: `${workspaceId}-admin` };
}

export async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch {
      // Not ready yet (e.g. the workflow has not started); try again.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}

/** The one-line reason a refused update gave (fails if the update was accepted). */
export async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const reason = refusalReason(err);
    if (reason) return reason;
    throw err;
  }
  throw new Error('the update was accepted, expected a refusal');
}
