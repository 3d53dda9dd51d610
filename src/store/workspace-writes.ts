import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { enrichmentMayWrite, type FieldSync, type WorkspaceChange, type WriteKind } from '../domain/field-ownership';
import { EMAIL_STATUSES } from '../domain/push-settings';
import { parseOrThrow } from '../domain/settings';
import type { CrmName, ObjectKind } from '../domain/types';
import type { Db, Queryable } from './db';

/**
 * The workspace's own writes to contacts and accounts (not the pull's). Each writes the record and
 * one outbox row per connected CRM in the SAME transaction (transactional outbox), so a push can
 * never miss a write, whatever crashes. Callers then nudge the integrations (src/client).
 */

const text = z.string().trim().min(1).max(500).nullable();
const custom = z.record(
  z.string().regex(/^[A-Za-z0-9_]+$/, 'custom field names are letters, digits and "_"'),
  z.string().max(2000).nullable(),
);

/** An email address as the workspace takes it; the pull refuses CRM emails that fail it (seed 000 step 2). */
const emailAddress = z.string().trim().email('must be an email address').max(254);
export const isValidEmail = (value: string): boolean => emailAddress.safeParse(value).success;

export const contactFields = z
  .object({
    email: emailAddress.nullable(),
    first_name: text,
    last_name: text,
    title: text,
    phone: text,
    stage: text,
    lead_status: text,
    email_status: z.enum(EMAIL_STATUSES).nullable(),
    account_id: z.string().uuid('must be a workspace account id').nullable(),
    custom,
  })
  .partial()
  .strict();
export type ContactFields = z.infer<typeof contactFields>;

export const accountFields = z
  .object({
    name: text,
    domain: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must look like example.com')
      .nullable(),
    phone: text,
    industry: text,
    stage: text,
    custom,
  })
  .partial()
  .strict();
export type AccountFields = z.infer<typeof accountFields>;

export interface WriteResult {
  id: string;
  /** False when `add` found the record already there (contacts: same email) and updated it. */
  created: boolean;
  /** The CRMs whose outbox got a row: the integrations to nudge. */
  crms: CrmName[];
}

const TABLE: Record<ObjectKind, string> = { contact: 'contacts', account: 'accounts' };

export async function addContact(
  db: Db,
  workspaceId: string,
  input: unknown,
  byUserId: string | null = null,
  kind: WriteKind = 'manual',
): Promise<WriteResult> {
  const fields = parseOrThrow(contactFields, input, 'contact');
  return db.transaction(async (tx) => {
    // One person, one workspace record: adding an email the workspace already has updates that record
    // (seed 000, step 5: a CRM contact test@example.com and the same email added here end as one).
    if (fields.email) {
      const { rows } = await tx.query<{ id: string }>(
        'SELECT id FROM contacts WHERE workspace_id = $1 AND email_key = lower(btrim($2)) ORDER BY created_at LIMIT 1',
        [workspaceId, fields.email],
      );
      if (rows[0]) return write(tx, 'contact', workspaceId, rows[0].id, fields, false, byUserId, kind);
    }
    return write(tx, 'contact', workspaceId, randomUUID(), fields, true, byUserId, kind);
  });
}

export async function updateContact(
  db: Db,
  workspaceId: string,
  id: string,
  input: unknown,
  byUserId: string | null = null,
  kind: WriteKind = 'manual',
): Promise<WriteResult> {
  const fields = parseOrThrow(contactFields, input, 'contact');
  return db.transaction(async (tx) =>
    write(tx, 'contact', workspaceId, await existing(tx, 'contact', workspaceId, id), fields, false, byUserId, kind),
  );
}

export async function addAccount(
  db: Db,
  workspaceId: string,
  input: unknown,
  byUserId: string | null = null,
  kind: WriteKind = 'manual',
): Promise<WriteResult> {
  const fields = parseOrThrow(accountFields, input, 'account');
  return db.transaction(async (tx) => write(tx, 'account', workspaceId, randomUUID(), fields, true, byUserId, kind));
}

export async function updateAccount(
  db: Db,
  workspaceId: string,
  id: string,
  input: unknown,
  byUserId: string | null = null,
  kind: WriteKind = 'manual',
): Promise<WriteResult> {
  const fields = parseOrThrow(accountFields, input, 'account');
  return db.transaction(async (tx) =>
    write(tx, 'account', workspaceId, await existing(tx, 'account', workspaceId, id), fields, false, byUserId, kind),
  );
}

export async function existing(tx: Queryable, kind: ObjectKind, workspaceId: string, id: string): Promise<string> {
  if (!z.string().uuid().safeParse(id).success) throw new Error(`invalid ${kind} id "${id}"`);
  const { rows } = await tx.query<{ id: string }>(`SELECT id FROM ${TABLE[kind]} WHERE workspace_id = $1 AND id = $2`, [
    workspaceId,
    id,
  ]);
  if (!rows[0]) throw new Error(`no ${kind} ${id} in workspace ${workspaceId}`);
  return rows[0].id;
}

async function write(
  tx: Queryable,
  kind: ObjectKind,
  workspaceId: string,
  id: string,
  fields: ContactFields | AccountFields,
  create: boolean,
  byUserId: string | null,
  writeKind: WriteKind,
): Promise<WriteResult> {
  const { custom: customValues, ...columns } = fields as Record<string, unknown> & {
    custom?: Record<string, string | null>;
  };
  const table = TABLE[kind];
  if (writeKind === 'enrichment' && !create) await keepManualEdits(tx, table, workspaceId, id, columns, customValues);
  if (kind === 'contact' && columns.account_id) {
    const { rows } = await tx.query('SELECT 1 FROM accounts WHERE workspace_id = $1 AND id = $2', [
      workspaceId,
      columns.account_id,
    ]);
    if (!rows.length)
      throw new Error(`invalid contact: no account ${String(columns.account_id)} in workspace ${workspaceId}`);
  }
  const names = Object.keys(columns);
  // Every field written gets its change time and kind: pulls and pushes decide by them (field-ownership.ts).
  const changed = fieldChanges(names, customValues, writeKind, Date.now());
  const changes = JSON.stringify(changed);
  const origin = JSON.stringify(origins(changed));
  if (create) {
    await tx.query(
      `INSERT INTO ${table} (id, workspace_id, created_by, custom, ws_changes, field_origin${names.map((n) => `, ${n}`).join('')})
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb${names.map((_, i) => `, $${i + 7}`).join('')})`,
      [id, workspaceId, byUserId, JSON.stringify(customValues ?? {}), changes, origin, ...names.map((n) => columns[n])],
    );
  } else {
    await tx.query(
      `UPDATE ${table} SET updated_at = now(), custom = custom || $3::jsonb, ws_changes = ws_changes || $4::jsonb,
         field_origin = field_origin || $5::jsonb${names.map((n, i) => `, ${n} = $${i + 6}`).join('')}
        WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, id, JSON.stringify(customValues ?? {}), changes, origin, ...names.map((n) => columns[n])],
    );
  }
  const crms = await enqueuePush(tx, workspaceId, kind, [id], { requestedBy: byUserId });
  return { id, created: create, crms };
}

/** Drops (in place) the fields an enrichment update must leave alone: unsettled manual edits. */
async function keepManualEdits(
  tx: Queryable,
  table: string,
  workspaceId: string,
  id: string,
  columns: Record<string, unknown>,
  custom: Record<string, unknown> | undefined,
): Promise<void> {
  const { rows } = await tx.query<{ ws_changes: Record<string, WorkspaceChange>; syncs: Record<string, FieldSync>[] }>(
    `SELECT t.ws_changes, COALESCE((SELECT jsonb_agg(l.field_sync) FROM crm_links l
        WHERE l.workspace_id = t.workspace_id AND l.local_id = t.id), '[]'::jsonb) AS syncs
       FROM ${table} t WHERE t.workspace_id = $1 AND t.id = $2 FOR UPDATE`,
    [workspaceId, id],
  );
  const { ws_changes: changes = {}, syncs = [] } = rows[0] ?? {};
  const keep = (field: string) =>
    enrichmentMayWrite(
      changes[field] ?? null,
      syncs.map((s) => s[field] ?? null),
    );
  for (const c of Object.keys(columns)) if (!keep(c)) delete columns[c];
  for (const c of Object.keys(custom ?? {})) if (!keep(`custom.${c}`)) delete custom![c];
}

/** The workspace change of each written field, keyed as mappings name them (`custom.<name>` for custom). */
function fieldChanges(
  columns: string[],
  custom: Record<string, unknown> | undefined,
  kind: WriteKind,
  at: number,
): Record<string, { at: number; kind: WriteKind }> {
  const keys = [...columns, ...Object.keys(custom ?? {}).map((c) => `custom.${c}`)];
  return Object.fromEntries(keys.map((k) => [k, { at, kind }]));
}

/** Who wrote these values, for explain: the workspace, now. */
function origins(changes: Record<string, { at: number; kind: WriteKind }>) {
  return Object.fromEntries(
    Object.entries(changes).map(([k, c]) => [k, { by: c.kind, at: c.at, rule: 'workspace-write' }]),
  );
}

/**
 * Adds (or re-arms) outbox rows for these records, one per CRM the workspace is connected to.
 * `manual` rows override the push conditions; a later automatic write never clears that.
 */
export async function enqueuePush(
  tx: Queryable,
  workspaceId: string,
  kind: ObjectKind,
  ids: string[],
  opts: { requestedBy?: string | null; manual?: boolean; crm?: CrmName } = {},
): Promise<CrmName[]> {
  const { rows } = await tx.query<{ crm: CrmName }>(
    `INSERT INTO push_outbox (workspace_id, crm, object_kind, local_id, manual, requested_by)
     SELECT i.workspace_id, i.crm, $2, u.id, $4, $5
       FROM integrations i CROSS JOIN unnest($3::uuid[]) AS u(id)
      WHERE i.workspace_id = $1 AND ($6::text IS NULL OR i.crm = $6)
     ON CONFLICT (workspace_id, crm, object_kind, local_id) DO UPDATE
       SET not_before = now(), attempts = 0, seq = push_outbox.seq + 1, manual = push_outbox.manual OR EXCLUDED.manual,
           requested_by = COALESCE(EXCLUDED.requested_by, push_outbox.requested_by)
     RETURNING crm`,
    [workspaceId, kind, ids, opts.manual ?? false, opts.requestedBy ?? null, opts.crm ?? null],
  );
  return [...new Set(rows.map((r) => r.crm))];
}
