import type { Connection } from 'jsforce';
import type { DeleteOutcome } from '../port';

/**
 * Deletes through sObject Collections (DELETE /composite/sobjects?ids=..., 200 ids a call,
 * allOrNone false: one result per id). A record already in the recycle bin, or no longer anywhere
 * (purged), answers ENTITY_IS_DELETED (or INVALID_CROSS_REFERENCE_KEY / NOT_FOUND): already gone.
 * Ids that are not Salesforce ids are refused without a call.
 */

const COLLECTION_MAX = 200;
const ID_FORMAT = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;
const GONE = new Set(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY', 'NOT_FOUND']);
const TRANSIENT = new Set(['UNABLE_TO_LOCK_ROW', 'SERVER_UNAVAILABLE', 'REQUEST_RUNNING_TOO_LONG']);

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

interface DeleteResult {
  id?: string;
  success: boolean;
  errors?: { statusCode?: string; errorCode?: string; message?: string }[];
}

export async function deleteSalesforceRecords(
  conn: Connection,
  call: Call,
  sobject: string,
  crmIds: string[],
): Promise<DeleteOutcome[]> {
  const byId = new Map<string, DeleteOutcome>();
  const valid = [...new Set(crmIds.filter((id) => ID_FORMAT.test(id)))];
  for (let i = 0; i < valid.length; i += COLLECTION_MAX) {
    const ids = valid.slice(i, i + COLLECTION_MAX);
    const results = (await call(
      `${sobject} delete`,
      () => conn.sobject(sobject).destroy(ids, { allOrNone: false }) as Promise<unknown>,
    )) as DeleteResult[];
    ids.forEach((crmId, k) => {
      const r = results[k];
      if (r?.success) return byId.set(crmId, { crmId, ok: true, alreadyGone: false });
      const e = r?.errors?.[0];
      const code = e?.statusCode ?? e?.errorCode ?? 'UNKNOWN';
      if (GONE.has(code)) return byId.set(crmId, { crmId, ok: true, alreadyGone: true });
      byId.set(crmId, {
        crmId,
        ok: false,
        cause: TRANSIENT.has(code) ? 'transient' : 'rejected',
        code,
        message: e?.message ?? 'Salesforce returned no result for this record',
      });
    });
  }
  return crmIds.map(
    (crmId) =>
      byId.get(crmId) ?? {
        crmId,
        ok: false,
        cause: 'rejected',
        code: 'MALFORMED_ID',
        message: `"${crmId}" is not a Salesforce record id`,
      },
  );
}
