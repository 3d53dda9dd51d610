import { z } from 'zod';
import type { CrmName } from './types';

/**
 * What the workspace pushes to the CRM (seed 001 "Configure Push Settings", seed 003 push settings).
 * These govern NET-NEW records only: a record already linked to the CRM is pushed on every change,
 * whatever these say, and a manual push overrides the conditions.
 */

export const EMAIL_STATUSES = ['verified', 'guessed', 'unavailable'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

const stages = z.array(z.string().min(1, 'a stage must not be empty')).min(1, 'stages must list at least one stage');

/** Every condition given must hold; none given means every new contact is pushed. */
export const contactConditions = z
  .object({
    stages: stages.optional(),
    emailStatuses: z.array(z.enum(EMAIL_STATUSES)).min(1, 'emailStatuses must list at least one status').optional(),
    customField: z
      .object({
        field: z.string().regex(/^[A-Za-z0-9_]+$/, 'customField.field must be a workspace custom field name'),
        value: z.string(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ContactConditions = z.infer<typeof contactConditions>;

export const accountConditions = z.object({ stages: stages.optional() }).strict();

const sourceSchema = z
  .object({
    field: z.string().min(1, 'source.field must name a CRM field'),
    value: z.string().min(1, 'source.value must not be empty'),
  })
  .strict();

/** Seed 000 step 5: how an unlinked record is matched to an existing CRM record before one is created. */
export const duplicatesSchema = z
  .object({
    /** `email`: a person whose email the CRM holds is linked to that record; `off`: always created. */
    contacts: z.enum(['email', 'off']),
    /** `domain`: an account whose domain the CRM holds is linked to that record; `off`: always created. */
    accounts: z.enum(['domain', 'off']),
  })
  .strict();
export type DuplicateHandling = z.infer<typeof duplicatesSchema>;

/** A workspace list's id: what `lists create` makes of its name (lower case, digits, dashes). */
export const listId = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'a list id is lower-case letters, digits and dashes');

/**
 * Seed 000 "Sync Scope": only members of these workspace lists are pushed as net-new records
 * (contacts of contact lists, accounts of account lists). Null or absent: every record. A list id
 * the store does not have is a list without members.
 */
export const syncScope = z
  .object({
    lists: z.array(listId).min(1, 'scope.lists must name at least one list (a null scope pushes every record)'),
  })
  .strict();
export type SyncScope = z.infer<typeof syncScope>;

export const pushSettingsSchema = z
  .object({
    contacts: z.object({ enabled: z.boolean(), conditions: contactConditions }).strict(),
    accounts: z.object({ enabled: z.boolean(), conditions: accountConditions }).strict(),
    /** Written on people the sync creates, e.g. HubSpot `apollo_source` = "Apollo". */
    source: sourceSchema,
    /** Written on accounts the sync creates (seed 004); absent in older runs' state (see accountSourceOf). */
    accountSource: sourceSchema.optional(),
    /** Absent in older runs' state: matching on (see duplicatesOf). */
    duplicates: duplicatesSchema.optional(),
    /** Salesforce: new people become Leads or Contacts. Changing it converts nothing already pushed. */
    createPeopleAs: z.enum(['Lead', 'Contact']),
    /**
     * Off (the default; seed 004 makes it optional): a guessed email is left out of the pushed record,
     * and still used to find the person in the CRM; the record itself is still pushed.
     */
    pushGuessedEmails: z.boolean(),
    /** Absent in settings made before scopes, and by default: every record is in scope. */
    scope: syncScope.nullable().optional(),
  })
  .strict();
export type PushSettings = z.infer<typeof pushSettingsSchema>;

/** A patch names what it changes; `conditions`, when given, replaces the conditions whole. */
export const pushSettingsPatchSchema = z
  .object({
    contacts: z
      .object({ enabled: z.boolean().optional(), conditions: contactConditions.optional() })
      .strict()
      .optional(),
    accounts: z
      .object({ enabled: z.boolean().optional(), conditions: accountConditions.optional() })
      .strict()
      .optional(),
    source: z
      .object({ field: z.string().min(1).optional(), value: z.string().min(1).optional() })
      .strict()
      .optional(),
    accountSource: z
      .object({ field: z.string().min(1).optional(), value: z.string().min(1).optional() })
      .strict()
      .optional(),
    duplicates: z
      .object({
        contacts: duplicatesSchema.shape.contacts.optional(),
        accounts: duplicatesSchema.shape.accounts.optional(),
      })
      .strict()
      .optional(),
    createPeopleAs: pushSettingsSchema.shape.createPeopleAs.optional(),
    pushGuessedEmails: z.boolean().optional(),
    /** Replaces the scope whole; null removes it. */
    scope: syncScope.nullable().optional(),
  })
  .strict();
export type PushSettingsPatch = z.infer<typeof pushSettingsPatchSchema>;

/** The field each CRM's source value goes to by default; the HubSpot one is created by the adapter. */
export const DEFAULT_SOURCE_FIELD: Record<CrmName, string> = { hubspot: 'apollo_source', salesforce: 'LeadSource' };
/** Accounts' own source field (seed 004): HubSpot the same `apollo_source`, on companies; Salesforce's picklist. */
export const DEFAULT_ACCOUNT_SOURCE_FIELD: Record<CrmName, string> = {
  hubspot: 'apollo_source',
  salesforce: 'AccountSource',
};
const DEFAULT_DUPLICATES: DuplicateHandling = { contacts: 'email', accounts: 'domain' };

/** The account source; settings carried from runs before it existed have none: the default. */
export function accountSourceOf(crm: CrmName, s: PushSettings): { field: string; value: string } {
  return s.accountSource ?? { field: DEFAULT_ACCOUNT_SOURCE_FIELD[crm], value: 'Apollo' };
}

/** Duplicate handling; settings carried from runs before it existed have none: today's matching. */
export function duplicatesOf(s: PushSettings): DuplicateHandling {
  return s.duplicates ?? DEFAULT_DUPLICATES;
}

export function defaultPushSettings(crm: CrmName): PushSettings {
  return {
    contacts: { enabled: true, conditions: {} },
    // "By default, Apollo pushes new accounts to HubSpot" (seed 001).
    accounts: { enabled: true, conditions: {} },
    source: { field: DEFAULT_SOURCE_FIELD[crm], value: 'Apollo' },
    accountSource: { field: DEFAULT_ACCOUNT_SOURCE_FIELD[crm], value: 'Apollo' },
    duplicates: { ...DEFAULT_DUPLICATES },
    createPeopleAs: crm === 'salesforce' ? 'Lead' : 'Contact',
    // Seed 004: "(Optional) Check Push contacts and leads with guessed emails": off unless checked.
    pushGuessedEmails: false,
  };
}

export function mergePushSettings(crm: CrmName, current: PushSettings, patch: PushSettingsPatch): PushSettings {
  // Left out while never set, so settings (and what they send to the push) stay as they were.
  const scope = patch.scope !== undefined ? patch.scope : current.scope;
  const next: PushSettings = {
    contacts: {
      enabled: patch.contacts?.enabled ?? current.contacts.enabled,
      conditions: patch.contacts?.conditions ?? current.contacts.conditions,
    },
    accounts: {
      enabled: patch.accounts?.enabled ?? current.accounts.enabled,
      conditions: patch.accounts?.conditions ?? current.accounts.conditions,
    },
    source: { field: patch.source?.field ?? current.source.field, value: patch.source?.value ?? current.source.value },
    accountSource: {
      field: patch.accountSource?.field ?? accountSourceOf(crm, current).field,
      value: patch.accountSource?.value ?? accountSourceOf(crm, current).value,
    },
    duplicates: {
      contacts: patch.duplicates?.contacts ?? duplicatesOf(current).contacts,
      accounts: patch.duplicates?.accounts ?? duplicatesOf(current).accounts,
    },
    createPeopleAs: patch.createPeopleAs ?? current.createPeopleAs,
    pushGuessedEmails: patch.pushGuessedEmails ?? current.pushGuessedEmails,
    ...(scope !== undefined ? { scope } : {}),
  };
  if (crm === 'hubspot' && next.createPeopleAs === 'Lead')
    throw new Error('push.createPeopleAs: HubSpot has no leads; new people are created as contacts');
  return next;
}
