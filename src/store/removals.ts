import { removalObjectOf, removalOn, type RemovalSwitches, type RemovalTotals } from '../domain/removal-settings';

export type { RemovalTotals } from '../domain/removal-settings';
import type { CrmName, ObjectKind } from '../domain/types';
import type { Db, Queryable } from './db';

/** A CRM record the CRM no longer has: deleted, or merged away into `mergedInto`. */
export interface Removal {
  crmId: string;
  crmObject: string;
  removedAt: string;
  mergedInto: string | null;
}

export interface RemovalRules {
  deletion?: RemovalSwitches;
  merge?: RemovalSwitches;
}

const TABLE: Record<ObjectKind, 'contacts' | 'accounts'> = { contact: 'contacts', account: 'accounts' };

/**
 * Applies CRM removals to the workspace, in the caller's transaction (a pull page's). Per record,
 * by the setting of its object (removal-settings.ts):
 * - deleted, deletion on: the workspace record is deleted (links, outbox rows, list memberships);
 * - deleted, deletion off: it stays, unlinked, marked `crm_removed` (how: deleted);
 * - merged, merge on: it is merged into the record linked to the survivor, or, when the survivor
 *   is linked to nothing yet, relinked to the survivor's CRM id;
 * - merged, merge off: it stays, unlinked, marked `crm_removed` (how: merged, mergedInto).
 * A removal of a CRM id linked to nothing (never pulled, or already handled) changes nothing, so a
 * removal listed twice counts once. Nothing here writes to the outbox: the CRM side is done already.
 * Returns the records whose duplicate flags may have changed.
 */
export async function applyRemovals(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  kind: ObjectKind,
  removals: readonly Removal[],
  rules: RemovalRules,
): Promise<{ counts: RemovalTotals; touched: string[] }> {
  const counts: RemovalTotals = { deleted: 0, unlinked: 0, merged: 0 };
  const touched: string[] = [];
  for (const r of removals) {
    const link = await linkOf(tx, workspaceId, crm, kind, r.crmId);
    if (!link) continue;
    const object = removalObjectOf(crm, link.crm_object);
    if (r.mergedInto === null) {
      if (removalOn(rules.deletion, object)) {
        await deleteRecord(tx, workspaceId, kind, link.local_id);
        counts.deleted++;
      } else {
        await unlinkAndMark(tx, workspaceId, crm, kind, link.local_id, r, 'deleted');
        counts.unlinked++;
        touched.push(link.local_id);
      }
      continue;
    }
    if (!removalOn(rules.merge, object)) {
      await unlinkAndMark(tx, workspaceId, crm, kind, link.local_id, r, 'merged');
      counts.unlinked++;
      touched.push(link.local_id);
      continue;
    }
    const survivor = await linkOf(tx, workspaceId, crm, kind, r.mergedInto);
    if (!survivor) {
      // The survivor is linked to nothing yet: this record lives on under its CRM id.
      await tx.query(
        `UPDATE crm_links SET crm_id = $5 WHERE workspace_id = $1 AND crm = $2 AND object_kind = $3 AND crm_id = $4`,
        [workspaceId, crm, kind, r.crmId, r.mergedInto],
      );
      touched.push(link.local_id);
    } else if (survivor.local_id !== link.local_id) {
      await mergeRecords(tx, workspaceId, kind, survivor.local_id, link.local_id);
      touched.push(survivor.local_id);
    }
    counts.merged++;
  }
  if (counts.deleted + counts.unlinked + counts.merged)
    await tx.query(
      `INSERT INTO removal_counts (workspace_id, crm, deleted, unlinked, merged) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workspace_id, crm) DO UPDATE SET deleted = removal_counts.deleted + $3,
         unlinked = removal_counts.unlinked + $4, merged = removal_counts.merged + $5`,
      [workspaceId, crm, counts.deleted, counts.unlinked, counts.merged],
    );
  return { counts, touched };
}

export async function removalTotals(db: Queryable, workspaceId: string, crm: CrmName): Promise<RemovalTotals> {
  const { rows } = await db.query<RemovalTotals>(
    'SELECT deleted, unlinked, merged FROM removal_counts WHERE workspace_id = $1 AND crm = $2',
    [workspaceId, crm],
  );
  return rows[0] ?? { deleted: 0, unlinked: 0, merged: 0 };
}

async function linkOf(tx: Queryable, workspaceId: string, crm: CrmName, kind: ObjectKind, crmId: string) {
  const { rows } = await tx.query<{ local_id: string; crm_object: string }>(
    'SELECT local_id, crm_object FROM crm_links WHERE workspace_id = $1 AND crm = $2 AND object_kind = $3 AND crm_id = $4',
    [workspaceId, crm, kind, crmId],
  );
  return rows[0];
}

/** A workspace record and everything that points at it; an account's contacts keep living without it. */
export async function deleteRecord(tx: Queryable, workspaceId: string, kind: ObjectKind, localId: string) {
  if (kind === 'account')
    await tx.query('UPDATE contacts SET account_id = NULL WHERE workspace_id = $1 AND account_id = $2', [
      workspaceId,
      localId,
    ]);
  for (const table of ['crm_links', 'push_outbox'])
    await tx.query(`DELETE FROM ${table} WHERE workspace_id = $1 AND object_kind = $2 AND local_id = $3`, [
      workspaceId,
      kind,
      localId,
    ]);
  await tx.query('DELETE FROM list_members WHERE workspace_id = $1 AND local_id = $2', [workspaceId, localId]);
  await tx.query(`DELETE FROM ${TABLE[kind]} WHERE workspace_id = $1 AND id = $2`, [workspaceId, localId]);
}

async function unlinkAndMark(
  tx: Queryable,
  workspaceId: string,
  crm: CrmName,
  kind: ObjectKind,
  localId: string,
  r: Removal,
  how: 'deleted' | 'merged',
) {
  await tx.query('DELETE FROM crm_links WHERE workspace_id = $1 AND crm = $2 AND object_kind = $3 AND local_id = $4', [
    workspaceId,
    crm,
    kind,
    localId,
  ]);
  // Nothing left to push it to: an edit made before the removal must not create it again.
  await tx.query(
    'DELETE FROM push_outbox WHERE workspace_id = $1 AND crm = $2 AND object_kind = $3 AND local_id = $4',
    [workspaceId, crm, kind, localId],
  );
  const mark = { crm, how, crmId: r.crmId, mergedInto: r.mergedInto, at: r.removedAt };
  await tx.query(
    `UPDATE ${TABLE[kind]} SET crm_removed = $3::jsonb, potential_duplicate = false WHERE workspace_id = $1 AND id = $2`,
    [workspaceId, localId, JSON.stringify(mark)],
  );
}

/**
 * Folds `dropId` into `keepId`: the kept record's values stand, its empty fields take the dropped
 * one's (the survivor's CRM values arrive with the pull of the survivor itself, by the ownership
 * rules); list memberships and an account's contacts move over; the dropped record goes.
 */
export async function mergeRecords(
  tx: Queryable,
  workspaceId: string,
  kind: ObjectKind,
  keepId: string,
  dropId: string,
) {
  const columns =
    kind === 'contact'
      ? ['email', 'first_name', 'last_name', 'title', 'phone', 'stage', 'email_status', 'account_id', 'owner_user_id']
      : ['name', 'domain', 'phone', 'industry', 'stage', 'owner_user_id'];
  const table = TABLE[kind];
  await tx.query(
    `UPDATE ${table} k SET ${columns.map((c) => `${c} = COALESCE(k.${c}, d.${c})`).join(', ')},
       custom = d.custom || k.custom, updated_at = now()
       FROM ${table} d WHERE k.workspace_id = $1 AND k.id = $2 AND d.workspace_id = $1 AND d.id = $3`,
    [workspaceId, keepId, dropId],
  );
  if (kind === 'account')
    await tx.query('UPDATE contacts SET account_id = $2 WHERE workspace_id = $1 AND account_id = $3', [
      workspaceId,
      keepId,
      dropId,
    ]);
  await tx.query(
    `INSERT INTO list_members (workspace_id, list_id, local_id, added_at)
       SELECT workspace_id, list_id, $2, added_at FROM list_members WHERE workspace_id = $1 AND local_id = $3
     ON CONFLICT DO NOTHING`,
    [workspaceId, keepId, dropId],
  );
  await deleteRecord(tx, workspaceId, kind, dropId);
}
