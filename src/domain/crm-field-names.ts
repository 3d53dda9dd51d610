import type { CrmName } from './types';

/**
 * The identifier syntax of each CRM's field names, checked before a name goes anywhere near the
 * CRM: a Salesforce name ends up inside SOQL text, so anything that is not an identifier must be
 * refused here rather than concatenated into a query.
 *
 * HubSpot internal property names: lowercase letters, digits and underscores, beginning with a
 * letter, at most 100 characters (HubSpot answers other names with "Names for properties should be
 * lowercase and have less than 100 characters"; the property editor caps the internal name at 100).
 *
 * Salesforce API field names: `Name` for a standard field, `Name__c` for a custom one,
 * `ns__Name__c` for one from a managed package (namespace: 1-15 letters and digits, beginning with
 * a letter), plus the `__pc` person-account form and a geolocation field's `__Latitude__s` /
 * `__Longitude__s` components. The name itself begins with a letter, holds letters, digits and
 * underscores, never two underscores in a row nor one at its end, and is at most 40 characters.
 * SOQL compares field names case-insensitively, so the suffixes are matched that way too.
 */

export const HUBSPOT_NAME_MAX = 100;
export const SALESFORCE_NAME_MAX = 40;
const NAMESPACE_MAX = 15;
const SALESFORCE_SUFFIXES = ['__c', '__pc', '__latitude__s', '__longitude__s'];

/** One sentence saying why `name` is not a field name of `crm`; null when it is one. */
export function crmFieldNameProblem(crm: CrmName, name: string): string | null {
  return crm === 'hubspot' ? hubspotProblem(name) : salesforceProblem(name);
}

function hubspotProblem(name: string): string | null {
  const what = `HubSpot property name ${shown(name)}`;
  if (name === '') return 'a HubSpot property name must not be empty';
  if (name.length > HUBSPOT_NAME_MAX) return `${what} is longer than the ${HUBSPOT_NAME_MAX} characters HubSpot allows`;
  if (!/^[A-Za-z0-9_]+$/.test(name)) return `${what} may contain only lowercase letters, digits and underscores`;
  if (/[A-Z]/.test(name)) return `${what} must be lowercase, as HubSpot internal names are`;
  if (!/^[a-z]/.test(name)) return `${what} must begin with a letter`;
  return null;
}

function salesforceProblem(name: string): string | null {
  const what = `Salesforce field name ${shown(name)}`;
  if (name === '') return 'a Salesforce field name must not be empty';
  if (!/^[A-Za-z0-9_]+$/.test(name)) return `${what} may contain only letters, digits and underscores`;
  if (!/^[A-Za-z]/.test(name)) return `${what} must begin with a letter`;
  if (name.endsWith('_')) return `${what} must not end with an underscore`;

  const lower = name.toLowerCase();
  const suffix = SALESFORCE_SUFFIXES.find((s) => lower.endsWith(s)) ?? '';
  let base = name.slice(0, name.length - suffix.length);
  if (suffix) {
    const ns = /^([A-Za-z0-9]+)__(.+)$/.exec(base);
    if (ns) {
      if (ns[1].length > NAMESPACE_MAX)
        return `${what} has a namespace prefix longer than the ${NAMESPACE_MAX} characters Salesforce allows`;
      base = ns[2];
    }
  }
  if (base.includes('__'))
    return suffix
      ? `${what} may use two underscores in a row only after a namespace prefix and before its ${suffix} suffix`
      : `${what} may use two underscores in a row only in a custom field's namespace prefix and suffix (such as __c)`;
  if (base === '' || base.endsWith('_') || !/^[A-Za-z]/.test(base))
    return `${what} must have a name that begins with a letter and does not end with an underscore before its suffix`;
  if (base.length > SALESFORCE_NAME_MAX)
    return `${what} is longer than the ${SALESFORCE_NAME_MAX} characters Salesforce allows for a field name`;
  return null;
}

/** The name as a quoted string, cut short when long, so a message stays one readable line. */
function shown(name: string): string {
  return JSON.stringify(name.length > 60 ? `${name.slice(0, 57)}...` : name);
}
