import type { FieldMappingEntry, ObjectMapping } from '../domain/field-mapping';
import {
  decideInbound,
  type FieldSync,
  type Rule,
  type SyncDirection,
  type WorkspaceChange,
} from '../domain/field-ownership';

/**
 * Applies the field-ownership rules to one pulled record the workspace already has: which mapped
 * values the pull writes, and the new per-field state (workspace changes, origins, link state).
 * No I/O: pull-store reads the rows and writes what this returns, in the page's transaction.
 */

/** What the store holds for a linked record, as the rules need it. */
export interface StoredRecord {
  columns: Record<string, unknown>;
  custom: Record<string, unknown>;
  wsChanges: Record<string, WorkspaceChange>;
  fieldSync: Record<string, FieldSync>;
}

export interface PulledValues {
  columns: Record<string, string | null>;
  custom: Record<string, string | null>;
}

export interface ReconcileContext {
  mapping: ObjectMapping;
  direction: SyncDirection;
  crmPrecisionMs: number;
  /** When the page was read, this machine's clock. */
  readAt: number;
  nowMs: number;
}

export interface Origin {
  by: 'crm' | 'manual' | 'enrichment';
  at: number;
  rule: Rule;
}

export interface Reconciled {
  /** Columns and custom values to write; fields left out keep the workspace's value. */
  columns: Record<string, string | null>;
  custom: Record<string, string | null>;
  wsChanges: Record<string, WorkspaceChange>;
  origin: Record<string, Origin>;
  /** The link's whole field state after this record. */
  fieldSync: Record<string, FieldSync>;
  /** Some field's value was read before a push wrote it (the page is older than the push). */
  staleRead?: boolean;
}

const isCustom = (m: FieldMappingEntry) => m.localField.startsWith('custom.');
const customName = (m: FieldMappingEntry) => m.localField.slice('custom.'.length);

function pulledValue(m: FieldMappingEntry, p: PulledValues): { present: boolean; value: string | null } {
  const bag = isCustom(m) ? p.custom : p.columns;
  const key = isCustom(m) ? customName(m) : m.localField;
  return key in bag ? { present: true, value: bag[key] ?? null } : { present: false, value: null };
}

function storedValue(m: FieldMappingEntry, r: StoredRecord): string | null {
  const raw = isCustom(m) ? r.custom[customName(m)] : r.columns[m.localField];
  if (raw === null || raw === undefined) return null;
  const s = String(raw).trim();
  return s === '' ? null : s;
}

export function reconcileRecord(
  ctx: ReconcileContext,
  stored: StoredRecord,
  pulled: PulledValues,
  crmAt: number | null,
): Reconciled {
  const out: Reconciled = { columns: {}, custom: {}, wsChanges: {}, origin: {}, fieldSync: { ...stored.fieldSync } };
  for (const entry of ctx.mapping) {
    const p = pulledValue(entry, pulled);
    if (!p.present) continue;
    const d = decideInbound({
      entry,
      crm: p.value,
      crmAt,
      crmPrecisionMs: ctx.crmPrecisionMs,
      readAt: ctx.readAt,
      workspace: storedValue(entry, stored),
      change: stored.wsChanges[entry.localField] ?? null,
      sync: stored.fieldSync[entry.localField] ?? null,
      direction: ctx.direction,
    });
    if (d.sync) out.fieldSync[entry.localField] = d.sync;
    if (d.rule === 'stale-read') out.staleRead = true;
    if (d.change) out.wsChanges[entry.localField] = d.change;
    if (d.write) {
      if (isCustom(entry)) out.custom[customName(entry)] = p.value;
      else out.columns[entry.localField] = p.value;
      out.origin[entry.localField] = { by: 'crm', at: crmAt ?? ctx.nowMs, rule: d.rule };
    } else if (d.rule !== 'in-agreement' && d.rule !== 'stale-read') {
      // The workspace value stays; say which rule kept it (its writer is unchanged).
      const prior = stored.wsChanges[entry.localField];
      if (prior) out.origin[entry.localField] = { by: prior.kind, at: prior.at, rule: d.rule };
    }
  }
  return out;
}

/** The link state of a record the pull has just created in the workspace: both sides agree. */
export function newRecordSync(
  mapping: ObjectMapping,
  pulled: PulledValues,
  crmAt: number | null,
): { fieldSync: Record<string, FieldSync>; origin: Record<string, Origin> } {
  const fieldSync: Record<string, FieldSync> = {};
  const origin: Record<string, Origin> = {};
  for (const entry of mapping) {
    const p = pulledValue(entry, pulled);
    if (!p.present) continue;
    fieldSync[entry.localField] = { v: p.value, ct: crmAt, st: 0 };
    if (entry.direction !== 'push') origin[entry.localField] = { by: 'crm', at: crmAt ?? 0, rule: 'pulled-new' };
  }
  return { fieldSync, origin };
}
