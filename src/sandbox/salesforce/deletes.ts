import { SfApiError } from './query';
import type { OrgIndex } from './state';
import { COLLECTION_MAX, type RecordResult } from './writes';

/**
 * Deletes as the REST API does them: to the recycle bin (queryAll still lists the record with
 * IsDeleted = true, getDeleted for 15 days). A record already in the bin answers ENTITY_IS_DELETED;
 * an id no record has (purged, or never was) the same, as Salesforce cannot tell them apart once the
 * bin is emptied; an id that is not one MALFORMED_ID.
 */

const ID_FORMAT = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

function deleteOne(idx: OrgIndex, id: string): RecordResult {
  if (!ID_FORMAT.test(id)) return failed('MALFORMED_ID', `malformed id ${id}`);
  const hit = idx.get(id);
  if (hit?.type === 'User') return failed('CANNOT_DELETE_OWNER', 'users cannot be deleted');
  if (!hit || !idx.remove(hit.type, id)) return failed('ENTITY_IS_DELETED', 'entity is deleted');
  return { id, success: true, errors: [] };
}

/** DELETE /sobjects/{type}/{id}: 204, or 404 with the error array. */
export function deleteSingle(idx: OrgIndex, id: string): void {
  const r = deleteOne(idx, id);
  if (!r.success) throw new SfApiError(404, r.errors[0].statusCode, r.errors[0].message, []);
}

/** DELETE /composite/sobjects?ids=a,b[&allOrNone=true]: per-id results in order (HTTP 200). */
export function deleteCollection(idx: OrgIndex, url: URL): RecordResult[] {
  const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
  if (!ids.length) throw new SfApiError(400, 'MISSING_ARGUMENT', 'ids parameter is required');
  if (ids.length > COLLECTION_MAX)
    throw new SfApiError(
      400,
      'EXCEEDED_ID_LIMIT',
      `record limit reached. cannot submit more than ${COLLECTION_MAX} records into this call`,
    );
  if (url.searchParams.get('allOrNone') === 'true') {
    // Nothing is deleted unless every id can be: check first, on what the org holds now.
    const bad = ids.map((id) => {
      const hit = ID_FORMAT.test(id) ? idx.get(id) : undefined;
      return !hit || hit.type === 'User' || hit.rec.IsDeleted === true;
    });
    if (bad.some(Boolean))
      return ids.map((id, i) =>
        bad[i]
          ? withId(deleteOneDryRun(idx, id), id)
          : {
              id,
              success: false,
              errors: [
                {
                  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                  message:
                    'Record rolled back because not all records were valid and the request was using AllOrNone header',
                  fields: [],
                },
              ],
            },
      );
  }
  return ids.map((id) => withId(deleteOne(idx, id), id));
}

/** Delete results name the record, failures too, unless the id was not one. */
function withId(r: RecordResult, id: string): RecordResult {
  return ID_FORMAT.test(id) ? { ...r, id } : r;
}

function deleteOneDryRun(idx: OrgIndex, id: string): RecordResult {
  if (!ID_FORMAT.test(id)) return failed('MALFORMED_ID', `malformed id ${id}`);
  if (idx.get(id)?.type === 'User') return failed('CANNOT_DELETE_OWNER', 'users cannot be deleted');
  return failed('ENTITY_IS_DELETED', 'entity is deleted');
}

function failed(statusCode: string, message: string): RecordResult {
  return { success: false, errors: [{ statusCode, message, fields: [] }] };
}
