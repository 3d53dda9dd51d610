import type { UpdateDefinition, WorkflowHandle } from '@temporalio/client';
import { writeAndNotify, type WriteOp } from '../../src/client/workspace-writes';
import { outboxCounts } from '../../src/store/push-store';
import { errorLog, findByCrmId, pullHistory, workspaceCounts } from '../../src/store/reports';
import {
  disconnectSignal,
  pullNowUpdate,
  pushRecordsUpdate,
  reauthorizeSignal,
  retryFailedUpdate,
  settingsQuery,
  startSyncNowUpdate,
  statusQuery,
  updateSettingsUpdate,
  type IntegrationStatus,
  type Phase,
  type ReauthorizeArgs,
} from '../../src/workflows/contract';
import type { integrationWorkflow } from '../../src/workflows/integration';
import type { Harness } from './harness';
import type { Tenant } from './tenants';
import { healLostContinueAsNew } from './lost-continue-as-new';
import { waitFor } from './wait';

export type IntegrationHandle = WorkflowHandle<typeof integrationWorkflow>;
/** Long enough for a busy worker on two cores to answer; a lost query is asked again after it. */
const QUERY_DEADLINE_MS = 20_000;

type ArgOf<D> = D extends UpdateDefinition<unknown, [infer A], string> ? A : never;

/**
 * What an operator can do with a running integration, on any server: read its status, wait for it,
 * send its updates and signals. Each update keeps the workflow's own rejection (see `refusal`).
 */
export function operate(handle: IntegrationHandle) {
  // A query has no deadline of its own, and the time-skipping server can lose one for good
  // (lost-continue-as-new.ts): with a deadline it fails, the hold that fault left is released, and
  // the query is asked again.
  const query = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await handle.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, fn);
      } catch (err) {
        if (attempt === 3 || !(await healLostContinueAsNew(handle.client, handle.workflowId))) throw err;
      }
    }
  };
  const status = () => query(() => handle.query(statusQuery));
  const waitForStatus = (what: string, ok: (s: IntegrationStatus) => boolean, timeoutMs?: number) =>
    waitFor(what, status, ok, timeoutMs);
  return {
    handle,
    status,
    settings: () => query(() => handle.query(settingsQuery)),
    waitForStatus,
    waitForPhase: (phase: Phase, timeoutMs?: number) => waitForStatus(phase, (s) => s.phase === phase, timeoutMs),
    updateSettings: (patch: ArgOf<typeof updateSettingsUpdate>) =>
      handle.executeUpdate(updateSettingsUpdate, { args: [patch] }),
    pullNow: () => handle.executeUpdate(pullNowUpdate, { args: [{}] }),
    startSyncNow: () => handle.executeUpdate(startSyncNowUpdate, { args: [{}] }),
    pushRecords: (request: ArgOf<typeof pushRecordsUpdate>) =>
      handle.executeUpdate(pushRecordsUpdate, { args: [request] }),
    retryFailed: (request: ArgOf<typeof retryFailedUpdate> = {}) =>
      handle.executeUpdate(retryFailedUpdate, { args: [request] }),
    reauthorize: (args: ReauthorizeArgs = {}) => handle.signal(reauthorizeSignal, args),
    /** Ends the integration the way an operator does; resolves with the workflow's result once it has ended. */
    async disconnect() {
      await handle.signal(disconnectSignal, {});
      return handle.result();
    },
  };
}
export type IntegrationControls = ReturnType<typeof operate>;

/** A link from a workspace record to its CRM record. */
export interface CrmLink {
  crmId: string;
  /** The CRM's object type, e.g. Salesforce `Lead` or `Contact`. */
  crmObject: string;
}

/**
 * An integration on the full-stack harness: the operator's controls, plus the workspace side (writes
 * as the product makes them, the error log, CRM links, records) and the tenant's CRM side.
 */
export function workspaceIntegration<T extends Tenant>(h: Harness, tenant: T, handle: IntegrationHandle) {
  const { workspaceId, crm } = tenant;
  const linkOf = async (localId: string): Promise<CrmLink | undefined> => {
    const { rows } = await h.db.query<{ crm_id: string; crm_object: string }>(
      'SELECT crm_id, crm_object FROM crm_links WHERE workspace_id = $1 AND crm = $2 AND local_id = $3',
      [workspaceId, crm, localId],
    );
    return rows[0] && { crmId: rows[0].crm_id, crmObject: rows[0].crm_object };
  };
  const controls = operate(handle);
  return {
    ...controls,
    /**
     * No batch runs, at least one ran, and the outbox holds no due row (deferred rows, waiting out a
     * transient failure, do not count). The outbox is read from the
     * database too: right after a write, status can still show the drain before it (the workflow
     * has not handled the write's nudge yet), and only the outbox row says the write is pending.
     */
    async waitForPushDrained(timeoutMs?: number) {
      const drained = await waitFor(
        'push drained',
        async () => ({ status: await controls.status(), outbox: await outboxCounts(h.db, workspaceId, crm) }),
        ({ status: s, outbox }) =>
          !s.push.pushing && s.push.due === 0 && s.push.lastBatchAt !== null && outbox.due === 0,
        timeoutMs,
      );
      return drained.status;
    },
    tenant,
    workspaceId,
    crm,
    /** A workspace write as the product makes it: record + outbox row in one transaction, then the nudge. */
    write: (op: WriteOp, fields: unknown, opts: { id?: string; userId?: string } = {}) =>
      writeAndNotify(h.db, h.env.client, op, workspaceId, fields, opts),
    errorLog: (opts?: Parameters<typeof errorLog>[3]) => errorLog(h.db, workspaceId, crm, opts),
    /** Push errors the operator has not seen resolved yet. */
    pushErrors: async () => (await errorLog(h.db, workspaceId, crm, { jobType: 'push' })).filter((e) => !e.resolvedAt),
    linkOf,
    /** The CRM id a workspace record is linked to, if any. */
    crmIdOf: async (localId: string) => (await linkOf(localId))?.crmId,
    /** The workspace record linked to a CRM record, with its owner. */
    recordByCrmId: (kind: 'contact' | 'account', crmId: string) => findByCrmId(h.db, workspaceId, crm, kind, crmId),
    pullHistory: (limit?: number) => pullHistory(h.db, workspaceId, crm, limit),
    counts: () => workspaceCounts(h.db, workspaceId, crm),
    /**
     * The operator installs a new token under the same connection name (the CRM knows it, the
     * worker's configuration holds it); returns it. Send `reauthorize` to have the integration use it.
     */
    async rotateToken(): Promise<string> {
      const fresh = `${tenant.token}-rotated`;
      await tenant.admin.addToken(fresh);
      h.connections[tenant.connection] = { ...h.connections[tenant.connection], accessToken: fresh };
      return fresh;
    },
  };
}
export type Integration<T extends Tenant = Tenant> = ReturnType<typeof workspaceIntegration<T>>;
