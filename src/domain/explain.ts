import type { Direction, Winner } from './field-mapping';
import {
  crmIsLater,
  isPending,
  type FieldSync,
  type Rule,
  type WorkspaceChange,
  type WriteKind,
} from './field-ownership';
import type { CrmName, ObjectKind } from './types';

/**
 * "Why this value" (`explain`): what the store knows of each mapped field of one record, as plain
 * data. The store assembles it (src/store/explain.ts), explain-format.ts prints it.
 *
 * Two rules answer the question. The field's ORIGIN is the rule of the last write of the value
 * (field_origin: a workspace write, or a pull's decision). Each CRM link's STANDING is the rule the
 * link's state amounts to now: pending, in agreement, pushed, ... The store records neither the
 * push's rule nor a pull's decision that changed no value (in agreement, a stale page), so those
 * are inferred from the link state (standingOf).
 */

/** Who wrote the current value, when, and by which rule (field_origin). */
export interface FieldOrigin {
  by: 'crm' | WriteKind;
  at: number;
  rule: Rule;
}

export interface LinkFieldExplanation {
  crm: CrmName;
  crmObject: string;
  crmId: string;
  crmField: string;
  direction: Direction;
  /** For fields mapped both ways: who wins a conflict. */
  winner: Winner | null;
  autoFill: boolean;
  autoOverwrite: boolean;
  /** The CRM's value as last known (pulled or pushed) and when it changed; null: never synced. */
  crmValue: { value: string | null; changedAt: number | null } | null;
  /** The workspace change this link has settled (its time), if any. */
  settledAt: number | null;
  /** Whether the workspace's change of the field is still to be pushed (or decided) for this link. */
  pending: boolean;
  /** When a push last wrote the field to this CRM record. */
  pushedAt: number | null;
  standing: Rule | null;
}

export interface FieldExplanation {
  field: string;
  value: string | null;
  origin: FieldOrigin | null;
  change: WorkspaceChange | null;
  links: LinkFieldExplanation[];
  /** Connected CRMs that map the field but hold no record linked to this one. */
  unlinked: CrmName[];
}

export interface MappingSource {
  crm: CrmName;
  /** `settings`: the running integration's; `default`: defaultFieldMapping, with the reason. */
  from: 'settings' | 'default';
  reason?: string;
}

export interface RecordExplanation {
  workspaceId: string;
  kind: ObjectKind;
  id: string;
  mappings: MappingSource[];
  links: { crm: CrmName; crmObject: string; crmId: string }[];
  fields: FieldExplanation[];
}

export interface StandingInput {
  workspace: string | null;
  change: WorkspaceChange | null;
  sync: FieldSync | null;
  /** The modified time (CRM clock) of the CRM copy last pulled; null when the link was never pulled. */
  pulledModifiedAt: number | null;
  /** When the link was made (this machine's clock). */
  linkedAt: number;
  /** When the record row was last written: by a pull page or a workspace write, never by a push. */
  recordUpdatedAt: number;
  /** The latest workspace change of any field of the record. */
  lastChangeAt: number | null;
  crmPrecisionMs: number;
}

/**
 * The rule one link's state of a field amounts to. Null when the link knows nothing of the field,
 * or when the values differ with nothing pending (the origin's rule says why: e.g. a field mapped
 * workspace -> CRM keeps its value whatever the CRM holds).
 *
 * After a push wrote the field (its pt is the CRM value's change time), a later pull page leaves the
 * field's link state as it is, whether it read the pushed value (in agreement) or a copy older than
 * the push (stale read). What tells them apart is the modified time of the copy the pull read,
 * against the push time; and that a pull came at all is told by the record row being written after
 * the push with no workspace change since (a push never writes the row).
 */
export function standingOf(s: StandingInput): Rule | null {
  const { sync } = s;
  if (!sync) return null;
  if (isPending(s.change, sync)) return 'workspace-pending';
  if (sync.v !== s.workspace) return null;
  const pt = sync.pt;
  // The push is the CRM value's last change only while its time is the value's change time.
  if (pt === undefined || sync.ct !== pt) return 'in-agreement';
  const pulledSince = s.recordUpdatedAt > pt && (s.lastChangeAt ?? Number.NEGATIVE_INFINITY) <= pt;
  if (pulledSince && s.pulledModifiedAt !== null)
    return crmIsLater(s.pulledModifiedAt, pt, s.crmPrecisionMs) ? 'in-agreement' : 'stale-read';
  // Never pulled, and linked by this very push (the link is recorded after the push's start).
  if (s.pulledModifiedAt === null && s.linkedAt >= pt) return 'created-in-crm';
  return 'pushed';
}

/** The rules an explanation of one field names: its origin's, then each link's standing. */
export function rulesNamed(f: FieldExplanation): Rule[] {
  const rules = [f.origin?.rule, ...f.links.map((l) => l.standing)].filter((r): r is Rule => !!r);
  return [...new Set(rules)];
}
