import type { HsRecord } from './state';

/** Evaluates HubSpot CRM search requests (wire facts A2/A3) over the sandbox's records. */

export interface Filter {
  propertyName: string;
  operator: string;
  value?: unknown;
  values?: unknown[];
  highValue?: unknown;
}
export interface SearchRequest {
  filterGroups?: { filters?: Filter[] }[];
  sorts?: (string | { propertyName: string; direction?: string })[];
  properties?: string[];
  limit?: number;
  after?: string | number;
  query?: string;
}

export const SEARCH_MAX_LIMIT = 200;
export const SEARCH_MAX_RESULTS = 10_000;
const DATE_PROPERTIES = new Set([
  'createdate',
  'lastmodifieddate',
  'hs_lastmodifieddate',
  'hubspot_owner_assigneddate',
]);
const OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

export class SearchError extends Error {}

/** Checks the limits HubSpot enforces; throws SearchError with HubSpot-like wording. */
export function validateSearch(req: SearchRequest): void {
  const groups = req.filterGroups ?? [];
  if (groups.length > 5)
    throw new SearchError('There was a problem with the request. Maximum of 5 filterGroups allowed.');
  let total = 0;
  for (const g of groups) {
    const n = g.filters?.length ?? 0;
    if (n > 10)
      throw new SearchError('There was a problem with the request. Maximum of 10 filters per filterGroup allowed.');
    total += n;
    for (const f of g.filters ?? []) {
      if (!OPERATORS.has(f.operator)) throw new SearchError(`Invalid filter operator: ${f.operator}`);
    }
  }
  if (total > 25) throw new SearchError('There was a problem with the request. Maximum of 25 filters allowed.');
  if ((req.limit ?? 10) > SEARCH_MAX_LIMIT) throw new SearchError(`limit must be at most ${SEARCH_MAX_LIMIT}`);
}

/** Date properties compare as instants: filters may send epoch millis or ISO strings. */
function comparable(prop: string, v: unknown): number | string | null {
  if (v === null || v === undefined || v === '') return null;
  if (DATE_PROPERTIES.has(prop)) {
    const n = typeof v === 'number' || /^\d+$/.test(String(v)) ? Number(v) : Date.parse(String(v));
    return Number.isNaN(n) ? null : n;
  }
  const s = String(v);
  return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s.toLowerCase();
}

function matches(rec: HsRecord, f: Filter): boolean {
  const raw = f.propertyName === 'hs_object_id' ? rec.id : rec.properties[f.propertyName];
  const v = comparable(f.propertyName, raw);
  const x = comparable(f.propertyName, f.value);
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return v !== null;
    case 'NOT_HAS_PROPERTY':
      return v === null;
    case 'EQ':
      return v !== null && v === x;
    case 'NEQ':
      return v !== x;
    case 'LT':
      return v !== null && x !== null && v < x;
    case 'LTE':
      return v !== null && x !== null && v <= x;
    case 'GT':
      return v !== null && x !== null && v > x;
    case 'GTE':
      return v !== null && x !== null && v >= x;
    case 'BETWEEN': {
      const hi = comparable(f.propertyName, f.highValue);
      return v !== null && x !== null && hi !== null && v >= x && v <= hi;
    }
    case 'IN':
      return (f.values ?? []).some((y) => comparable(f.propertyName, y) === v);
    case 'NOT_IN':
      return !(f.values ?? []).some((y) => comparable(f.propertyName, y) === v);
    case 'CONTAINS_TOKEN':
      return (
        typeof v === 'string' &&
        String(x)
          .split(/\s+/)
          .every((t) => v.includes(t.replace(/\*/g, '')))
      );
    case 'NOT_CONTAINS_TOKEN':
      return !(typeof v === 'string' && v.includes(String(x)));
    default:
      return false;
  }
}

/**
 * `lagMs`: the index's lag. A record written less than that long ago is left out, counted in
 * `lagged`. (HubSpot would still find it under its previous values; for the filters a sync sends,
 * on the modified time, that is the same as not finding it.)
 */
export function runSearch(
  records: HsRecord[],
  req: SearchRequest,
  lagMs = 0,
  nowMs = Date.now(),
): { total: number; page: HsRecord[]; nextAfter?: string; lagged: number } {
  const groups = (req.filterGroups ?? []).filter((g) => g.filters?.length);
  let lagged = 0;
  let hits = records.filter((r) => {
    if (r.archived || !(groups.length === 0 || groups.some((g) => g.filters!.every((f) => matches(r, f)))))
      return false;
    if (lagMs > 0 && nowMs - Date.parse(r.updatedAt) < lagMs) {
      lagged++;
      return false;
    }
    return true;
  });
  if (req.query) {
    const q = req.query.toLowerCase();
    hits = hits.filter((r) => Object.values(r.properties).some((p) => p?.toLowerCase().includes(q)));
  }
  const sort = req.sorts?.[0];
  if (sort) {
    const prop = typeof sort === 'string' ? sort.replace(/^-/, '') : sort.propertyName;
    const desc = typeof sort === 'string' ? sort.startsWith('-') : sort.direction === 'DESCENDING';
    const key = (r: HsRecord) => comparable(prop, prop === 'hs_object_id' ? r.id : r.properties[prop]);
    hits = [...hits].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      const c = ka === kb ? Number(a.id) - Number(b.id) : ka === null ? 1 : kb === null ? -1 : ka < kb ? -1 : 1;
      return desc ? -c : c;
    });
  }
  const limit = req.limit ?? 10;
  const offset = Number(req.after ?? 0);
  if (offset + limit > SEARCH_MAX_RESULTS) {
    throw new SearchError(`Paging beyond ${SEARCH_MAX_RESULTS} results is not supported. Refine your filters.`);
  }
  const page = hits.slice(offset, offset + limit);
  const next = offset + limit < Math.min(hits.length, SEARCH_MAX_RESULTS) ? String(offset + limit) : undefined;
  return { total: hits.length, page, nextAfter: next, lagged };
}
