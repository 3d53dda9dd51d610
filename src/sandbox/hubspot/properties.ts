import type { HsObjectType, Portal } from './state';

/**
 * The property definitions a portal validates writes against: HubSpot's built-ins the adapter
 * touches, plus custom ones created through POST /crm/v3/properties/{type}. Enumerations refuse
 * values outside their options (INVALID_OPTION), as HubSpot does.
 */
export interface HsProperty {
  name: string;
  label: string;
  type: 'string' | 'enumeration' | 'datetime' | 'date' | 'number' | 'bool';
  fieldType: string;
  options?: string[];
  hasUniqueValue?: boolean;
  /** HubSpot sets the value (`modificationMetadata.readOnlyValue`): writes of it are refused. */
  readOnly?: boolean;
  /** Computed by HubSpot (`calculated`), and so read-only too. */
  calculated?: boolean;
}

const str = (name: string, label: string, extra: Partial<HsProperty> = {}): HsProperty => ({
  name,
  label,
  type: 'string',
  fieldType: 'text',
  ...extra,
});
const enumeration = (name: string, label: string, options: string[]): HsProperty => ({
  name,
  label,
  type: 'enumeration',
  fieldType: 'select',
  options,
});
const readOnly = (name: string, type: HsProperty['type'] = 'datetime'): HsProperty => ({
  name,
  label: name,
  type,
  fieldType: 'text',
  readOnly: true,
});

/** A HubSpot-computed count, such as a company's number of associated contacts. */
const calculatedCount = (name: string, label: string): HsProperty => ({
  name,
  label,
  type: 'number',
  fieldType: 'number',
  readOnly: true,
  calculated: true,
});

export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
];
/** The default `hs_lead_status` options. */
export const LEAD_STATUSES = [
  'NEW',
  'OPEN',
  'IN_PROGRESS',
  'OPEN_DEAL',
  'UNQUALIFIED',
  'ATTEMPTED_TO_CONTACT',
  'CONNECTED',
  'BAD_TIMING',
];
export const INDUSTRIES = [
  'COMPUTER_SOFTWARE',
  'FINANCIAL_SERVICES',
  'HOSPITAL_HEALTH_CARE',
  'RETAIL',
  'MARKETING_AND_ADVERTISING',
  'INFORMATION_TECHNOLOGY_AND_SERVICES',
];

const BUILT_IN: Record<HsObjectType, HsProperty[]> = {
  contacts: [
    str('email', 'Email', { hasUniqueValue: true }),
    str('firstname', 'First Name'),
    str('lastname', 'Last Name'),
    str('jobtitle', 'Job Title'),
    str('phone', 'Phone Number'),
    str('company', 'Company Name'),
    enumeration('lifecyclestage', 'Lifecycle Stage', LIFECYCLE_STAGES),
    enumeration('hs_lead_status', 'Lead Status', LEAD_STATUSES),
    str('hubspot_owner_id', 'Contact owner'),
    calculatedCount('num_associated_deals', 'Number of Associated Deals'),
    readOnly('hubspot_owner_assigneddate'),
    readOnly('hs_object_id', 'number'),
    // The ids merged into this record, ";"-separated (HubSpot sets it on a merge's survivor).
    readOnly('hs_merged_object_ids', 'string'),
    readOnly('createdate'),
    readOnly('lastmodifieddate'),
  ],
  companies: [
    str('name', 'Company name'),
    str('domain', 'Company Domain Name'),
    str('phone', 'Phone Number'),
    enumeration('industry', 'Industry', INDUSTRIES),
    enumeration('lifecyclestage', 'Lifecycle Stage', LIFECYCLE_STAGES),
    { name: 'numberofemployees', label: 'Number of Employees', type: 'number', fieldType: 'number' },
    str('hubspot_owner_id', 'Company owner'),
    calculatedCount('num_associated_contacts', 'Number of Associated Contacts'),
    readOnly('hubspot_owner_assigneddate'),
    readOnly('hs_object_id', 'number'),
    // The ids merged into this record, ";"-separated (HubSpot sets it on a merge's survivor).
    readOnly('hs_merged_object_ids', 'string'),
    readOnly('createdate'),
    readOnly('hs_lastmodifieddate'),
  ],
};

export function propertiesOf(portal: Portal, type: HsObjectType): HsProperty[] {
  return [...BUILT_IN[type], ...(portal.customProperties?.[type] ?? [])];
}

export function findProperty(portal: Portal, type: HsObjectType, name: string): HsProperty | undefined {
  return propertiesOf(portal, type).find((p) => p.name === name);
}

/**
 * The JSON HubSpot answers for one property definition. HubSpot's own properties have a read-only
 * definition and cannot be archived; the value is read-only for those HubSpot sets or computes.
 */
export function propertyJson(type: HsObjectType, p: HsProperty) {
  const builtIn = BUILT_IN[type].includes(p);
  return {
    name: p.name,
    label: p.label,
    type: p.type,
    fieldType: p.fieldType,
    groupName: type === 'contacts' ? 'contactinformation' : 'companyinformation',
    description: '',
    options: (p.options ?? []).map((value, displayOrder) => ({ label: value, value, displayOrder, hidden: false })),
    hasUniqueValue: !!p.hasUniqueValue,
    hidden: false,
    formField: false,
    calculated: !!p.calculated,
    externalOptions: false,
    hubspotDefined: builtIn,
    modificationMetadata: {
      archivable: !builtIn,
      readOnlyDefinition: builtIn,
      readOnlyValue: !!p.readOnly || !!p.calculated,
    },
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
    archived: false,
  };
}

export interface PropertyProblem {
  name: string;
  error: 'PROPERTY_DOESNT_EXIST' | 'INVALID_OPTION' | 'READ_ONLY_VALUE' | 'INVALID_EMAIL';
  message: string;
}

/** What HubSpot would refuse in one write's properties; empty when it would take them. */
export function propertyProblems(
  portal: Portal,
  type: HsObjectType,
  properties: Record<string, unknown>,
): PropertyProblem[] {
  const problems: PropertyProblem[] = [];
  for (const [name, raw] of Object.entries(properties)) {
    const def = findProperty(portal, type, name);
    const value = raw === null || raw === undefined ? '' : String(raw);
    if (!def) problems.push({ name, error: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
    else if (def.readOnly || def.calculated)
      problems.push({
        name,
        error: 'READ_ONLY_VALUE',
        message: `${name} is a read only property; its value cannot be set.`,
      });
    else if (def.type === 'enumeration' && value !== '' && !def.options!.includes(value)) {
      problems.push({
        name,
        error: 'INVALID_OPTION',
        message: `${value} was not one of the allowed options: [${def.options!.join(', ')}]`,
      });
    } else if (name === 'email' && value !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
      problems.push({ name, error: 'INVALID_EMAIL', message: `Email address ${value} is invalid` });
    }
  }
  return problems;
}

/** HubSpot's 400 body: the list of problems as a JSON string inside `message` (wire facts A5). */
export function validationBody(problems: PropertyProblem[]) {
  const list = problems.map((p) => ({
    isValid: false,
    message: p.message,
    error: p.error,
    name: p.name,
    localizedErrorMessage: p.message,
  }));
  return {
    status: 'error',
    message: `Property values were not valid: ${JSON.stringify(list)}`,
    category: 'VALIDATION_ERROR',
  };
}
