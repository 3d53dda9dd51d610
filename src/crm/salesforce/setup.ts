import type { Connection } from 'jsforce';
import { missingExternalId, notExternalId, type SetupProblem, type SetupReport } from '../../domain/crm-setup';
import { EXTERNAL_ID } from './push';

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/**
 * The objects that must carry the external id: pushes upsert new accounts and people on it, and the
 * email lookups read it on Leads and Contacts alike (a person found carrying our id was created by
 * an earlier attempt of the same push).
 */
const OBJECTS = ['Account', 'Contact', 'Lead'] as const;

/**
 * The org's set-up for pushes: `Apollo_Id__c` on Account, Contact and Lead, marked External ID. A
 * real org has it only if an administrator created it, and the API cannot (the Metadata API needs
 * permissions an integration user should not hold), so it is reported, never created. One describe
 * per object.
 */
export async function checkSalesforceSetup(conn: Connection, call: Call): Promise<SetupReport> {
  const problems: SetupProblem[] = [];
  for (const object of OBJECTS) {
    const d = await call(`${object} describe`, () => conn.sobject(object).describe());
    const f = d.fields.find((x) => x.name.toLowerCase() === EXTERNAL_ID.toLowerCase());
    if (!f) problems.push(missingExternalId(object, EXTERNAL_ID));
    else if (!f.externalId) problems.push(notExternalId(object, EXTERNAL_ID));
  }
  return { problems, created: [] };
}
