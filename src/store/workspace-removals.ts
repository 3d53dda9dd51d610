import { z } from 'zod';
import type { CrmName, ObjectKind } from '../domain/types';
import type { Db, Queryable } from './db';
import { flagDuplicates } from './pull-store';
import { deleteRecord, mergeRecords } from './removals';
import { existing } from './workspace-writes';

/**
 * The workspace's own deletions and merges (seed 001 deletion sync, seed 003 "Mind the Merge"), each
 * in one transaction. A deletion leaves a 'delete' outbox row per CRM the record was linked to: the
 * push deletes the CRM record if deletion sync is on for its object, and drops the row if it is off
 * (the settings live with the integration, so the push decides). A merge is never synced: the kept
 * record stays linked, the dropped one goes with its links, and the CRM keeps both records.
 */

const TABLE: Record<ObjectKind, 'contacts' | 'accounts'> = { contact: 'contacts', account: 'accounts' };
const KEY: Record<ObjectKind, string> = { contact: 'email_key', account: 'domain_key' };

export interface DeleteResult {
  id: string;
  deleted: true;
  /** The CRMs whose outbox got a delete row: the integrations to nudge. */
  crms: CrmName[];
}

export async function deleteWorkspaceRecord(
  db: Db,
  workspaceId: string,
  kind: ObjectKind,
  id: string,
): Promise<DeleteResult> {
  return db.transaction(async (tx) => {
    const localId = await existing(tx, kind, workspaceId, id);
    const { rows: links } = await tx.query<{ crm: CrmName; crm_id: string; crm_object: string }>(
      `SELECT l.crm, l.crm_id, l.crm_object FROM crm_links l
         JOIN integrations i ON i.workspace_id = l.workspace_id AND i.crm = l.crm
        WHERE l.workspace_id = $1 AND l.object_kind = $2 AND l.local_id = $3`,
      [workspaceId, kind, localId],
    );
    const sameKey = await sharingKey(tx, workspaceId, kind, localId);
    // A batch may be pushing the record's upsert row right now: the delete row takes the next
    // version, so that batch's commit (which removes only the version it loaded) leaves it.
    const { rows: queued } = await tx.query<{ crm: CrmName; seq: string }>(
      'SELECT crm, seq FROM push_outbox WHERE workspace_id = $1 AND object_kind = $2 AND local_id = $3',
      [workspaceId, kind, localId],
    );
    const seqOf = new Map(queued.map((q) => [q.crm, Number(q.seq)]));
    // Its push errors name a record that is gone: nothing is left to fix or retry.
    await tx.query(
      `UPDATE error_log SET resolved_at = now() WHERE workspace_id = $1 AND job_type = 'push' AND object_kind = $2
          AND local_id = $3 AND resolved_at IS NULL`,
      [workspaceId, kind, localId],
    );
    await deleteRecord(tx, workspaceId, kind, localId);
    for (const l of links)
      await tx.query(
        `INSERT INTO push_outbox (workspace_id, crm, object_kind, local_id, op, crm_id, crm_object, seq)
         VALUES ($1, $2, $3, $4, 'delete', $5, $6, $7)`,
        [workspaceId, l.crm, kind, localId, l.crm_id, l.crm_object, (seqOf.get(l.crm) ?? 0) + 1],
      );
    if (sameKey.length) await flagDuplicates(tx, workspaceId, kind, sameKey);
    return { id: localId, deleted: true, crms: [...new Set(links.map((l) => l.crm))] };
  });
}

export interface MergeResult {
  kept: string;
  dropped: string;
}

/** Folds `dropId` into `keepId` (store/removals.ts mergeRecords). Refuses unknown ids, one id twice, two kinds. */
export async function mergeWorkspaceRecords(
  db: Db,
  workspaceId: string,
  kind: ObjectKind,
  keepId: string,
  dropId: string,
): Promise<MergeResult> {
  for (const id of [keepId, dropId])
    if (!z.string().uuid().safeParse(id).success) throw new Error(`invalid ${kind} id "${id}"`);
  if (keepId.toLowerCase() === dropId.toLowerCase())
    throw new Error(`${article(kind)} cannot be merged into itself (${keepId} was given twice)`);
  return db.transaction(async (tx) => {
    for (const id of [keepId, dropId]) await mustBe(tx, workspaceId, kind, id);
    const sameKey = await sharingKey(tx, workspaceId, kind, dropId);
    await tx.query(
      `UPDATE error_log SET resolved_at = now() WHERE workspace_id = $1 AND job_type = 'push' AND object_kind = $2
          AND local_id = $3 AND resolved_at IS NULL`,
      [workspaceId, kind, dropId],
    );
    await mergeRecords(tx, workspaceId, kind, keepId, dropId);
    await flagDuplicates(tx, workspaceId, kind, [keepId, ...sameKey.filter((id) => id !== keepId)]);
    return { kept: keepId, dropped: dropId };
  });
}

/** The record, or a sentence saying it is the other kind or not there at all. */
async function mustBe(tx: Queryable, workspaceId: string, kind: ObjectKind, id: string): Promise<void> {
  const { rows } = await tx.query<{ contact: boolean; account: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM contacts WHERE workspace_id = $1 AND id = $2) AS contact,
            EXISTS (SELECT 1 FROM accounts WHERE workspace_id = $1 AND id = $2) AS account`,
    [workspaceId, id],
  );
  if (rows[0][kind]) return;
  const other: ObjectKind = kind === 'contact' ? 'account' : 'contact';
  if (rows[0][other])
    throw new Error(`${id} is ${article(other)}, not ${article(kind)}: only two ${kind}s can be merged`);
  throw new Error(`no ${kind} ${id} in workspace ${workspaceId}`);
}

const article = (kind: ObjectKind) => (kind === 'account' ? 'an account' : 'a contact');

/** The other records with this record's email (contacts) or domain (accounts): their duplicate flags may change. */
async function sharingKey(tx: Queryable, workspaceId: string, kind: ObjectKind, id: string): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT o.id FROM ${TABLE[kind]} t JOIN ${TABLE[kind]} o ON o.workspace_id = t.workspace_id AND o.${KEY[kind]} = t.${KEY[kind]}
      WHERE t.workspace_id = $1 AND t.id = $2 AND o.id <> t.id`,
    [workspaceId, id],
  );
  return rows.map((r) => r.id);
}
