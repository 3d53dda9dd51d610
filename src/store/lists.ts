import { z } from 'zod';
import { listId } from '../domain/push-settings';
import { parseOrThrow } from '../domain/settings';
import { OBJECT_KINDS, type CrmName, type ObjectKind } from '../domain/types';
import type { Db, Queryable } from './db';
import { enqueuePush } from './workspace-writes';

/**
 * Workspace lists: named sets of contacts or accounts, managed from the CLI. A push scope names
 * lists (push.scope.lists); only their members are pushed as net-new records (push-conditions.ts).
 * Adding members puts them in the outbox, so a record left out by the scope goes once it joins.
 */

export interface WorkspaceList {
  id: string;
  name: string;
  kind: ObjectKind;
  members: number;
}

const newList = z
  .object({
    name: z.string().trim().min(1, 'name must not be empty').max(100, 'name must be at most 100 characters'),
    kind: z.enum(OBJECT_KINDS, { errorMap: () => ({ message: 'kind must be contact or account' }) }),
  })
  .strict();

const recordIds = z
  .array(z.string().uuid('must be a workspace record id'))
  .min(1, 'name at least one record')
  .max(10_000, 'at most 10,000 records at a time');

const TABLE: Record<ObjectKind, string> = { contact: 'contacts', account: 'accounts' };

/** The id a list gets from its name: "MQL ready" -> "mql-ready". */
export function listIdOf(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents, split off by NFKD
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}

export async function createList(db: Db, workspaceId: string, input: unknown): Promise<WorkspaceList> {
  const { name, kind } = parseOrThrow(newList, input, 'list');
  const id = listIdOf(name);
  if (!listId.safeParse(id).success) throw new Error(`invalid list: the name "${name}" has no letter or digit`);
  return db.transaction(async (tx) => {
    await requireWorkspace(tx, workspaceId);
    const { rows } = await tx.query(
      `INSERT INTO lists (workspace_id, id, name, kind) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id`,
      [workspaceId, id, name, kind],
    );
    if (!rows.length) throw new Error(`workspace ${workspaceId} already has a list "${id}"`);
    return { id, name, kind, members: 0 };
  });
}

/** Every list of the workspace with its member count. */
export async function listLists(db: Queryable, workspaceId: string): Promise<WorkspaceList[]> {
  await requireWorkspace(db, workspaceId);
  const { rows } = await db.query<{ id: string; name: string; kind: ObjectKind; members: number }>(
    `SELECT l.id, l.name, l.kind, count(m.local_id)::int AS members FROM lists l
       LEFT JOIN list_members m ON m.workspace_id = l.workspace_id AND m.list_id = l.id
      WHERE l.workspace_id = $1 GROUP BY l.id, l.name, l.kind ORDER BY l.id`,
    [workspaceId],
  );
  return rows.map((r) => ({ ...r, members: Number(r.members) }));
}

/**
 * Adds records of the list's kind; all or none (one that is not in the workspace refuses the lot).
 * The new members go to the outbox in the same transaction: `crms` are the integrations to nudge.
 */
export async function addMembers(
  db: Db,
  workspaceId: string,
  list: string,
  ids: unknown,
): Promise<{ added: number; crms: CrmName[] }> {
  const wanted = [...new Set(parseOrThrow(recordIds, ids, 'list members'))];
  return db.transaction(async (tx) => {
    const { kind } = await requireList(tx, workspaceId, list);
    const { rows: found } = await tx.query<{ id: string }>(
      `SELECT id FROM ${TABLE[kind]} WHERE workspace_id = $1 AND id = ANY($2::uuid[])`,
      [workspaceId, wanted],
    );
    const have = new Set(found.map((r) => r.id));
    const missing = wanted.filter((id) => !have.has(id));
    if (missing.length)
      throw new Error(
        `no ${kind} ${missing[0]} in workspace ${workspaceId}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}; nothing was added`,
      );
    const { rows: added } = await tx.query<{ local_id: string }>(
      `INSERT INTO list_members (workspace_id, list_id, local_id) SELECT $1, $2, u.id FROM unnest($3::uuid[]) AS u(id)
       ON CONFLICT DO NOTHING RETURNING local_id`,
      [workspaceId, list, wanted],
    );
    const addedIds = added.map((r) => r.local_id);
    const crms = addedIds.length ? await enqueuePush(tx, workspaceId, kind, addedIds) : [];
    return { added: addedIds.length, crms };
  });
}

export async function removeMembers(
  db: Db,
  workspaceId: string,
  list: string,
  ids: unknown,
): Promise<{ removed: number }> {
  const wanted = [...new Set(parseOrThrow(recordIds, ids, 'list members'))];
  return db.transaction(async (tx) => {
    await requireList(tx, workspaceId, list);
    const { affectedRows } = await tx.query(
      'DELETE FROM list_members WHERE workspace_id = $1 AND list_id = $2 AND local_id = ANY($3::uuid[])',
      [workspaceId, list, wanted],
    );
    return { removed: affectedRows };
  });
}

/** Deletes the list and its memberships (not the records). A scope naming it then treats it as empty. */
export async function deleteList(db: Db, workspaceId: string, list: string): Promise<WorkspaceList> {
  return db.transaction(async (tx) => {
    const found = await requireList(tx, workspaceId, list);
    const { affectedRows } = await tx.query('DELETE FROM list_members WHERE workspace_id = $1 AND list_id = $2', [
      workspaceId,
      list,
    ]);
    await tx.query('DELETE FROM lists WHERE workspace_id = $1 AND id = $2', [workspaceId, list]);
    return { ...found, members: affectedRows };
  });
}

/** For the push: the lists of this kind each of these records is in (records in none are left out). */
export async function listsOf(
  db: Queryable,
  workspaceId: string,
  kind: ObjectKind,
  localIds: string[],
): Promise<Map<string, string[]>> {
  if (!localIds.length) return new Map();
  const { rows } = await db.query<{ local_id: string; lists: string[] }>(
    `SELECT m.local_id, array_agg(m.list_id ORDER BY m.list_id) AS lists FROM list_members m
       JOIN lists l ON l.workspace_id = m.workspace_id AND l.id = m.list_id
      WHERE m.workspace_id = $1 AND l.kind = $2 AND m.local_id = ANY($3::uuid[]) GROUP BY m.local_id`,
    [workspaceId, kind, localIds],
  );
  return new Map(rows.map((r) => [r.local_id, r.lists]));
}

async function requireWorkspace(db: Queryable, workspaceId: string): Promise<void> {
  const { rows } = await db.query('SELECT 1 FROM workspaces WHERE id = $1', [workspaceId]);
  if (!rows.length) throw new Error(`no workspace ${workspaceId}`);
}

async function requireList(db: Queryable, workspaceId: string, list: string): Promise<Omit<WorkspaceList, 'members'>> {
  await requireWorkspace(db, workspaceId);
  const { rows } = await db.query<{ id: string; name: string; kind: ObjectKind }>(
    'SELECT id, name, kind FROM lists WHERE workspace_id = $1 AND id = $2 FOR UPDATE',
    [workspaceId, list],
  );
  if (!rows[0]) throw new Error(`workspace ${workspaceId} has no list "${list}"`);
  return rows[0];
}
