import { crmTime } from '../../domain/field-ownership';

/**
 * A HubSpot record's last-modified time, as the rest of the project reads it (CrmRecord.modifiedAt).
 * `lastmodifieddate` / `hs_lastmodifieddate` first, as HubSpot's search orders by it; then the
 * record's `updatedAt`. The client turns `updatedAt` into a Date whatever the text, so a malformed one
 * is an Invalid Date whose toISOString() throws a RangeError: that one record used to fail its whole
 * page, retried for ever. With neither usable the time is unknown (''): the ownership rules then
 * treat the CRM change as not later than any workspace change (crmIsLater), and explain shows
 * "changed at an unknown time". The record is still pulled; its values are as good as any other's.
 */
export function hubspotModifiedAt(property: string | null | undefined, updatedAt: unknown): string {
  if (crmTime(property) !== null) return property!;
  const ms = updatedAt instanceof Date ? updatedAt.getTime() : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

/** The same as epoch ms, for search cursors; null when unknown. */
export function hubspotModifiedMs(property: string | null | undefined, updatedAt: unknown): number | null {
  return crmTime(hubspotModifiedAt(property, updatedAt));
}
