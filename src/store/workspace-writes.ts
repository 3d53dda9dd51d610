import { randomUUID } from 'node:crypto';
import { z } from 'zod';
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

export const contactFields = z
  .object({
    email: z.string().trim().email('must be an email address').max(254).nullable(),
    first_name: text,
    last_name: text,
    title: text,
    phone: text,
    stage: text,
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
      if (rows[0]) return write(tx, 'contact', workspaceId, rows[0].id, fields, false, byUserId);
    }
    return write(tx, 'contact', workspaceId, randomUUID(), fields, true, byUserId);
  });
}

export async function updateContact(
  db: Db,
  workspaceId: string,
  id: string,
  input: unknown,
  byUserId: string | null = null,
): Promise<WriteResult> {
  const fields = parseOrThrow(contactFields, input, 'contact');
  return db.transaction(async (tx) =>
    write(tx, 'contact', workspaceId, await existing(tx, 'contact', workspaceId, id), fields, false, byUserId),
  );
}

export async function addAccount(
  db: Db,
  workspaceId: string,
  input: unknown,
  byUserId: string | null = null,
): Promise<WriteResult> {
  const fields = parseOrThrow(accountFields, input, 'account');
  return db.transaction(async (tx) => write(tx, 'account', workspaceId, randomUUID(), fields, true, byUserId));
}

export async function updateAccount(
  db: Db,
  workspaceId: string,
  id: string,
  input: unknown,
  byUserId: string | null = null,
): Promise<WriteResult> {
  const fields = parseOrThrow(accountFields, input, 'account');
  return db.transaction(async (tx) =>
    write(tx, 'account', workspaceId, await existing(tx, 'account', workspaceId, id), fields, false, byUserId),
  );
}

async function existing(tx: Queryable, kind: ObjectKind, workspaceId: string, id: string): Promise<string> {
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
): Promise<WriteResult> {
  const { custom: customValues, ...columns } = fields as Record<string, unknown> & {
    custom?: Record<string, string | null>;
  };
  const table = TABLE[kind];
  if (kind === 'contact' && columns.account_id) {
    const { rows } = await tx.query('SELECT 1 FROM accounts WHERE workspace_id = $1 AND id = $2', [
      workspaceId,
      columns.account_id,
    ]);
    if (!rows.length)
      throw new Error(`invalid contact: no account ${String(columns.account_id)} in workspace ${workspaceId}`);
  }
  const names = Object.keys(columns);
  if (create) {
    await tx.query(
      `INSERT INTO ${table} (id, workspace_id, created_by, custom${names.map((n) => `, ${n}`).join('')})
       VALUES ($1, $2, $3, $4::jsonb${names.map((_, i) => `, $${i + 5}`).join('')})`,
      [id, workspaceId, byUserId, JSON.stringify(customValues ?? {}), ...names.map((n) => columns[n])],
    );
  } else {
    await tx.query(
      `UPDATE ${table} SET updated_at = now(), custom = custom || $3::jsonb${names.map((n, i) => `, ${n} = $${i + 4}`).join('')}
        WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, id, JSON.stringify(customValues ?? {}), ...names.map((n) => columns[n])],
    );
  }
  const crms = await enqueuePush(tx, workspaceId, kind, [id], { requestedBy: byUserId });
  return { id, created: create, crms };
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
       SET not_before = now(), attempts = 0, manual = push_outbox.manual OR EXCLUDED.manual,
           requested_by = COALESCE(EXCLUDED.requested_by, push_outbox.requested_by)
     RETURNING crm`,
    [workspaceId, kind, ids, opts.manual ?? false, opts.requestedBy ?? null, opts.crm ?? null],
  );
  return [...new Set(rows.map((r) => r.crm))];
}
