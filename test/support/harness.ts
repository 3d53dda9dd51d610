import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createLogger } from '../../src/logger';
import { CrmConnections, staticConnections, type ConnectionConfig } from '../../src/crm/connections';
import { integrationWorkflowId } from '../../src/domain/integration-input';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/server';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce/server';
import { openDb, type Db } from '../../src/store/db';
import { createWorker, type WorkerDeps } from '../../src/worker';
import { TASK_QUEUE, type Phase } from '../../src/workflows/contract';
import { integrationWorkflow } from '../../src/workflows/integration';
import { workspaceIntegration, type Integration } from './integration';
import { resultFromLatestRun } from './lost-continue-as-new';
import { timeSkippingEnv, workflowBundle } from './temporal-env';
import type { Tenant } from './tenants';

/**
 * The full-stack harness of the lifecycle tests: time-skipping Temporal, both CRM sandboxes, a
 * workspace database and the real worker with its real activities, all in the test process.
 *
 *   const h = await startHarness();
 *   const t = await newTenant(h);                                   // or newSalesforceTenant(h)
 *   const x = await h.integration(t, { plan: 'free', until: 'syncing' });
 *   await x.write('contacts add', { email: 'ann@newco.example' });
 *   await x.waitForPushDrained();
 *   assert.ok(await x.crmIdOf(id));
 *   await x.disconnect();
 */
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
  /**
   * Starts the tenant's integration workflow, as the UI's Start Workflow form does, and (with
   * `until`) waits for it to reach that phase.
   */
  integration<T extends Tenant>(tenant: T, opts?: IntegrationOptions): Promise<Integration<T>>;
  stop(): Promise<void>;
}

export interface IntegrationOptions {
  /** `paid` opens the 6-hour configuration window; `free` (the default) starts the initial pull at once. */
  plan?: 'free' | 'paid';
  /** A phase to wait for before returning. */
  until?: Phase;
  /** How long to wait for `until` (default 60 s). */
  timeoutMs?: number;
}

export async function startHarness(
  opts: { chunkBudgetMs?: number; manualPushBudgetMs?: number; interceptors?: WorkerDeps['interceptors'] } = {},
): Promise<Harness> {
  const [env, sandbox, salesforce, db, bundle] = await Promise.all([
    timeSkippingEnv(),
    startHubSpotSandbox(),
    startSalesforceSandbox(),
    openDb(),
    workflowBundle(),
  ]);
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
    manualPushBudgetMs: opts.manualPushBudgetMs,
    interceptors: opts.interceptors,
  });
  const running = worker.run();
  const h: Harness = {
    env,
    sandbox,
    salesforce,
    db,
    connections,
    worker,
    logs,
    async integration(tenant, o = {}) {
      const started = await env.client.workflow.start(integrationWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: integrationWorkflowId(tenant.workspaceId, tenant.crm),
        args: [
          {
            workspaceId: tenant.workspaceId,
            crm: tenant.crm,
            connection: tenant.connection,
            syncUserId: tenant.syncUserId,
            plan: o.plan ?? 'free',
          },
        ],
      });
      const handle = resultFromLatestRun(env.client.workflow, started);
      const x = workspaceIntegration(h, tenant, handle);
      if (o.until) await x.waitForPhase(o.until, o.timeoutMs);
      return x;
    },
    async stop() {
      worker.shutdown();
      await running;
      await Promise.all([env.teardown(), sandbox.close(), salesforce.close(), db.close()]);
    },
  };
  return h;
}

export { newSalesforceTenant, newTenant, type HubSpotTenant, type SalesforceTenant, type Tenant } from './tenants';
export {
  operate,
  type CrmLink,
  type Integration,
  type IntegrationControls,
  type IntegrationHandle,
} from './integration';
export { refusal, waitFor } from './wait';
