import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import { integrationWorkflowId } from '../domain/integration-input';
import {
  pullNowUpdate,
  reconcileNowUpdate,
  pushRecordsUpdate,
  reauthorizeSignal,
  retryFailedUpdate,
  settingsQuery,
  startSyncNowUpdate,
  statusQuery,
  updateSettingsUpdate,
  type IntegrationStatus,
} from '../workflows/contract';
import type { Invocation } from './cli-commands';
import { PRINTED } from './cli-output';
import { integrationHandle, refusalReason, startIntegration, temporalClient } from './integrations';

/** A query needs a running worker; without one the server would hold it for a minute. */
const QUERY_DEADLINE_MS = 10_000;

/** The commands that talk to the integration workflow. */
export async function runTemporalCommand(config: AppConfig, inv: Invocation): Promise<unknown> {
  const client = await temporalClient(config.temporalAddress, config.namespace).catch((err: Error) => {
    throw new Error(`Temporal at ${config.temporalAddress} is not reachable (${firstLine(err)})`);
  });
  try {
    // Awaited inside the try: returning the bare promise would run `finally` first and close the
    // client under the watch loop (the old `status --watch` failure).
    return await run(client, inv);
  } catch (err) {
    throw new Error(explainFailure(err, inv, config));
  } finally {
    await client.connection.close();
  }
}

async function run(client: Client, inv: Invocation): Promise<unknown> {
  const handle = integrationHandle(client, inv.workspaceId, inv.crm);
  const query = <T>(fn: () => Promise<T>) => client.withDeadline(Date.now() + QUERY_DEADLINE_MS, fn);
  switch (inv.command) {
    case 'start': {
      const h = await startIntegration(client, {
        workspaceId: inv.workspaceId,
        crm: inv.crm,
        connection: inv.connection,
        syncUserId: inv.syncUser,
        plan: inv.plan,
      });
      console.log(`started ${h.workflowId}`);
      return PRINTED;
    }
    case 'status':
      if (!inv.watch) return query(() => handle.query(statusQuery));
      return watch(() => query(() => handle.query(statusQuery)));
    case 'pull-now':
      return handle.executeUpdate(pullNowUpdate, { args: [{}] });
    case 'reconcile':
      return handle.executeUpdate(reconcileNowUpdate, { args: [{}] });
    case 'start-sync-now':
      return handle.executeUpdate(startSyncNowUpdate, { args: [{}] });
    case 'settings':
      if (!inv.set) return query(() => handle.query(settingsQuery));
      return handle.executeUpdate(updateSettingsUpdate, { args: [inv.set] });
    case 'push':
      return handle.executeUpdate(pushRecordsUpdate, {
        args: [
          {
            objectKind: inv.kind!,
            ...(inv.all ? { all: true as const } : { ids: inv.ids }),
            ...(inv.user ? { userId: inv.user } : {}),
          },
        ],
      });
    case 'errors retry':
      return handle.executeUpdate(retryFailedUpdate, { args: [inv.ids ? { ids: inv.ids } : {}] });
    case 'reauthorize':
      // A signal to a workflow that is not there fails; one that is there is always delivered.
      await handle.signal(reauthorizeSignal, inv.connection ? { connection: inv.connection } : {});
      console.log('reauthorize sent');
      return PRINTED;
    default:
      throw new Error(`${inv.command} is not a Temporal command`);
  }
}

/** The one sentence an operator needs for what Temporal said. */
function explainFailure(err: unknown, inv: Invocation, config: AppConfig): string {
  const id = integrationWorkflowId(inv.workspaceId, inv.crm);
  const refusal = refusalReason(err);
  if (refusal) return refusal;
  if (err instanceof WorkflowNotFoundError)
    return `workspace ${inv.workspaceId} has no ${inv.crm} integration (no workflow ${id}${inv.crm === 'hubspot' ? '; for Salesforce add --crm salesforce' : ''})`;
  if (err instanceof WorkflowExecutionAlreadyStartedError)
    return `workspace ${inv.workspaceId} already has a ${inv.crm} integration (${id} is running)`;
  const e = err as Error & { code?: number; cause?: Error & { code?: number } };
  const code = e.code ?? e.cause?.code;
  if (code === 4 /* gRPC DEADLINE_EXCEEDED */)
    return `${id} did not answer within ${QUERY_DEADLINE_MS / 1000} s (is a worker running on task queue crm-sync?)`;
  if (code === 14 /* gRPC UNAVAILABLE */)
    return `Temporal at ${config.temporalAddress} is not reachable (${firstLine(e)})`;
  return firstLine(e.cause && e.message.startsWith('Unexpected error') ? e.cause : e);
}

function firstLine(err: Error): string {
  return (err.message ?? String(err)).split('\n')[0];
}

/** A progress bar while the initial pull runs, then the status once the integration settles. */
async function watch(status: () => Promise<IntegrationStatus>): Promise<IntegrationStatus> {
  for (;;) {
    const s = await status();
    const p = s.initialPull;
    if (p && !p.finished && p.total) {
      const width = 40;
      const filled = Math.min(width, Math.round((p.done / p.total) * width));
      const paused = s.pausedUntil ? ` paused until ${s.pausedUntil} (daily API allowance)` : '';
      process.stdout.write(
        `\rinitial pull [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}${paused}   `,
      );
    } else {
      const until = s.windowEndsAt && s.phase === 'configuring' ? ` until ${s.windowEndsAt}` : '';
      process.stdout.write(`\r${s.phase}${until}${' '.repeat(40)}`);
    }
    if (s.phase === 'syncing' || s.phase === 'disconnected' || s.phase === 'needsReauth') {
      process.stdout.write('\n');
      return s;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
