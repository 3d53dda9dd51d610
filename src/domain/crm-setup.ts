import { z } from 'zod';

/**
 * What a CRM must have been set up with before the sync can write to it, and the sentences an
 * operator reads in `status.setup` when it has not. Pure: the adapters find the facts (a describe,
 * a property list, a 403), this module says what they mean and how to fix them.
 *
 * A set-up problem is not a record's fault, so it never goes to the error log: pushes wait (their
 * outbox rows stay due) until the set-up is fixed, and then go on by themselves.
 */

export const SETUP_PROBLEM_CODES = [
  /** A field or property the sync writes by does not exist. */
  'missingField',
  /** It exists but is not what the sync needs (not an External ID, not unique-valued). */
  'wrongField',
  /** The token may not do what the set-up needs (HubSpot MISSING_SCOPES). */
  'missingScope',
  /** A restricted picklist does not allow the value the sync writes. */
  'picklistValue',
] as const;
export type SetupProblemCode = (typeof SETUP_PROBLEM_CODES)[number];

export interface SetupProblem {
  code: SetupProblemCode;
  /** The CRM object and field (or scope) it is about, e.g. `Contact.Apollo_Id__c`. */
  subject: string;
  /** One sentence: what is wrong and how to fix it. */
  message: string;
}

/** What a set-up check found: what is missing, and what the check created itself. */
export interface SetupReport {
  problems: SetupProblem[];
  /** One sentence per thing created, e.g. the HubSpot property `apollo_contact_id` on contacts. */
  created: string[];
}

export const setupProblemSchema = z
  .object({ code: z.enum(SETUP_PROBLEM_CODES), subject: z.string(), message: z.string() })
  .strict();

/** A failure detail's problem list, or null when it is not one (a workflow reads it defensively). */
export function parseSetupProblems(raw: unknown): SetupProblem[] | null {
  const r = z.array(setupProblemSchema).safeParse(raw);
  return r.success ? r.data : null;
}

/** The Salesforce custom field new records are upserted on. */
export function missingExternalId(object: string, field: string): SetupProblem {
  return {
    code: 'missingField',
    subject: `${object}.${field}`,
    message: `Salesforce ${object} has no field ${field}: an administrator creates it as a Text(255) custom field marked External ID and Unique (Setup > Object Manager > ${object} > Fields & Relationships), then pushes go on by themselves.`,
  };
}

export function notExternalId(object: string, field: string): SetupProblem {
  return {
    code: 'wrongField',
    subject: `${object}.${field}`,
    message: `Salesforce ${object}.${field} is not marked External ID: an administrator edits the field and ticks External ID and Unique, then pushes go on by themselves.`,
  };
}

/** A HubSpot property the sync needs but may not create with this token. */
export function missingPropertyScope(object: string, property: string, scopes: readonly string[]): SetupProblem {
  const needed = scopes.length ? scopes.join(' or ') : `crm.schemas.${object}.write`;
  return {
    code: 'missingScope',
    subject: `${object}.${property}`,
    message: `HubSpot ${object} has no property ${property} and this token may not create it (missing scope ${needed}): grant the app that scope and reconnect, or create ${property} yourself as a single-line text property${
      property.endsWith('_id') ? ' with unique values' : ''
    }.`,
  };
}

/** A call the token's scopes do not cover, met outside the set-up check (a pull, a push). */
export function callMissingScope(cause: string, scopes: readonly string[]): SetupProblem {
  const needed = scopes.length ? scopes.join(' or ') : 'the scope the call needs';
  return {
    code: 'missingScope',
    subject: scopes.join(',') || 'scope',
    message: `${cause}: grant the app ${needed} and reconnect.`,
  };
}

/** A key property that exists but lets two records hold one value, so upserts on it would be ambiguous. */
export function notUniqueProperty(object: string, property: string): SetupProblem {
  return {
    code: 'wrongField',
    subject: `${object}.${property}`,
    message: `HubSpot ${object} property ${property} exists but does not require unique values: delete it (the sync then creates it unique) or recreate it with unique values.`,
  };
}

/** `where` names the object as an operator knows it, e.g. "Salesforce Lead", "HubSpot contacts". */
export function picklistValueMissing(
  where: string,
  field: string,
  value: string,
  allowed: readonly string[],
): SetupProblem {
  return {
    code: 'picklistValue',
    subject: `${where} ${field}`,
    message: `${where} field ${field} is a restricted picklist without the value "${value}" the sync writes on new records (allowed: ${allowed.join(', ')}): add "${value}" to the picklist, or change the push source setting.`,
  };
}

/** A source field the settings name that the CRM does not have (and the sync does not create). */
export function missingSourceField(where: string, field: string): SetupProblem {
  return {
    code: 'missingField',
    subject: `${where} ${field}`,
    message: `${where} has no field ${field}, which the push source setting writes on new records: create it, or change the setting.`,
  };
}

/** The one line a push failure shows while the set-up is incomplete; the list is `status.setup`. */
export function setupIncompleteMessage(problems: readonly SetupProblem[]): string {
  const first = problems[0]?.message ?? 'the CRM set-up is incomplete';
  return problems.length > 1
    ? `CRM set-up incomplete (${problems.length} problems, see status.setup); pushes wait: ${first}`
    : `CRM set-up incomplete; pushes wait: ${first}`;
}
