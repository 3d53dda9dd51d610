import type { Client } from '@hubspot/api-client';
import type { CrmRecord } from '../../domain/types';
import type { CrmRemoval, DeleteOutcome } from '../port';
import type { HsType } from './cursor';

/**
 * How HubSpot tells what it removed, and how records are removed there.
 *
 * Deletions: a deleted record is archived (the recycle bin, 90 days, then purged; a GDPR delete
 * purges at once) and listed by the list API with `archived=true` and its `archivedAt`. That list is
 * ordered by id and has no time filter, and search never finds archived records, so an incremental
 * pull pages the whole recycle bin of each stream and keeps the ones archived in its window:
 * ceil(archived records / 100) calls per stream per pull. (Webhooks would cost none, but need a
 * public endpoint the workspace does not have.)
 *
 * Merges: the survivor lists the ids merged into it in `hs_merged_object_ids` (";"-separated), and
 * its modified time moves, so it comes among the pull's changed records. Merged-away ids are in
 * neither list, and a read of one answers the survivor.
 */

export const MERGED_IDS = 'hs_merged_object_ids';
const LIST_LIMIT = 100;

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

function basicApi(client: Client, type: HsType) {
  return type === 'contacts' ? client.crm.contacts.basicApi : client.crm.companies.basicApi;
}

/** One page of the recycle bin, in id order, keeping the records archived in [sinceMs, untilMs). */
export async function archivedPage(
  client: Client,
  call: Call,
  type: HsType,
  after: string | undefined,
  sinceMs: number,
  untilMs: number,
): Promise<{ removals: CrmRemoval[]; after: string | undefined }> {
  const page = await call(`${type} archived list`, () =>
    basicApi(client, type).getPage(LIST_LIMIT, after, ['hs_object_id'], undefined, undefined, true),
  );
  const removals: CrmRemoval[] = [];
  for (const o of page.results) {
    const at = o.archivedAt instanceof Date ? o.archivedAt.getTime() : Date.parse(String(o.archivedAt ?? ''));
    // Without a readable archivedAt the record may have gone in the window: repeated rather than missed.
    if (Number.isNaN(at) || (at >= sinceMs && at < untilMs))
      removals.push({
        crmId: o.id,
        crmObject: type,
        removedAt: Number.isNaN(at) ? new Date(untilMs).toISOString() : new Date(at).toISOString(),
        mergedInto: null,
      });
  }
  return { removals, after: page.paging?.next?.after };
}

/** The ids merged into the survivors on a page: HubSpot does not say when, so the survivor's modified time. */
export function mergeRemovals(records: CrmRecord[]): CrmRemoval[] {
  const out: CrmRemoval[] = [];
  for (const r of records) {
    const ids = (r.properties[MERGED_IDS] ?? '').split(';').map((s) => s.trim());
    for (const id of ids)
      if (id && id !== r.crmId)
        out.push({
          crmId: id,
          crmObject: r.crmObject,
          removedAt: r.modifiedAt || new Date().toISOString(),
          mergedInto: r.crmId,
        });
  }
  return out;
}

/** One page of live ids: the list API, 100 a page, asking for the id property only. */
export async function idsPage(
  client: Client,
  call: Call,
  type: HsType,
  cursor: string | null,
): Promise<{ ids: string[]; nextCursor: string | null }> {
  const page = await call(`${type} id list`, () =>
    basicApi(client, type).getPage(LIST_LIMIT, cursor ?? undefined, ['hs_object_id'], undefined, undefined, false),
  );
  return { ids: page.results.map((o) => o.id), nextCursor: page.paging?.next?.after ?? null };
}

/**
 * Archives records, 100 a call. HubSpot's batch archive answers 204 whatever the ids (one it never
 * had, or archived already, included), so a batch read first tells the live ones from the gone: only
 * those are archived. A merged-away id reads as its survivor (another id): it is gone, and archiving
 * it is left alone, since the survivor must not be the one deleted. Two calls per 100 ids.
 */
export async function archiveRecords(
  client: Client,
  call: Call,
  type: HsType,
  crmIds: string[],
): Promise<DeleteOutcome[]> {
  const batchApi = type === 'contacts' ? client.crm.contacts.batchApi : client.crm.companies.batchApi;
  const live = new Set<string>();
  const wellFormed = crmIds.filter((id) => /^\d{1,20}$/.test(id));
  for (let i = 0; i < wellFormed.length; i += LIST_LIMIT) {
    const inputs = [...new Set(wellFormed.slice(i, i + LIST_LIMIT))].map((id) => ({ id }));
    const res = await call(`${type} batch read before archive`, () =>
      batchApi.read({ inputs, properties: ['hs_object_id'], propertiesWithHistory: [] }, false),
    );
    const asked = new Set(inputs.map((x) => x.id));
    for (const o of res.results) if (asked.has(o.id)) live.add(o.id);
  }
  const toArchive = [...live];
  for (let i = 0; i < toArchive.length; i += LIST_LIMIT) {
    const inputs = toArchive.slice(i, i + LIST_LIMIT).map((id) => ({ id }));
    await call(`${type} batch archive`, () => batchApi.archive({ inputs }));
  }
  return crmIds.map((crmId) =>
    /^\d{1,20}$/.test(crmId)
      ? { crmId, ok: true, alreadyGone: !live.has(crmId) }
      : { crmId, ok: false, cause: 'rejected', code: 'INVALID_ID', message: `"${crmId}" is not a HubSpot record id` },
  );
}
