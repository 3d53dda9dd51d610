/**
 * The sObjects the sandbox emulates and their fields, as `describe` reports them. Field types drive
 * how SOQL literals compare (a datetime field wants an unquoted datetime literal, as in Salesforce).
 */

export const SOBJECTS = ['Lead', 'Contact', 'Account', 'User'] as const;
export type SObjectName = (typeof SOBJECTS)[number];

export type FieldType =
  'id' | 'reference' | 'string' | 'email' | 'phone' | 'url' | 'picklist' | 'boolean' | 'datetime' | 'date' | 'int';

export interface FieldDef {
  name: string;
  type: FieldType;
  /** Required on create (not nillable, createable, no default). */
  required?: boolean;
  picklist?: { values: string[]; restricted: boolean };
  /** Set by the system only (describe: neither createable nor updateable). */
  readonly?: boolean;
  externalId?: boolean;
  /** Most characters a text field holds, as describe's `length` reports it (a standard org's). */
  length?: number;
}

const system: FieldDef[] = [
  { name: 'Id', type: 'id', readonly: true },
  { name: 'CreatedDate', type: 'datetime', readonly: true },
  { name: 'LastModifiedDate', type: 'datetime', readonly: true },
  { name: 'SystemModstamp', type: 'datetime', readonly: true },
];
/** Records that can be deleted (to the recycle bin) and merged. */
const mergeable: FieldDef[] = [
  { name: 'IsDeleted', type: 'boolean', readonly: true },
  { name: 'MasterRecordId', type: 'reference', readonly: true },
];

export const LEAD_STATUSES = [
  'Open - Not Contacted',
  'Working - Contacted',
  'Closed - Converted',
  'Closed - Not Converted',
];
export const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Apollo', 'Other'];
export const INDUSTRIES = ['Technology', 'Finance', 'Healthcare', 'Manufacturing', 'Retail', 'Education', 'Energy'];

/** Picklists report 255 characters in current API versions. */
const PICKLIST_LENGTH = 255;
/** The external id the push creates records by (a custom text field of 255). */
const apolloId: FieldDef = { name: 'Apollo_Id__c', type: 'string', externalId: true, length: 255 };

/** What a Contact and a Lead both hold about a person. */
const person: FieldDef[] = [
  { name: 'FirstName', type: 'string', length: 40 },
  { name: 'LastName', type: 'string', required: true, length: 80 },
  // The compound name (Salutation FirstName MiddleName LastName Suffix) is read-only.
  { name: 'Name', type: 'string', readonly: true, length: 121 },
  { name: 'Email', type: 'email', length: 80 },
  { name: 'Title', type: 'string', length: 128 },
  { name: 'Phone', type: 'phone', length: 40 },
  {
    name: 'LeadSource',
    type: 'picklist',
    picklist: { values: LEAD_SOURCES, restricted: false },
    length: PICKLIST_LENGTH,
  },
  { name: 'OwnerId', type: 'reference' },
  apolloId,
];

export const SCHEMA: Record<SObjectName, FieldDef[]> = {
  User: [
    ...system,
    { name: 'Username', type: 'string', required: true, length: 80 },
    { name: 'Email', type: 'email', required: true, length: 128 },
    { name: 'FirstName', type: 'string', length: 40 },
    { name: 'LastName', type: 'string', required: true, length: 80 },
    { name: 'Name', type: 'string', readonly: true, length: 121 },
    { name: 'IsActive', type: 'boolean' },
  ],
  Account: [
    ...system,
    ...mergeable,
    { name: 'Name', type: 'string', required: true, length: 255 },
    { name: 'Website', type: 'url', length: 255 },
    { name: 'Phone', type: 'phone', length: 40 },
    {
      name: 'Industry',
      type: 'picklist',
      picklist: { values: INDUSTRIES, restricted: false },
      length: PICKLIST_LENGTH,
    },
    {
      name: 'AccountSource',
      type: 'picklist',
      picklist: { values: LEAD_SOURCES, restricted: false },
      length: PICKLIST_LENGTH,
    },
    { name: 'NumberOfEmployees', type: 'int' },
    { name: 'OwnerId', type: 'reference' },
    apolloId,
  ],
  Contact: [...system, ...mergeable, ...person, { name: 'AccountId', type: 'reference' }],
  Lead: [
    ...system,
    ...mergeable,
    ...person,
    { name: 'Company', type: 'string', required: true, length: 255 },
    {
      name: 'Status',
      type: 'picklist',
      picklist: { values: LEAD_STATUSES, restricted: true },
      length: PICKLIST_LENGTH,
    },
    { name: 'IsConverted', type: 'boolean', readonly: true },
    { name: 'ConvertedDate', type: 'date', readonly: true },
    { name: 'ConvertedContactId', type: 'reference', readonly: true },
    { name: 'ConvertedAccountId', type: 'reference', readonly: true },
    { name: 'ConvertedOpportunityId', type: 'reference', readonly: true },
  ],
};

/** Salesforce id key prefixes. */
export const KEY_PREFIX: Record<SObjectName, string> = { Account: '001', Contact: '003', Lead: '00Q', User: '005' };

export function sobjectName(name: string): SObjectName | undefined {
  return SOBJECTS.find((s) => s.toLowerCase() === name.toLowerCase());
}

/** Case-insensitive field lookup, as SOQL and the REST API treat field names. */
export function fieldDef(sobject: SObjectName, name: string): FieldDef | undefined {
  const lower = name.toLowerCase();
  return SCHEMA[sobject].find((f) => f.name.toLowerCase() === lower);
}

/**
 * How one org's set-up differs from the standard one above: custom fields its administrator never
 * created (`Contact.Apollo_Id__c`), picklists restricted or edited (`Lead.LeadSource`). A real org's
 * set-up is its own; tests make an org without our external id, or with a restricted LeadSource,
 * through the admin API (`PUT /_admin/orgs/<id>/schema`). Absent: the standard set-up.
 */
export interface SchemaChanges {
  /** `Object.Field` names the org does not have. */
  removed?: string[];
  /** `Object.Field` picklists with the org's own values. */
  picklists?: Record<string, { values: string[]; restricted: boolean }>;
}

/** The fields of an sObject in this org, in describe order. */
export function orgFields(changes: SchemaChanges | undefined, sobject: SObjectName): FieldDef[] {
  if (!changes) return SCHEMA[sobject];
  const removed = new Set((changes.removed ?? []).map((n) => n.toLowerCase()));
  return SCHEMA[sobject]
    .filter((f) => !removed.has(`${sobject}.${f.name}`.toLowerCase()))
    .map((f) => {
      const p = changes.picklists?.[`${sobject}.${f.name}`];
      return p && f.picklist ? { ...f, picklist: { values: [...p.values], restricted: p.restricted } } : f;
    });
}

/** fieldDef for one org's set-up. */
export function orgFieldDef(
  changes: SchemaChanges | undefined,
  sobject: SObjectName,
  name: string,
): FieldDef | undefined {
  if (!changes) return fieldDef(sobject, name);
  const lower = name.toLowerCase();
  return orgFields(changes, sobject).find((f) => f.name.toLowerCase() === lower);
}
