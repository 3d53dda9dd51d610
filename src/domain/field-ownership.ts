import { winnerOf, type FieldMappingEntry } from './field-mapping';
import type { CrmName } from './types';

/**
 * Field ownership: what a pull may write into the workspace and what a push may send to the CRM,
 * field by field, so that no edit is lost on either side and nothing flips back and forth.
 *
 * The store keeps, per record and field, the workspace's last own write (WorkspaceChange) and, per
 * CRM link and field, what the sync knows of the CRM side (FieldSync). A workspace change is
 * PENDING until a push has sent it or a rule has decided against it (its time is then "settled").
 * A pull writes the CRM's value unless a pending change should win; a push sends pending changes
 * only. Every decision names its rule, which the store keeps so `explain` can say why a value is.
 */

/** A user's explicit edit, or an enrichment update (the workspace refreshing its own data). */
export const WRITE_KINDS = ['manual', 'enrichment'] as const;
export type WriteKind = (typeof WRITE_KINDS)[number];

/** The whole integration's direction (seed 000, step 3); fields choose theirs within it. */
export const SYNC_DIRECTIONS = ['bidirectional', 'crmToWorkspace', 'workspaceToCrm'] as const;
export type SyncDirection = (typeof SYNC_DIRECTIONS)[number];

/**
 * How precise each CRM's record modified times are: HubSpot gives milliseconds; Salesforce's
 * SystemModstamp is whole seconds in real orgs (its .000 is padding), so many records tie.
 */
export const CRM_TIME_PRECISION_MS: Record<CrmName, number> = { hubspot: 1, salesforce: 1000 };

/** The workspace's last own write of one field (epoch ms, this machine's clock). */
export interface WorkspaceChange {
  at: number;
  kind: WriteKind;
  /** An enrichment change a pull let through by auto-fill or auto-overwrite (seed 002). */
  approved?: 'autoFill' | 'autoOverwrite';
}

/** What the sync knows of one field of one CRM link. */
export interface FieldSync {
  /** The CRM's value as last known: pulled, or written by a push. */
  v: string | null;
  /** When the CRM's value changed: the record's modified time when pulled, the push time when pushed. */
  ct: number | null;
  /** The workspace change (its `at`) this link has settled; later changes are pending. */
  st: number;
  /** When a push last wrote the field (this machine's clock): a page read before that is stale. */
  pt?: number;
}

export const RULES = {
  'crm-owned': 'the field is mapped CRM -> workspace, so the CRM value is taken',
  'workspace-only-field': 'the field is mapped workspace -> CRM, so the CRM value is not pulled',
  'crm-changed': 'the CRM changed the field and the workspace had no unsent change',
  'crm-value': 'the workspace had no unsent change, so the CRM value is taken',
  'in-agreement': 'both sides hold the same value',
  'stale-read': 'the CRM page was read before a push wrote the field, so its value is older than ours',
  'workspace-pending': 'the workspace has an unsent change and the CRM did not change the field',
  'conflict-crm-owned': 'both sides changed the field; it is CRM-owned, so the CRM value won',
  'conflict-workspace-owned': 'both sides changed the field; it is workspace-owned, so the workspace value won',
  'conflict-crm-later': 'both sides changed the field; the CRM change was later (or at the same time), so it won',
  'conflict-workspace-later': 'both sides changed the field; the workspace change was later, so it won',
  'enrichment-not-applied': 'an enrichment update is pushed only by auto-fill or auto-overwrite, which did not apply',
  'auto-fill': 'auto-fill: the CRM field was empty, so the enrichment value is pushed',
  'auto-overwrite': 'auto-overwrite: the enrichment value replaces the differing CRM value',
  'direction-workspace-to-crm': 'the integration syncs workspace -> CRM only, so pulls write no workspace values',
  pushed: 'a push sent the workspace value to the CRM',
  'created-in-crm': 'a push created the CRM record with the workspace values',
  'pulled-new': 'the record was created in the workspace by a pull',
  'workspace-write': 'written in the workspace',
} as const;
export type Rule = keyof typeof RULES;

export interface InboundField {
  entry: FieldMappingEntry;
  /** The pulled value, and the CRM record's modified time (CRM clock) and its precision. */
  crm: string | null;
  crmAt: number | null;
  crmPrecisionMs: number;
  /** When the page was read (this machine's clock). */
  readAt: number;
  workspace: string | null;
  change: WorkspaceChange | null;
  sync: FieldSync | null;
  direction: SyncDirection;
}

export interface InboundDecision {
  /** Write the CRM value into the workspace record. */
  write: boolean;
  /** The link's new state for the field; null leaves it as it is. */
  sync: FieldSync | null;
  /** The workspace change's new state (an approval); undefined leaves it. */
  change?: WorkspaceChange;
  rule: Rule;
}

/** Whether the workspace's change of a field is still to be pushed (or decided). */
export function isPending(change: WorkspaceChange | null, sync: FieldSync | null): change is WorkspaceChange {
  return !!change && change.at > (sync?.st ?? Number.NEGATIVE_INFINITY);
}

/** A pull's decision for one field of a record the workspace already has. */
export function decideInbound(f: InboundField): InboundDecision {
  const { entry, crm, change, sync } = f;
  // A push wrote the field after this page was read: the page's value predates it.
  if (sync?.pt !== undefined && sync.pt > f.readAt) return { write: false, sync: null, rule: 'stale-read' };
  // The record's modified time dates this field's value only if the value changed: other fields
  // move the record's time too.
  const ct = sync && sync.v === crm ? sync.ct : f.crmAt;
  const known = (st: number): FieldSync => ({ v: crm, ct, st, ...(sync?.pt ? { pt: sync.pt } : {}) });
  const settled = sync?.st ?? 0;
  const pending = isPending(change, sync);
  const settle = known(pending ? change.at : settled);
  if (entry.direction === 'push') return { write: false, sync: known(settled), rule: 'workspace-only-field' };
  if (f.direction === 'workspaceToCrm')
    return { write: false, sync: known(settled), rule: 'direction-workspace-to-crm' };
  if (crm === f.workspace) {
    // Read before the workspace change: the CRM held this value then, which says nothing of now.
    if (pending && f.readAt < change.at) return { write: false, sync: null, rule: 'workspace-pending' };
    return { write: false, sync: settle, rule: 'in-agreement' };
  }
  if (entry.direction === 'pull') return { write: true, sync: settle, rule: 'crm-owned' };

  const crmChanged = sync ? crm !== sync.v : true;
  if (!pending) return { write: true, sync: known(settled), rule: crmChanged ? 'crm-changed' : 'crm-value' };

  if (change.kind === 'enrichment' && !change.approved) {
    if (entry.autoOverwrite && crm !== null)
      return {
        write: false,
        sync: known(settled),
        change: { ...change, approved: 'autoOverwrite' },
        rule: 'auto-overwrite',
      };
    if ((entry.autoFill || entry.autoOverwrite) && crm === null)
      return { write: false, sync: known(settled), change: { ...change, approved: 'autoFill' }, rule: 'auto-fill' };
    return { write: true, sync: settle, rule: 'enrichment-not-applied' };
  }
  if (!crmChanged) return { write: false, sync: known(settled), rule: 'workspace-pending' };

  switch (winnerOf(entry)) {
    case 'crm':
      return { write: true, sync: settle, rule: 'conflict-crm-owned' };
    case 'workspace':
      return { write: false, sync: known(settled), rule: 'conflict-workspace-owned' };
    case 'latest':
      return crmIsLater(f.crmAt, change.at, f.crmPrecisionMs)
        ? { write: true, sync: settle, rule: 'conflict-crm-later' }
        : { write: false, sync: known(settled), rule: 'conflict-workspace-later' };
  }
}

/**
 * The CRM's change time against the workspace's, at the CRM's precision (Salesforce: whole
 * seconds). A tie goes to the CRM: the record of the CRM is what its users see, and any fixed
 * rule ends the conflict the same way on every pull.
 */
export function crmIsLater(crmAt: number | null, workspaceAt: number, precisionMs: number): boolean {
  if (crmAt === null) return false;
  return crmAt >= Math.floor(workspaceAt / precisionMs) * precisionMs;
}

export interface OutboundField {
  entry: FieldMappingEntry;
  workspace: string | null;
  change: WorkspaceChange | null;
  sync: FieldSync | null;
  /** The CRM's value as read just before this push, when it was read (contested fields). */
  current?: { value: string | null; modifiedAt: number | null };
  crmPrecisionMs?: number;
}

export type OutboundDecision =
  | { send: true }
  | { send: false; /** Mark the change settled: there is nothing left to decide. */ settle: boolean; why: string };

/** A push's decision for one field of a record already linked to the CRM: only pending changes go. */
export function decideOutbound(f: OutboundField): OutboundDecision {
  const { entry, change, sync } = f;
  if (entry.direction === 'pull') return { send: false, settle: false, why: 'mapped CRM -> workspace' };
  if (!isPending(change, sync)) return { send: false, settle: false, why: 'no unsent change' };
  if (change.kind === 'enrichment' && !change.approved)
    return {
      send: false,
      settle: false,
      why: 'an enrichment update waits for the next pull (auto-fill / auto-overwrite)',
    };
  // A user emptied the field: the CRM's value is cleared too. Empty enrichment values never go.
  if (f.workspace === null && change.kind !== 'manual')
    return { send: false, settle: true, why: 'empty values are not sent' };
  // Only a fresh read proves the CRM holds the value: what the link remembers may be older.
  if (f.current && f.workspace === f.current.value)
    return { send: false, settle: true, why: 'the CRM already holds this value' };
  if (f.current && crmChangedSince(entry, sync, f.current, change.at, f.crmPrecisionMs ?? 1))
    return { send: false, settle: false, why: 'the CRM changed the field later; the next pull settles it by its rule' };
  return { send: true };
}

/** The link state of a field a push has just written. */
export function pushedSync(value: string | null, change: WorkspaceChange | null, nowMs: number): FieldSync {
  return { v: value, ct: nowMs, st: change?.at ?? 0, pt: nowMs };
}

/** Parses a CRM timestamp (ISO 8601, Salesforce's `+0000` offsets included); null when unreadable. */
export function crmTime(s: string | null | undefined): number | null {
  if (!s) return null;
  const ms = Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Whether the CRM changed a field after this workspace change, by its current value and modified
 * time as read just before a push: the push then leaves the field pending, and the next pull settles
 * both changes by the field's rule. Workspace-owned fields win anyway, so they are never held back.
 */
export function crmChangedSince(
  entry: FieldMappingEntry,
  sync: FieldSync | null,
  current: { value: string | null; modifiedAt: number | null },
  changeAt: number,
  precisionMs: number,
): boolean {
  if (entry.direction !== 'both' || winnerOf(entry) === 'workspace') return false;
  if (current.value === (sync?.v ?? null)) return false;
  return winnerOf(entry) === 'crm' || crmIsLater(current.modifiedAt, changeAt, precisionMs);
}

/**
 * "Manual has the last word" (seed 002): an enrichment update does not replace a user's edit that
 * a CRM link has not settled yet, or that edit would never reach the CRM.
 */
export function enrichmentMayWrite(change: WorkspaceChange | null, syncs: (FieldSync | null)[]): boolean {
  if (!change || change.kind !== 'manual') return true;
  return !syncs.some((sync) => isPending(change, sync));
}
