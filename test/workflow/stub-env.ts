import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { integrationWorkflowId } from '../../src/domain/integration-input';
import type { CrmName } from '../../src/domain/types';
import { TASK_QUEUE } from '../../src/workflows/contract';
import { integrationWorkflow } from '../../src/workflows/integration';
import { timeSkippingEnv, workflowBundle } from '../support/temporal-env';
import { historyToObject, writeHistoryFile, type HistoryFile } from '../replay/history-files';
import { operate, type IntegrationControls } from '../support/integration';
import { resultFromLatestRun } from '../support/lost-continue-as-new';
import { ROOT } from '../support/tools';
import { createStubActivities, newStubCrm, type StubCrm } from './stub-activities';

/**
 * The workflow tier: the real workflow code on the time-skipping server, with stub activities, so a
 * lifecycle path (window, reauth, a day of pulls) runs in a second or two. Each integration gets its
 * own workspace and stub CRM.
 */
export interface StubEnv {
  env: TestWorkflowEnvironment;
  client: Client;
  world: Map<string, StubCrm>;
  start(o?: {
    plan?: 'free' | 'paid';
    crm?: CrmName;
    stub?: Partial<StubCrm>;
    settings?: Record<string, unknown>;
  }): Promise<StubIntegration>;
  stop(): Promise<void>;
}

/** The operator's controls of test/support (status, waits, updates, signals) and the stub CRM behind it. */
export type StubIntegration = IntegrationControls & {
  workspaceId: string;
  crm: StubCrm;
  handle: WorkflowHandleWithFirstExecutionRunId<typeof integrationWorkflow>;
};

let seq = 0;

// Activity failures are the point of several tests here; the SDK would log each at WARN.
Runtime.install({ logger: new DefaultLogger('ERROR') });

export async function startStubEnv(): Promise<StubEnv> {
  const [env, bundle] = await Promise.all([timeSkippingEnv(), workflowBundle()]);
  const world = new Map<string, StubCrm>();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: bundle,
    activities: createStubActivities(world),
  });
  const running = worker.run();
  return {
    env,
    client: env.client,
    world,
    async start(o = {}) {
      const crmName = o.crm ?? 'hubspot';
      const workspaceId = `stub${++seq}-${process.pid}`;
      const crm = newStubCrm(o.stub);
      world.set(workspaceId, crm);
      const started = await env.client.workflow.start(integrationWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: integrationWorkflowId(workspaceId, crmName),
        args: [
          {
            workspaceId,
            crm: crmName,
            connection: `${workspaceId}-conn`,
            syncUserId: 'u-admin',
            plan: o.plan ?? 'free',
            ...(o.settings ? { settings: o.settings } : {}),
          },
        ],
      });
      const handle = resultFromLatestRun(env.client.workflow, started);
      return { ...operate(handle), handle, workspaceId, crm };
    },
    async stop() {
      worker.shutdown();
      // A test that failed mid-way can leave the worker waiting on the server: give up after 10 s so
      // the failure is reported instead of a hang.
      await Promise.race([running, new Promise((r) => setTimeout(r, 10_000).unref())]);
      await env.teardown();
    },
  };
}

/** Where committed histories live; `RECORD_HISTORIES=1 npm test -- workflow` (re)writes them. */
export const HISTORIES_DIR = join(ROOT, 'test/histories');

/**
 * With RECORD_HISTORIES=1, writes the histories of an integration, every run it continued as, and
 * (up to `maxChildren`) its pull children, as one file the replay test replays.
 */
export async function recordHistories(
  client: Client,
  handle: { workflowId: string; firstExecutionRunId: string },
  name: string,
  maxChildren = 2,
): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const out: HistoryFile['histories'] = [];
  let children = 0;
  const visit = async (workflowId: string, runId: string | undefined) => {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    out.push({ workflowId, history: historyToObject(history) });
    for (const e of history.events ?? []) {
      const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId && children < maxChildren) {
        children++;
        await visit(child.workflowId, child.runId ?? undefined);
      }
      const next = e.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (next) await visit(workflowId, next);
    }
  };
  await visit(handle.workflowId, handle.firstExecutionRunId);
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeHistoryFile(join(HISTORIES_DIR, `${name}.json`), {
    recordedWith: process.env.RECORD_HISTORIES_NOTE ?? null,
    histories: out,
  });
}
