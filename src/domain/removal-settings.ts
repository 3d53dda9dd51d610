import { z } from 'zod';
import type { CrmName } from './types';

/**
 * Deletion and merge sync (seed 001 "Contact deletion sync" / "Contact merge sync", the same for
 * accounts and deals; seed 003 "Mind the Merge"): per object, off unless turned on. `leads` exists
 * on Salesforce only, where people are Leads or Contacts.
 *
 * Deletion on: a record deleted in the CRM is deleted in the workspace, and a workspace deletion
 * deletes the linked CRM record. Off: each side keeps its record; a CRM deletion leaves the
 * workspace record unlinked and marked as deleted in the CRM.
 * Merge on: workspace records linked to merged-away CRM records are merged into the one linked to
 * the survivor. Off: they are unlinked and flagged.
 */
export const REMOVAL_OBJECTS = ['contacts', 'accounts', 'leads'] as const;
export type RemovalObject = (typeof REMOVAL_OBJECTS)[number];

const perObject = z
  .object(
    { contacts: z.boolean().optional(), accounts: z.boolean().optional(), leads: z.boolean().optional() },
    { invalid_type_error: 'must be an object of booleans by object, e.g. {"contacts": true, "accounts": false}' },
  )
  .strict();
export type RemovalSwitches = z.infer<typeof perObject>;

export const removalSettingsSchema = { deletion: perObject.optional(), merge: perObject.optional() };

/** The object a CRM record's removal setting is keyed by. */
export function removalObjectOf(crm: CrmName, crmObject: string): RemovalObject {
  if (crm === 'salesforce') return crmObject === 'Lead' ? 'leads' : crmObject === 'Account' ? 'accounts' : 'contacts';
  return crmObject === 'companies' ? 'accounts' : 'contacts';
}

/** A patch's switches merged into the current ones (keys left out keep their value). */
export function mergeSwitches(
  crm: CrmName,
  what: 'deletion' | 'merge',
  current: RemovalSwitches | undefined,
  patch: RemovalSwitches | undefined,
): RemovalSwitches | undefined {
  if (patch === undefined) return current;
  if (crm === 'hubspot' && patch.leads !== undefined)
    throw new Error(`${what}.leads: HubSpot has no leads; its people are contacts (use ${what}.contacts)`);
  return { ...(current ?? {}), ...patch };
}

/** What deletion and merge sync did, since the integration connected (status `removals`). */
export interface RemovalTotals {
  deleted: number;
  unlinked: number;
  merged: number;
}

export function removalOn(switches: RemovalSwitches | undefined, object: RemovalObject): boolean {
  return switches?.[object] === true;
}
