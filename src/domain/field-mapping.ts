import { z } from 'zod';
import { cleanCrmText } from './crm-text';
import type { CrmName, ObjectKind } from './types';

/**
 * Which way a mapped field flows. `pull`: CRM -> workspace only (the CRM overwrites the workspace);
 * `push`: workspace -> CRM only; `both`: either side's change reaches the other, and when both
 * changed since they last agreed, `winner` decides (field-ownership.ts).
 */
export const DIRECTIONS = ['pull', 'push', 'both'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/**
 * Who wins a conflict on a `both` field (seed 000, step 1): `crm` (CRM-owned), `workspace`
 * (workspace-owned: enrichment data), `latest` (shared: the later change).
 */
export const WINNERS = ['crm', 'workspace', 'latest'] as const;
export type Winner = (typeof WINNERS)[number];

/** Workspace columns a mapping may target; anything else goes to custom fields as `custom.<name>`. */
export const LOCAL_FIELDS: Record<ObjectKind, readonly string[]> = {
  contact: ['email', 'first_name', 'last_name', 'title', 'phone', 'stage', 'lead_status', 'email_status'],
  account: ['name', 'domain', 'phone', 'industry', 'stage'],
};

export const fieldMappingEntry = z
  .object({
    crmField: z.string().min(1, 'crmField must not be empty'),
    localField: z.string().min(1, 'localField must not be empty'),
    direction: z.enum(DIRECTIONS),
    /** Only for `both`; absent means the default of the workspace field (defaultWinner). */
    winner: z.enum(WINNERS).optional(),
    /** On pull, an empty CRM value is filled from the workspace's enrichment value (seed 002). */
    autoFill: z.boolean().optional(),
    /** On pull, a differing CRM value is replaced by the workspace's enrichment value (seed 002). */
    autoOverwrite: z.boolean().optional(),
    /**
     * The CRM object the field exists on, when the kind spans several: Salesforce people are Leads
     * or Contacts, and e.g. `Status` exists on Lead only. Absent: on every object of the kind.
     */
    crmObject: z.enum(['Lead', 'Contact']).optional(),
  })
  .strict();
export type FieldMappingEntry = z.infer<typeof fieldMappingEntry>;

export const objectMapping = z.array(fieldMappingEntry);
export type ObjectMapping = FieldMappingEntry[];
export type FieldMapping = Record<ObjectKind, ObjectMapping>;

/**
 * Seed 000's source-of-truth table for the fields both sides write: Email, Phone, Job Title, Company
 * Name and Industry are workspace-owned (it refreshes them); First and Last Name are shared. Fields
 * the CRM owns (Lifecycle Stage, Lead Status, owner) are mapped `pull` instead, as the seed says.
 */
const WORKSPACE_OWNED = new Set(['email', 'phone', 'title', 'name', 'domain', 'industry', 'email_status']);
const CRM_OWNED = new Set(['stage', 'lead_status']);

export function defaultWinner(localField: string): Winner {
  if (WORKSPACE_OWNED.has(localField)) return 'workspace';
  if (CRM_OWNED.has(localField)) return 'crm';
  return 'latest';
}

/** The winner a `both` entry uses: its own, else the default of its workspace field. */
export function winnerOf(m: FieldMappingEntry): Winner {
  return m.winner ?? defaultWinner(m.localField);
}

/** Checks what zod cannot: local targets exist, no local field is fed twice, options fit the entry. */
export function mappingProblems(kind: ObjectKind, mapping: ObjectMapping, crm?: CrmName): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of mapping) {
    const isCustom = /^custom\.[A-Za-z0-9_]+$/.test(m.localField);
    if (!isCustom && !LOCAL_FIELDS[kind].includes(m.localField)) {
      problems.push(
        `${kind} field mapping names unknown workspace field "${m.localField}" ` +
          `(use one of ${LOCAL_FIELDS[kind].join(', ')} or custom.<name>)`,
      );
    }
    if (m.direction !== 'push' && seen.has(m.localField)) {
      problems.push(`${kind} field mapping pulls workspace field "${m.localField}" from two CRM fields`);
    }
    seen.add(m.localField);
    if (m.winner && m.direction !== 'both')
      problems.push(`${kind} field ${m.crmField}: a winner applies only to fields mapped in both directions`);
    if ((m.autoFill || m.autoOverwrite) && m.direction === 'pull')
      problems.push(
        `${kind} field ${m.crmField}: auto-fill and auto-overwrite write to the CRM, so not on a pull-only field`,
      );
    if (m.crmObject && (crm === 'hubspot' || kind !== 'contact'))
      problems.push(`${kind} field ${m.crmField}: crmObject applies only to Salesforce people (Lead or Contact)`);
  }
  return problems;
}

const hubspot: FieldMapping = {
  contact: [
    { crmField: 'email', localField: 'email', direction: 'both' },
    { crmField: 'firstname', localField: 'first_name', direction: 'both' },
    { crmField: 'lastname', localField: 'last_name', direction: 'both' },
    { crmField: 'jobtitle', localField: 'title', direction: 'both' },
    { crmField: 'phone', localField: 'phone', direction: 'both' },
    // The CRM owns lifecycle and lead status (seed 000, "Mapping Lifecycle Stage Apollo → CRM").
    { crmField: 'lifecyclestage', localField: 'stage', direction: 'pull' },
    { crmField: 'hs_lead_status', localField: 'lead_status', direction: 'pull' },
  ],
  account: [
    { crmField: 'name', localField: 'name', direction: 'both' },
    { crmField: 'domain', localField: 'domain', direction: 'both' },
    { crmField: 'phone', localField: 'phone', direction: 'both' },
    { crmField: 'industry', localField: 'industry', direction: 'both' },
  ],
};

const salesforce: FieldMapping = {
  contact: [
    { crmField: 'Email', localField: 'email', direction: 'both' },
    { crmField: 'FirstName', localField: 'first_name', direction: 'both' },
    { crmField: 'LastName', localField: 'last_name', direction: 'both' },
    { crmField: 'Title', localField: 'title', direction: 'both' },
    { crmField: 'Phone', localField: 'phone', direction: 'both' },
    { crmField: 'Status', localField: 'lead_status', direction: 'pull', crmObject: 'Lead' },
  ],
  account: [
    { crmField: 'Name', localField: 'name', direction: 'both' },
    { crmField: 'Website', localField: 'domain', direction: 'both' },
    { crmField: 'Phone', localField: 'phone', direction: 'both' },
    { crmField: 'Industry', localField: 'industry', direction: 'both' },
  ],
};

export function defaultFieldMapping(crm: CrmName): FieldMapping {
  // JSON copy: structuredClone is not available inside the workflow sandbox.
  return JSON.parse(JSON.stringify(crm === 'hubspot' ? hubspot : salesforce)) as FieldMapping;
}

/** Whether the entry applies to records of this CRM object (see FieldMappingEntry.crmObject). */
export function appliesTo(m: FieldMappingEntry, crmObject: string | null): boolean {
  return !m.crmObject || crmObject === null || m.crmObject === crmObject;
}

/** CRM properties a pull of this CRM object must ask for, given the mapping. */
export function inboundCrmFields(mapping: ObjectMapping, crmObject: string | null = null): string[] {
  return [...new Set(mapping.filter((m) => m.direction !== 'push' && appliesTo(m, crmObject)).map((m) => m.crmField))];
}

/**
 * The CRM's value of a mapped field as the workspace stores it: blanks are no value, and text the
 * database cannot hold is cleaned (crm-text.ts). Adapters clean what they read already; cleaning
 * here too keeps a pull's value and a push's read-before-write comparison the same string, whatever
 * path the properties came by.
 */
export function crmValue(properties: Record<string, string | null | undefined>, crmField: string): string | null {
  const raw = properties[crmField];
  if (raw === null || raw === undefined) return null;
  const value = cleanCrmText(raw);
  return value === '' ? null : value;
}

/** A workspace value as pushes compare and send it: trimmed text, blanks are no value. */
export function workspaceValue(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  const s = String(raw).trim();
  return s === '' ? null : s;
}

/** Reads a mapped workspace field: a column, or `custom.<name>` from the custom values. */
export function localValue(m: FieldMappingEntry, columns: Record<string, unknown>, custom: Record<string, unknown>) {
  return workspaceValue(
    m.localField.startsWith('custom.') ? custom[m.localField.slice('custom.'.length)] : columns[m.localField],
  );
}

/**
 * The CRM properties a push of a NEW record sends: every `push` and `both` field with a value.
 * Empty workspace values are left out rather than sent as blanks, so a push never wipes what the
 * CRM knows and the workspace does not. Linked records send only their changed fields (pushableFields).
 */
export function applyOutbound(
  mapping: ObjectMapping,
  columns: Record<string, unknown>,
  custom: Record<string, unknown>,
  crmObject: string | null = null,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of mapping) {
    if (m.direction === 'pull' || !appliesTo(m, crmObject)) continue;
    const v = localValue(m, columns, custom);
    if (v !== null) out[m.crmField] = v;
  }
  return out;
}

export interface InboundValues {
  columns: Record<string, string | null>;
  custom: Record<string, string | null>;
}

/**
 * One CRM record's mapped values, keyed by workspace field: every field the mapping pulls from this
 * CRM object. Whether each is written is the ownership rules' decision (field-ownership.ts).
 */
export function applyInbound(
  mapping: ObjectMapping,
  properties: Record<string, string | null>,
  crmObject: string | null = null,
): InboundValues {
  const out: InboundValues = { columns: {}, custom: {} };
  for (const m of mapping) {
    if (m.direction === 'push' || !appliesTo(m, crmObject) || !(m.crmField in properties)) continue;
    const value = crmValue(properties, m.crmField);
    if (m.localField.startsWith('custom.')) out.custom[m.localField.slice('custom.'.length)] = value;
    else out.columns[m.localField] = value;
  }
  return out;
}
