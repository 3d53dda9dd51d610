import { z } from 'zod';
import type { CrmName, ObjectKind } from './types';

/**
 * Which way a mapped field flows. `pull`: the CRM overwrites the workspace; `push`: the workspace
 * overwrites the CRM; `both`: last update wins. Pull only reads `pull` and `both` fields.
 */
export const DIRECTIONS = ['pull', 'push', 'both'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Workspace columns a mapping may target; anything else goes to custom fields as `custom.<name>`. */
export const LOCAL_FIELDS: Record<ObjectKind, readonly string[]> = {
  contact: ['email', 'first_name', 'last_name', 'title', 'phone', 'stage', 'email_status'],
  account: ['name', 'domain', 'phone', 'industry', 'stage'],
};

export const fieldMappingEntry = z
  .object({
    crmField: z.string().min(1, 'crmField must not be empty'),
    localField: z.string().min(1, 'localField must not be empty'),
    direction: z.enum(DIRECTIONS),
  })
  .strict();
export type FieldMappingEntry = z.infer<typeof fieldMappingEntry>;

export const objectMapping = z.array(fieldMappingEntry);
export type ObjectMapping = FieldMappingEntry[];
export type FieldMapping = Record<ObjectKind, ObjectMapping>;

/** Checks what zod cannot: local targets exist and no local field is fed twice. */
export function mappingProblems(kind: ObjectKind, mapping: ObjectMapping): string[] {
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
    // The CRM owns lifecycle (seed 000, "Mapping Lifecycle Stage Apollo → CRM").
    { crmField: 'lifecyclestage', localField: 'stage', direction: 'pull' },
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

/** CRM properties a pull must ask for, given the mapping. */
export function inboundCrmFields(mapping: ObjectMapping): string[] {
  return [...new Set(mapping.filter((m) => m.direction !== 'push').map((m) => m.crmField))];
}

export interface InboundValues {
  columns: Record<string, string | null>;
  custom: Record<string, string | null>;
}

/** Maps one CRM record's properties onto workspace fields, honouring each field's direction. */
export function applyInbound(mapping: ObjectMapping, properties: Record<string, string | null>): InboundValues {
  const out: InboundValues = { columns: {}, custom: {} };
  for (const m of mapping) {
    if (m.direction === 'push' || !(m.crmField in properties)) continue;
    const raw = properties[m.crmField];
    const value = raw === null || raw === undefined || raw === '' ? null : raw;
    if (m.localField.startsWith('custom.')) out.custom[m.localField.slice('custom.'.length)] = value;
    else out.columns[m.localField] = value;
  }
  return out;
}

/**
 * The CRM properties a push sends for one workspace record: `push` and `both` fields only. Empty
 * workspace values are left out rather than sent as blanks, so a push never wipes what the CRM
 * knows and the workspace does not.
 */
export function applyOutbound(
  mapping: ObjectMapping,
  columns: Record<string, unknown>,
  custom: Record<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of mapping) {
    if (m.direction === 'pull') continue;
    const raw = m.localField.startsWith('custom.')
      ? custom[m.localField.slice('custom.'.length)]
      : columns[m.localField];
    if (raw === null || raw === undefined || String(raw).trim() === '') continue;
    out[m.crmField] = String(raw).trim();
  }
  return out;
}
