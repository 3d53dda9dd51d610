import { crmFieldNameProblem } from './crm-field-names';
import type { CrmName, ObjectKind } from './types';

/**
 * A field mapping checked against what the CRM says of its fields, when the mapping is set rather
 * than record by record at push time: the field must exist on every CRM object the entry applies
 * to, a field the workspace writes (`push` / `both`) must be writable, and the workspace values it
 * would send must fit a restricted picklist, the field's type and its length. Pure: the activity
 * fetches the CRM's field descriptions and a sample of workspace values and hands them in.
 */

/** What the check reads of one mapping entry (a field-mapping entry has at least these). */
export interface MappingCheckEntry {
  crmField: string;
  localField: string;
  direction: 'pull' | 'push' | 'both';
  /** Salesforce contacts span Lead and Contact: the one object this field lives on, if only one. */
  crmObject?: 'Lead' | 'Contact';
}

/** What a CRM says of one field (the CRM port's FieldInfo): what the mapping check judges by. */
export interface CrmFieldFacts {
  /** The CRM's type name: HubSpot `string`, `enumeration`, `number`...; Salesforce `string`, `picklist`, `email`... */
  type: string;
  /** Allowed values when the field is a picklist / enumeration. */
  options: string[] | null;
  /** Whether the CRM refuses values outside `options`. */
  restricted: boolean;
  /** A value holds several options joined by ";" (Salesforce multipicklist, HubSpot checkbox enumeration). */
  multiValued: boolean;
  /**
   * Whether a push may write it: HubSpot `modificationMetadata.readOnlyValue` false and not
   * `calculated`; Salesforce `createable` and `updateable` (a push both creates and updates).
   */
  writable: boolean;
  /** Computed by the CRM (HubSpot `calculated`, Salesforce formula fields). */
  calculated: boolean;
  /** Most characters the field holds (Salesforce `length` of text fields); null when the CRM sets none. */
  length: number | null;
}

/** The CRM objects a kind's mapping applies to, named as the CRM port's describe calls take them. */
export type MappedObject = 'contact' | 'account' | 'Lead' | 'Contact';

export interface CrmObjectFields {
  object: MappedObject;
  /** How messages name it, e.g. "Salesforce Lead", "HubSpot contacts". */
  label: string;
  /** By CRM field name as the mapping spells it; null: the object has no such field. */
  fields: ReadonlyMap<string, CrmFieldFacts | null>;
}

export interface MappingCheckInput {
  crm: CrmName;
  kind: ObjectKind;
  entries: readonly MappingCheckEntry[];
  /** The objects of `crmObjectsFor(crm, kind)` with the descriptions of the entries' fields. */
  objects: readonly CrmObjectFields[];
  /** Distinct non-empty workspace values per local field (a sample, longest first). */
  values: ReadonlyMap<string, readonly string[]>;
}

const SHOWN_VALUES = 3;
const SHOWN_OPTIONS = 20;

/** Where a kind's mapping goes in each CRM: Salesforce people are Leads and Contacts. */
export function crmObjectsFor(crm: CrmName, kind: ObjectKind): { object: MappedObject; label: string }[] {
  if (crm === 'hubspot')
    return kind === 'contact'
      ? [{ object: 'contact', label: 'HubSpot contacts' }]
      : [{ object: 'account', label: 'HubSpot companies' }];
  return kind === 'contact'
    ? [
        { object: 'Lead', label: 'Salesforce Lead' },
        { object: 'Contact', label: 'Salesforce Contact' },
      ]
    : [{ object: 'account', label: 'Salesforce Account' }];
}

/** The objects an entry's CRM field must exist on: its crmObject alone when it names one of them. */
export function objectsOfEntry<T extends { object: MappedObject }>(
  entry: MappingCheckEntry,
  objects: readonly T[],
): T[] {
  const only = entry.crmObject ? objects.filter((o) => o.object === entry.crmObject) : [];
  return only.length ? only : [...objects];
}

/** One sentence per problem; empty when the mapping may be set. */
export function mappingCheckProblems(input: MappingCheckInput): string[] {
  const problems: string[] = [];
  for (const entry of input.entries) {
    const nameProblem = crmFieldNameProblem(input.crm, entry.crmField);
    if (nameProblem) {
      problems.push(`${input.kind} field mapping of "${entry.localField}": ${nameProblem}`);
      continue;
    }
    const objects = objectsOfEntry(entry, input.objects);
    const missing = objects.filter((o) => !o.fields.get(entry.crmField));
    if (missing.length) {
      problems.push(unknownField(input, entry, missing, objects));
      continue;
    }
    if (entry.direction === 'pull') continue;
    // A push writes the field on each object: the first refusal found is the one to fix.
    for (const o of objects) {
      const problem = pushProblem(input, entry, o.label, o.fields.get(entry.crmField)!);
      if (problem) {
        problems.push(problem);
        break;
      }
    }
  }
  return problems;
}

function unknownField(
  input: MappingCheckInput,
  entry: MappingCheckEntry,
  missing: readonly CrmObjectFields[],
  objects: readonly CrmObjectFields[],
): string {
  const where = missing.map((o) => o.label).join(' or ');
  const base = `${input.kind} field mapping names ${fieldWord(input.crm)} "${entry.crmField}", which does not exist on ${where}`;
  const has = objects.filter((o) => !missing.includes(o));
  // Salesforce: a field only one of Lead / Contact has (Lead.Status) is mapped with crmObject.
  if (has.length === 1 && (has[0].object === 'Lead' || has[0].object === 'Contact'))
    return `${base} (set "crmObject": "${has[0].object}" if it belongs there only)`;
  return base;
}

function pushProblem(
  input: MappingCheckInput,
  entry: MappingCheckEntry,
  label: string,
  f: CrmFieldFacts,
): string | null {
  const target = `${input.kind} field mapping pushes workspace field "${entry.localField}" to ${label} ${fieldWord(input.crm)} "${entry.crmField}"`;
  if (!f.writable || f.calculated) {
    const why = !f.calculated
      ? 'read-only'
      : input.crm === 'hubspot'
        ? 'calculated by HubSpot and read-only'
        : 'a formula field and read-only';
    return `${target}, which is ${why}, so map it with direction "pull" or choose another field`;
  }
  const values = input.values.get(entry.localField) ?? [];
  if (f.restricted && f.options) {
    const allowed = new Set(f.options);
    const bad = values.filter((v) => partsOf(v, f).some((p) => !allowed.has(p)));
    if (bad.length)
      return `${target}, a restricted picklist that does not allow the workspace ${valuesText(bad)} (allowed: ${optionsText(f.options)})`;
  }
  const kind = valueKind(f.type);
  if (kind) {
    const bad = values.filter((v) => !fitsKind(kind, v));
    if (bad.length)
      return `${target}, a ${kind} field, but the workspace ${valuesText(bad)} ${bad.length === 1 ? `is not ${KIND_NOUN[kind][0]}` : `are not ${KIND_NOUN[kind][1]}`}`;
  }
  if (f.length !== null && f.length > 0) {
    const max = f.length;
    const bad = values.filter((v) => [...v].length > max);
    if (bad.length)
      return `${target}, which holds at most ${max} characters, and the workspace ${valuesText(bad)} ${bad.length === 1 ? 'is' : 'are'} longer`;
  }
  return null;
}

function fieldWord(crm: CrmName): string {
  return crm === 'hubspot' ? 'property' : 'field';
}

/** A multi-select value holds several options, joined by ";". */
function partsOf(value: string, f: CrmFieldFacts): string[] {
  return f.multiValued
    ? value
        .split(';')
        .map((p) => p.trim())
        .filter((p) => p !== '')
    : [value];
}

type ValueKind = 'number' | 'boolean' | 'date' | 'datetime';
/** What a value of the kind is, for one value and for several. */
const KIND_NOUN: Record<ValueKind, [string, string]> = {
  number: ['a number', 'numbers'],
  boolean: ['true or false', 'true or false'],
  date: ['a date (YYYY-MM-DD)', 'dates (YYYY-MM-DD)'],
  datetime: ['an ISO 8601 date-time', 'ISO 8601 date-times'],
};

/** The types whose values the workspace's text must parse as (HubSpot and Salesforce type names). */
function valueKind(type: string): ValueKind | null {
  switch (type) {
    case 'number':
    case 'int':
    case 'double':
    case 'currency':
    case 'percent':
      return 'number';
    case 'bool':
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    default:
      return null;
  }
}

/** HubSpot also takes dates and date-times as epoch milliseconds. */
const EPOCH_MS = /^\d{12,13}$/;

function fitsKind(kind: ValueKind, v: string): boolean {
  switch (kind) {
    case 'number':
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v);
    case 'boolean':
      return /^(true|false)$/i.test(v);
    case 'date':
      return EPOCH_MS.test(v) || (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)));
    case 'datetime':
      return (
        EPOCH_MS.test(v) ||
        (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) &&
          !Number.isNaN(Date.parse(v)))
      );
  }
}

/** `value "a"`, `values "a", "b" and "c"`, `values "a", "b", "c" and 4 more`. */
function valuesText(bad: readonly string[]): string {
  const shown = bad.slice(0, SHOWN_VALUES).map(quoteShort);
  if (bad.length === 1) return `value ${shown[0]}`;
  const rest = bad.length - shown.length;
  if (rest > 0) return `values ${shown.join(', ')} and ${rest} more`;
  return `values ${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

function optionsText(options: readonly string[]): string {
  if (!options.length) return 'none';
  const shown = options.slice(0, SHOWN_OPTIONS).join(', ');
  return options.length > SHOWN_OPTIONS ? `${shown} and ${options.length - SHOWN_OPTIONS} more` : shown;
}

function quoteShort(v: string): string {
  const chars = [...v];
  return JSON.stringify(chars.length > 40 ? `${chars.slice(0, 37).join('')}...` : v);
}
