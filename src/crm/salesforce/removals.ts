import type { CrmRemoval } from '../port';

/**
 * How Salesforce tells what it removed. A deleted record goes to the recycle bin, where `queryAll`
 * still finds it with IsDeleted = true and a SystemModstamp of the deletion; a merge deletes the
 * losers the same way and sets their MasterRecordId to the survivor. So an incremental pull reads
 * its window once more through queryAll, IsDeleted = true, in (SystemModstamp, Id) order like the
 * changed records (the window starts at the whole second, src/domain/modstamp-window.ts).
 *
 * The recycle bin keeps records about 15 days (less if an admin empties it), and getDeleted
 * (`/sobjects/{type}/deleted?start=&end=`) covers the same window and no more: a record purged
 * before a pull saw it, or deleted longer ago than that, is only found by reconciliation (comparing
 * the id sets, listIds).
 */

export const REMOVAL_FIELDS = ['Id', 'MasterRecordId', 'SystemModstamp'];

export function removalOf(crmObject: string, row: Record<string, unknown>): CrmRemoval {
  const stamp = String(row.SystemModstamp ?? '');
  const ms = Date.parse(stamp.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return {
    crmId: String(row.Id),
    crmObject,
    removedAt: Number.isNaN(ms) ? stamp : new Date(ms).toISOString(),
    mergedInto: typeof row.MasterRecordId === 'string' && row.MasterRecordId ? row.MasterRecordId : null,
  };
}
