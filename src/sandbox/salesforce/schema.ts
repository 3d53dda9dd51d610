/**
 * The sObjects the sandbox emulates and their fields, as `describe` reports them. Field types drive
 * how SOQL literals compare (a datetime field wants an unquoted datetime literal, as in Salesforce).
 */

export const SOBJECTS = ['Lead', 'Contact', 'Account', 'User'] as const;
export type SObjectName = (typeof SOBJECTS)[number];

export type FieldType =
  'id' | 'reference' | 'string' | 'email' | 'phone' | 'url' | 'picklist' | 'boolean' | 'datetime' | 'date';

export interface FieldDef {
  name: string;
  type: FieldType;
  /** Required on create (not nillable, createable, no default). */
  required?: boolean;
  picklist?: { values: string[]; restricted: boolean };
  /** Set by the system only. */
  readonly?: boolean;
  externalId?: boolean;
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

/** What a Contact and a Lead both hold about a person. */
const person: FieldDef[] = [
  { name: 'FirstName', type: 'string' },
  { name: 'LastName', type: 'string', required: true },
  { name: 'Name', type: 'string', readonly: true },
  { name: 'Email', type: 'email' },
  { name: 'Title', type: 'string' },
  { name: 'Phone', type: 'phone' },
  { name: 'LeadSource', type: 'picklist', picklist: { values: LEAD_SOURCES, restricted: false } },
  { name: 'OwnerId', type: 'reference' },
  { name: 'Apollo_Id__c', type: 'string', externalId: true },
];

export const SCHEMA: Record<SObjectName, FieldDef[]> = {
  User: [
    ...system,
    { name: 'Username', type: 'string', required: true },
    { name: 'Email', type: 'email', required: true },
    { name: 'FirstName', type: 'string' },
    { name: 'LastName', type: 'string', required: true },
    { name: 'Name', type: 'string', readonly: true },
    { name: 'IsActive', type: 'boolean' },
  ],
  Account: [
    ...system,
    ...mergeable,
    { name: 'Name', type: 'string', required: true },
    { name: 'Website', type: 'url' },
    { name: 'Phone', type: 'phone' },
    { name: 'Industry', type: 'picklist', picklist: { values: INDUSTRIES, restricted: false } },
    { name: 'AccountSource', type: 'picklist', picklist: { values: LEAD_SOURCES, restricted: false } },
    { name: 'OwnerId', type: 'reference' },
    { name: 'Apollo_Id__c', type: 'string', externalId: true },
  ],
  Contact: [...system, ...mergeable, ...person, { name: 'AccountId', type: 'reference' }],
  Lead: [
    ...system,
    ...mergeable,
    ...person,
    { name: 'Company', type: 'string', required: true },
    { name: 'Status', type: 'picklist', picklist: { values: LEAD_STATUSES, restricted: true } },
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
