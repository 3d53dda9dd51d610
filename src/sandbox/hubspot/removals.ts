import { correlationId, type Reply } from '../http';
import { serialize } from './serialize';
import type { HsObjectType, PortalIndex } from './state';

/**
 * Deleting and merging, as HubSpot's v3 object API does them. A delete archives (the recycle bin:
 * listed with `archived=true` and its `archivedAt` for 90 days, then purged) and answers 204 for any
 * id, one it never had or archived before included: deleting is idempotent there, and the answer
 * says nothing about which ids existed. A merge keeps the primary, which lists the other in
 * `hs_merged_object_ids`; the merged-away id leaves every list but a read of it answers the survivor.
 */

const MAX_INPUTS = 100;

/** DELETE /crm/v3/objects/{type}/{id} */
export function archiveOne(idx: PortalIndex, type: HsObjectType, id: string): Reply {
  idx.archive(type, id);
  return { status: 204 };
}

/** POST /crm/v3/objects/{type}/batch/archive `{inputs: [{id}]}` */
export function batchArchive(idx: PortalIndex, type: HsObjectType, body: { inputs?: { id?: unknown }[] }): Reply {
  const inputs = body?.inputs;
  if (!Array.isArray(inputs)) return error(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1: inputs is required');
  if (inputs.length > MAX_INPUTS)
    return error(
      400,
      'VALIDATION_ERROR',
      `The maximum number of inputs supported in a batch request is ${MAX_INPUTS}.`,
    );
  const at = new Date();
  for (const i of inputs) idx.archive(type, String(i?.id ?? ''), at);
  return { status: 204 };
}

/** POST /crm/v3/objects/{type}/merge `{primaryObjectId, objectIdToMerge}`: 200 with the survivor. */
export function mergeObjects(
  idx: PortalIndex,
  type: HsObjectType,
  body: { primaryObjectId?: unknown; objectIdToMerge?: unknown },
): Reply {
  const primaryId = String(body?.primaryObjectId ?? '');
  const mergeId = String(body?.objectIdToMerge ?? '');
  if (!primaryId || !mergeId)
    return error(400, 'VALIDATION_ERROR', 'Invalid input JSON: primaryObjectId and objectIdToMerge are required');
  if (primaryId === mergeId) return error(400, 'VALIDATION_ERROR', 'Cannot merge an object with itself');
  for (const id of [primaryId, mergeId]) {
    const rec = idx.get(type, id);
    if (!rec || rec.archived) return error(404, 'OBJECT_NOT_FOUND', `Object with id ${id} not found.`);
  }
  const survivor = idx.merge(type, primaryId, mergeId);
  return { status: 200, body: serialize(survivor, type, undefined) };
}

function error(status: number, category: string, message: string): Reply {
  return { status, body: { status: 'error', message, correlationId: correlationId(), category } };
}
