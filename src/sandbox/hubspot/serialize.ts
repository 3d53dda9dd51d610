import { DEFAULT_PROPERTIES, type HsObjectType, type HsRecord } from './state';

/** Requested properties (missing ones as null) plus the ones HubSpot always returns. */
export function serialize(rec: HsRecord, type: HsObjectType, properties: string[] | undefined, withAssociations = false) {
  const wanted = properties?.length ? [...new Set([...properties, 'hs_object_id', 'createdate', type === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate'])] : DEFAULT_PROPERTIES[type];
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
      ? { associations: { companies: { results: (rec.companyIds ?? []).map((id, i) => ({ id, type: i === 0 ? 'contact_to_company' : 'contact_to_company_unlabeled' })) } } }
      : {}),
  };
}
