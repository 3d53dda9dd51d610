import type { ObjectKind } from '../domain/types';
import type { Queryable } from './db';

/**
 * Distinct workspace values of mapped local fields, for checking a field mapping against the CRM
 * before it is set (picklist options, types, lengths). Values are trimmed and non-empty, as a push
 * sends them, and come longest first so a length check sees the longest even in a sample.
 */

const TABLE: Record<ObjectKind, string> = { contact: 'contacts', account: 'accounts' };
/** The columns a local field may name; anything else is `custom.<name>` or not a field at all. */
const COLUMNS: Record<ObjectKind, readonly string[]> = {
  contact: ['email', 'first_name', 'last_name', 'title', 'phone', 'stage', 'email_status'],
  account: ['name', 'domain', 'phone', 'industry', 'stage'],
};
const CUSTOM = /^custom\.([A-Za-z0-9_]+)$/;

export const DEFAULT_VALUES_PER_FIELD = 1000;

/**
 * Up to `limit` distinct values per local field of the workspace's records of `kind`. A local field
 * that is neither a column nor `custom.<name>` gets no entry (the settings schema refuses it).
 */
export async function distinctFieldValues(
  db: Queryable,
  workspaceId: string,
  kind: ObjectKind,
  localFields: readonly string[],
  limit = DEFAULT_VALUES_PER_FIELD,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const field of new Set(localFields)) {
    const custom = CUSTOM.exec(field);
    if (!custom && !COLUMNS[kind].includes(field)) continue;
    // The column name comes from the list above, never from the caller; a custom key is a parameter.
    const expr = custom ? `custom->>$3` : field;
    const params: unknown[] = [workspaceId, limit, ...(custom ? [custom[1]] : [])];
    const { rows } = await db.query<{ v: string }>(
      `SELECT v FROM (SELECT DISTINCT btrim(${expr}) AS v FROM ${TABLE[kind]} WHERE workspace_id = $1) d
       WHERE v <> '' ORDER BY length(v) DESC, v LIMIT $2`,
      params,
    );
    out.set(
      field,
      rows.map((r) => r.v),
    );
  }
  return out;
}
