import type { PushSettings, SyncScope } from './push-settings';

/**
 * Whether one workspace record goes to the CRM on this push (seed 001). Pure: the push activity
 * asks for each record of a batch; a record that is not pushed leaves the outbox without an error
 * (the error log holds only records the CRM was asked to take and refused).
 */

export interface ContactFacts {
  email: string | null;
  stage: string | null;
  emailStatus: string | null;
  custom: Record<string, unknown>;
  /** The workspace lists the record is in; read only when the settings have a sync scope. */
  lists?: readonly string[];
}

export interface AccountFacts {
  stage: string | null;
  lists?: readonly string[];
}

export interface PushContext {
  /** Already linked to a CRM record: updates are pushed whatever the settings say. */
  linked: boolean;
  /** Pushed by hand (`pushRecords`): overrides the conditions. */
  manual: boolean;
}

export type PushDecision = { push: true } | { push: false; reason: string };

const YES: PushDecision = { push: true };

export function decideContactPush(c: ContactFacts, settings: PushSettings, ctx: PushContext): PushDecision {
  if (ctx.linked || ctx.manual) return YES;
  if (!settings.contacts.enabled) return { push: false, reason: 'contact push is disabled' };
  const scoped = decideScope(settings.scope, c.lists);
  if (!scoped.push) return scoped;
  const { stages, emailStatuses, customField } = settings.contacts.conditions;
  if (stages && !inList(c.stage, stages))
    return { push: false, reason: `stage ${c.stage ?? '(none)'} is not in ${stages.join(', ')}` };
  if (emailStatuses) {
    // "If push filters ... require a selected email status, contacts without an email address won't sync."
    if (!c.email) return { push: false, reason: 'no email, and push requires an email status' };
    if (!inList(c.emailStatus, emailStatuses))
      return { push: false, reason: `email status ${c.emailStatus ?? '(none)'} is not in ${emailStatuses.join(', ')}` };
  }
  if (customField && String(c.custom[customField.field] ?? '') !== customField.value) {
    return { push: false, reason: `custom field ${customField.field} is not "${customField.value}"` };
  }
  return YES;
}

/**
 * `forContact`: the account of a contact being pushed, which is not in the CRM yet. It is pushed
 * with the contact, overriding the account settings ("Apollo pushes the account, too").
 */
export function decideAccountPush(
  a: AccountFacts,
  settings: PushSettings,
  ctx: PushContext & { forContact: boolean },
): PushDecision {
  if (ctx.linked || ctx.manual || ctx.forContact) return YES;
  if (!settings.accounts.enabled) return { push: false, reason: 'account push is disabled' };
  const scoped = decideScope(settings.scope, a.lists);
  if (!scoped.push) return scoped;
  const { stages } = settings.accounts.conditions;
  if (stages && !inList(a.stage, stages))
    return { push: false, reason: `stage ${a.stage ?? '(none)'} is not in ${stages.join(', ')}` };
  return YES;
}

/**
 * The sync scope (seed 000, "Sync Scope"): with one, a net-new record goes only if it is in one of
 * the scope's lists. Like the conditions, it yields to a link, a manual push and a contact's account.
 */
export function decideScope(scope: SyncScope | null | undefined, lists: readonly string[] = []): PushDecision {
  if (!scope || scope.lists.some((l) => lists.includes(l))) return YES;
  return { push: false, reason: `in none of the sync scope's lists (${scope.lists.join(', ')})` };
}

function inList(value: string | null, list: readonly string[]): boolean {
  if (!value) return false;
  const v = value.trim().toLowerCase();
  return list.some((x) => x.trim().toLowerCase() === v);
}
