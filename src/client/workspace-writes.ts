import type { Client } from '@temporalio/client';
import type { WriteKind } from '../domain/field-ownership';
import type { CrmName, ObjectKind } from '../domain/types';
import type { Db, Queryable } from '../store/db';
import { claimWakeups, releaseWakeup } from '../store/push-wakeups';
import { deleteWorkspaceRecord, type DeleteResult } from '../store/workspace-removals';
import { addAccount, addContact, updateAccount, updateContact, type WriteResult } from '../store/workspace-writes';
import { pushPendingSignal } from '../workflows/contract';
import { integrationHandle } from './integrations';

/**
 * A workspace write as the product makes it: the store writes the record and its outbox rows in one
 * transaction, then each connected integration is told, so the push starts within seconds. A signal
 * that cannot be delivered (worker or server down) loses nothing: the workflow's sweep finds the row.
 */
export type WriteOp = 'contacts add' | 'contacts update' | 'accounts add' | 'accounts update';

export async function writeAndNotify(
  db: Db,
  client: Client | null,
  op: WriteOp,
  workspaceId: string,
  fields: unknown,
  opts: { id?: string; userId?: string | null; kind?: WriteKind } = {},
): Promise<WriteResult> {
  const by = opts.userId ?? null;
  // A user's edit unless told otherwise: enrichment updates follow auto-fill / auto-overwrite.
  const kind = opts.kind ?? 'manual';
  const result = await (op === 'contacts add'
    ? addContact(db, workspaceId, fields, by, kind)
    : op === 'accounts add'
      ? addAccount(db, workspaceId, fields, by, kind)
      : op === 'contacts update'
        ? updateContact(db, workspaceId, requireId(opts.id), fields, by, kind)
        : updateAccount(db, workspaceId, requireId(opts.id), fields, by, kind));
  if (client) await notifyIntegrations(client, db, workspaceId, result.crms);
  return result;
}

/**
 * Signals the integrations whose outbox got rows, after the rows committed: each one only if it has
 * looked at its outbox since the last signal (store/push-wakeups.ts), so a burst of writes before
 * the initial pull ends adds one event to its history, not one per write.
 */
export async function notifyIntegrations(
  client: Client,
  db: Queryable,
  workspaceId: string,
  crms: readonly CrmName[],
): Promise<void> {
  const wake = await claimWakeups(db, workspaceId, crms);
  await Promise.all(
    wake.map((crm) =>
      integrationHandle(client, workspaceId, crm)
        .signal(pushPendingSignal, {})
        .catch(() => releaseWakeup(db, workspaceId, crm)),
    ),
  );
}

/** A workspace deletion: the record goes at once; its CRM records are the push's (store/workspace-removals.ts). */
export async function deleteAndNotify(
  db: Db,
  client: Client | null,
  kind: ObjectKind,
  workspaceId: string,
  id: string,
): Promise<DeleteResult> {
  const result = await deleteWorkspaceRecord(db, workspaceId, kind, id);
  if (client) await notifyIntegrations(client, db, workspaceId, result.crms);
  return result;
}

function requireId(id: string | undefined): string {
  if (!id) throw new Error('an update needs the record id');
  return id;
}
