import { missingSourceField, picklistValueMissing, type SetupProblem, type SetupReport } from '../domain/crm-setup';
import { accountSourceOf, type PushSettings } from '../domain/push-settings';
import type { CrmPort } from '../crm/port';
import { setupIncomplete } from './failures';

/**
 * How long a complete set-up is taken as still complete by this process: pushes check it before
 * every batch, and asking the CRM each time would add two to four calls per batch. An administrator
 * who removes a key field meanwhile meets per-record rejections for at most this long.
 */
export const SETUP_COMPLETE_TTL_MS = 10 * 60_000;

/** Complete set-ups seen, by connection and what was checked; problems are never cached. */
const completeUntil = new Map<string, number>();

/**
 * The CRM's set-up for pushes under these settings: the adapter's own check (key fields, properties
 * it creates, scopes), then the source values written on created records, which a restricted
 * picklist may not allow (Salesforce's LeadSource without "Apollo").
 */
export async function setupReport(crm: CrmPort, push: PushSettings): Promise<SetupReport> {
  const people = crm.personObjectFor(push.createPeopleAs);
  const sources = [
    // Salesforce's label is the bare sObject name; HubSpot's already names the CRM.
    {
      object: people.object,
      label: crm.crm === 'salesforce' ? `Salesforce ${people.label}` : people.label,
      source: push.source,
    },
    { object: 'account' as const, label: `${crm.displayName} accounts`, source: accountSourceOf(crm.crm, push) },
  ];
  const report = await crm.checkSetup({ sourceFields: sources.map((s) => s.source.field) });
  const problems: SetupProblem[] = [...report.problems];
  for (const { object, label, source } of sources) {
    const info = await crm.describeField(object, source.field);
    if (!info) {
      if (!crm.createsSourceFieldOnDemand(source.field)) problems.push(missingSourceField(label, source.field));
      continue;
    }
    if (info.options && info.restricted && !info.options.includes(source.value))
      problems.push(picklistValueMissing(label, source.field, source.value, info.options));
  }
  return { problems, created: report.created };
}

/**
 * Before a push batch: throws CrmSetupIncomplete (not retried; the rows stay due) while the set-up
 * is incomplete, so pushes wait instead of failing record by record.
 */
export async function requireSetup(
  crm: CrmPort,
  connection: string,
  push: PushSettings,
  now = Date.now(),
): Promise<SetupReport | null> {
  const key = `${connection}\u0000${JSON.stringify([push.createPeopleAs, push.source, push.accountSource ?? null])}`;
  if ((completeUntil.get(key) ?? 0) > now) return null;
  const report = await setupReport(crm, push);
  if (report.problems.length) throw setupIncomplete(report.problems);
  completeUntil.set(key, now + SETUP_COMPLETE_TTL_MS);
  return report;
}
