import { Client, Connection, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { integrationWorkflowId, parseIntegrationInput, type IntegrationInput } from '../domain/integration-input';
import type { IntegrationSettings } from '../domain/settings';
import type { CrmName } from '../domain/types';
import { integrationWorkflow } from '../workflows/integration';
import { settingsQuery, TASK_QUEUE } from '../workflows/contract';

// Re-exported so the dev launcher reaches the contract through the client: nothing but the client
// and the worker imports src/workflows (ARCHITECTURE.md, Layers).
export { TASK_QUEUE };

/** Typed helpers to start and reach integration workflows; the CLI and tests use these. */

export async function temporalClient(address: string, namespace: string): Promise<Client> {
  return new Client({ connection: await Connection.connect({ address }), namespace });
}

export async function startIntegration(client: Client, raw: unknown) {
  // The same schema the workflow applies, so a bad input is refused here with the same sentence.
  const input: IntegrationInput = parseIntegrationInput(raw);
  return client.workflow.start(integrationWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: integrationWorkflowId(input.workspaceId, input.crm),
    args: [input],
  });
}

export function integrationHandle(client: Client, workspaceId: string, crm: CrmName) {
  return client.workflow.getHandle<typeof integrationWorkflow>(integrationWorkflowId(workspaceId, crm));
}

/**
 * The integration's settings as its workflow holds them, or why they could not be read: no such
 * workflow, or no answer in time (a query needs a running worker).
 */
export async function settingsOrReason(
  client: Client,
  workspaceId: string,
  crm: CrmName,
  timeoutMs = 5_000,
): Promise<{ settings: IntegrationSettings } | { reason: string }> {
  const handle = integrationHandle(client, workspaceId, crm);
  try {
    return { settings: await client.withDeadline(Date.now() + timeoutMs, () => handle.query(settingsQuery)) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { reason: `there is no workflow ${handle.workflowId}` };
    return { reason: `${handle.workflowId} did not answer the settings query (${(err as Error).message})` };
  }
}

/** A refused update's reason, in the one sentence the workflow gave. */
export function refusalReason(err: unknown): string | undefined {
  return err instanceof WorkflowUpdateFailedError ? err.cause?.message : undefined;
}

/**
 * Resolves once a worker polls the task queue, so timings and tests start from a ready worker.
 * `alive` lets the caller give up when the worker it started has exited.
 */
export async function waitForWorker(client: Client, alive: () => boolean = () => true): Promise<void> {
  for (;;) {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: TASK_QUEUE },
      taskQueueType: 1 /* TASK_QUEUE_TYPE_WORKFLOW */,
    });
    if (pollers?.length) return;
    if (!alive()) throw new Error('the worker exited before it polled the task queue');
    await new Promise((r) => setTimeout(r, 200));
  }
}
