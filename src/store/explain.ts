import { z } from 'zod';
import {
  standingOf,
  type FieldExplanation,
  type FieldOrigin,
  type LinkFieldExplanation,
  type MappingSource,
  type RecordExplanation,
} from '../domain/explain';
import { appliesTo, winnerOf, workspaceValue, type FieldMapping, type ObjectMapping } from '../domain/field-mapping';
import {
  CRM_TIME_PRECISION_MS,
  crmTime,
  isPending,
  type FieldSync,
  type WorkspaceChange,
} from '../domain/field-ownership';
import { OBJECT_KINDS, type CrmName, type ObjectKind } from '../domain/types';
import type { Queryable } from './db';

/**
 * Assembles `explain` for one record: per mapped field, the workspace value and who wrote it
 * (field_origin), the workspace's last change (ws_changes), and per CRM link what the sync knows of
 * the CRM side (crm_links.field_sync). Reads only; the mapping comes from the caller (the
 * integration's settings, or the defaults when the workflow cannot be asked).
 */

export interface ExplainRequest {
  workspaceId: string;
  kind: string;
  id: string;
  /** One field (workspace name, `custom.<name>`, or a CRM field name); absent: every mapped field. */
  field?: string;
  /** The field mapping of each connected CRM, and where it came from. */
  mappings: (MappingSource & { fieldMapping: FieldMapping })[];
}

const TABLE: Record<ObjectKind, string> = { contact: 'contacts', account: 'accounts' };

/** The CRMs the workspace is connected to; throws one sentence for a workspace the store does not have. */
export async function connectedCrms(db: Queryable, workspaceId: string): Promise<CrmName[]> {
  const { rows } = await db.query<{ crm: CrmName | null }>(
    `SELECT i.crm FROM workspaces w LEFT JOIN integrations i ON i.workspace_id = w.id WHERE w.id = $1 ORDER BY i.crm`,
    [workspaceId],
  );
  if (!rows.length) throw new Error(`no workspace ${workspaceId}`);
  return rows.map((r) => r.crm).filter((c): c is CrmName => !!c);
}

export async function explainRecord(db: Queryable, req: ExplainRequest): Promise<RecordExplanation> {
  const kindParsed = z.enum(OBJECT_KINDS).safeParse(req.kind);
  if (!kindParsed.success) throw new Error(`invalid record kind "${req.kind}": use contact or account`);
  const kind = kindParsed.data;
  await connectedCrms(db, req.workspaceId);
  if (!z.string().uuid().safeParse(req.id).success) throw new Error(`invalid ${kind} id "${req.id}"`);

  const { rows } = await db.query<{ record: Record<string, unknown>; updated_ms: number }>(
    `SELECT to_jsonb(t) AS record, (extract(epoch FROM t.updated_at) * 1000)::float8 AS updated_ms
       FROM ${TABLE[kind]} t WHERE t.workspace_id = $1 AND t.id = $2`,
    [req.workspaceId, req.id],
  );
  if (!rows[0]) throw new Error(`no ${kind} ${req.id} in workspace ${req.workspaceId}`);
  const record = rows[0].record;
  const custom = (record.custom as Record<string, unknown> | null) ?? {};
  const changes = (record.ws_changes as Record<string, WorkspaceChange> | null) ?? {};
  const origins = (record.field_origin as Record<string, FieldOrigin> | null) ?? {};
  const recordUpdatedAt = Number(rows[0].updated_ms);
  const changeTimes = Object.values(changes).map((c) => c.at);
  const lastChangeAt = changeTimes.length ? Math.max(...changeTimes) : null;

  const { rows: linkRows } = await db.query<{
    crm: CrmName;
    crm_object: string;
    crm_id: string;
    crm_modified_at: string | null;
    linked_ms: number;
    field_sync: Record<string, FieldSync> | null;
  }>(
    `SELECT crm, crm_object, crm_id, crm_modified_at, (extract(epoch FROM linked_at) * 1000)::float8 AS linked_ms, field_sync
       FROM crm_links
      WHERE workspace_id = $1 AND object_kind = $2 AND local_id = $3 ORDER BY crm`,
    [req.workspaceId, kind, req.id],
  );
  const links = new Map(linkRows.map((l) => [l.crm, l]));

  const mappings = req.mappings.map((m) => ({ crm: m.crm, mapping: m.fieldMapping[kind] }));
  const fields = selectFields(kind, mappings, req.field);
  const explained: FieldExplanation[] = fields.map((field) => {
    const change = changes[field] ?? null;
    const value = workspaceValue(field.startsWith('custom.') ? custom[field.slice('custom.'.length)] : record[field]);
    const out: FieldExplanation = {
      field,
      value,
      origin: origins[field] ?? null,
      change,
      links: [],
      unlinked: [],
    };
    for (const m of mappings) {
      const entries = m.mapping.filter((e) => e.localField === field);
      if (!entries.length) continue;
      const link = links.get(m.crm);
      if (!link) {
        out.unlinked.push(m.crm);
        continue;
      }
      const sync = link.field_sync?.[field] ?? null;
      for (const e of entries) {
        if (!appliesTo(e, link.crm_object)) continue;
        const explainedLink: LinkFieldExplanation = {
          crm: m.crm,
          crmObject: link.crm_object,
          crmId: link.crm_id,
          crmField: e.crmField,
          direction: e.direction,
          winner: e.direction === 'both' ? winnerOf(e) : null,
          autoFill: !!e.autoFill,
          autoOverwrite: !!e.autoOverwrite,
          crmValue: sync ? { value: sync.v, changedAt: sync.ct } : null,
          settledAt: sync ? sync.st : null,
          pending: isPending(change, sync),
          pushedAt: sync?.pt ?? null,
          standing: standingOf({
            workspace: value,
            change,
            sync,
            pulledModifiedAt: crmTime(link.crm_modified_at),
            linkedAt: Number(link.linked_ms),
            recordUpdatedAt,
            lastChangeAt,
            crmPrecisionMs: CRM_TIME_PRECISION_MS[m.crm],
          }),
        };
        out.links.push(explainedLink);
      }
    }
    return out;
  });

  return {
    workspaceId: req.workspaceId,
    kind,
    id: req.id,
    mappings: req.mappings.map(({ crm, from, reason }) => ({ crm, from, ...(reason ? { reason } : {}) })),
    links: linkRows.map((l) => ({ crm: l.crm, crmObject: l.crm_object, crmId: l.crm_id })),
    fields: explained,
  };
}

/** The workspace fields the mappings name, in mapping order; or the one asked for, by either side's name. */
function selectFields(kind: ObjectKind, mappings: { mapping: ObjectMapping }[], asked?: string): string[] {
  const all = [...new Set(mappings.flatMap((m) => m.mapping.map((e) => e.localField)))];
  if (asked === undefined) return all;
  if (all.includes(asked)) return [asked];
  const byCrmField = mappings.flatMap((m) => m.mapping.filter((e) => e.crmField === asked).map((e) => e.localField));
  if (byCrmField.length) return [...new Set(byCrmField)];
  throw new Error(
    `${kind} field "${asked}" is not mapped${all.length ? ` (mapped: ${all.join(', ')})` : ' (no CRM is connected)'}`,
  );
}
