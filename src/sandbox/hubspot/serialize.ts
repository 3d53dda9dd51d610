import type { Reply } from '../http';
import { companyAssociations, DEFAULT_PROPERTIES, type HsObjectType, type HsRecord } from './state';

/** Requested properties (missing ones as null) plus the ones HubSpot always returns. */
export function serialize(
  rec: HsRecord,
  type: HsObjectType,
  properties: string[] | undefined,
  withAssociations = false,
) {
  const wanted = properties?.length
    ? [
        ...new Set([
          ...properties,
          'hs_object_id',
          'createdate',
          type === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate',
        ]),
      ]
    : DEFAULT_PROPERTIES[type];
  const props: Record<string, string | null> = {};
  for (const p of wanted) props[p] = rec.properties[p] ?? null;
  return {
    id: rec.id,
    properties: props,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    archived: rec.archived,
    ...(rec.archivedAt ? { archivedAt: rec.archivedAt } : {}),
    ...(withAssociations && type === 'contacts'
      ? {
          associations: {
            companies: {
              // v3 names each association type: the primary company comes twice, as
              // `contact_to_company` (type 1) and `contact_to_company_unlabeled` (279).
              results: companyAssociations(rec).flatMap(({ companyId: id, primary }) => [
                ...(primary ? [{ id, type: 'contact_to_company' }] : []),
                { id, type: 'contact_to_company_unlabeled' },
              ]),
            },
          },
        }
      : {}),
  };
}

/** A batch/read answer: 200 with every record found, or 207 naming the ids that were not. */
export function batchReadReply(
  type: HsObjectType,
  ids: string[],
  properties: string[] | undefined,
  find: (id: string) => HsRecord | undefined,
): Reply {
  const startedAt = new Date().toISOString();
  const results = [];
  const missing: string[] = [];
  for (const id of ids) {
    const rec = find(id);
    if (rec) results.push(serialize(rec, type, properties));
    else missing.push(id);
  }
  const completedAt = new Date().toISOString();
  if (!missing.length) return { status: 200, body: { status: 'COMPLETE', results, startedAt, completedAt } };
  const what = type === 'contacts' ? 'CONTACT' : 'COMPANY';
  return {
    status: 207,
    body: {
      status: 'COMPLETE',
      results,
      numErrors: 1,
      startedAt,
      completedAt,
      errors: [
        {
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          message: `Could not get some ${what} objects, they may be deleted or not exist. Check that ids are valid.`,
          context: { ids: missing },
        },
      ],
    },
  };
}
