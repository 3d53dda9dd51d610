import { loadJson } from '../persist';

/** The data of one emulated HubSpot portal. Plain JSON so it can be saved and reloaded. */

export const OBJECT_TYPES = ['contacts', 'companies'] as const;
export type HsObjectType = (typeof OBJECT_TYPES)[number];

/** HubSpot names the last-modified property differently per object (wire facts A2). */
export const MODIFIED_PROPERTY: Record<HsObjectType, string> = {
  contacts: 'lastmodifieddate',
  companies: 'hs_lastmodifieddate',
};

export const DEFAULT_PROPERTIES: Record<HsObjectType, string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
};

export interface HsRecord {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  /** contacts -> company ids (association type 1 primary, 279 unlabelled). */
  companyIds?: string[];
}

export interface HsOwner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  userId: number;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export interface RateLimitConfig {
  /** Requests per rolling window per token (HubSpot: 100 Free/Starter, 190 Pro/Enterprise). */
  tenSecondMax: number;
  windowMs: number;
  /** The search API's own per-second limit. */
  searchPerSecond: number;
  dailyMax: number;
}

export interface Faults {
  latencyMs: number;
  /** Fraction (0..1) of authenticated requests answered with a 5xx. */
  errorRate: number;
  /** Every authenticated request before this epoch-ms gets 503. */
  outageUntil: number;
}

export interface Portal {
  portalId: number;
  tokens: string[];
  revokedTokens: string[];
  rateLimit: RateLimitConfig;
  faults: Faults;
  nextId: number;
  objects: Record<HsObjectType, HsRecord[]>;
  owners: HsOwner[];
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { tenSecondMax: 190, windowMs: 10_000, searchPerSecond: 5, dailyMax: 1_000_000 };
export const NO_FAULTS: Faults = { latencyMs: 0, errorRate: 0, outageUntil: 0 };

export function newPortal(portalId: number, token: string, rateLimit: Partial<RateLimitConfig> = {}): Portal {
  return {
    portalId,
    tokens: [token],
    revokedTokens: [],
    rateLimit: { ...DEFAULT_RATE_LIMIT, ...rateLimit },
    faults: { ...NO_FAULTS },
    nextId: 1001,
    objects: { contacts: [], companies: [] },
    owners: [],
  };
}

/**
 * Records are kept in id order (ids only grow), so `after` paging is a binary search and stays
 * stable while records change, as HubSpot's id-based cursor is.
 */
export class PortalIndex {
  private byId: Record<HsObjectType, Map<string, HsRecord>> = { contacts: new Map(), companies: new Map() };

  constructor(readonly portal: Portal) {
    for (const t of OBJECT_TYPES) for (const r of portal.objects[t]) this.byId[t].set(r.id, r);
  }

  get(type: HsObjectType, id: string): HsRecord | undefined {
    return this.byId[type].get(id);
  }

  /** Position of the first record whose id is greater than `after`. */
  firstAfter(type: HsObjectType, after: number): number {
    const list = this.portal.objects[type];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (Number(list[mid].id) <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  create(type: HsObjectType, properties: Record<string, string | null>, companyIds?: string[], at = new Date()): HsRecord {
    const id = String(this.portal.nextId++);
    const iso = at.toISOString();
    const rec: HsRecord = {
      id,
      properties: { ...properties, hs_object_id: id, createdate: iso, [MODIFIED_PROPERTY[type]]: iso },
      createdAt: iso,
      updatedAt: iso,
      archived: false,
      ...(type === 'contacts' ? { companyIds: companyIds ?? [] } : {}),
    };
    this.portal.objects[type].push(rec);
    this.byId[type].set(id, rec);
    return rec;
  }

  update(type: HsObjectType, id: string, properties: Record<string, string | null>, at = new Date()): HsRecord | undefined {
    const rec = this.byId[type].get(id);
    if (!rec || rec.archived) return undefined;
    const iso = at.toISOString();
    Object.assign(rec.properties, properties, { [MODIFIED_PROPERTY[type]]: iso });
    if ('hubspot_owner_id' in properties) rec.properties.hubspot_owner_assigneddate = iso;
    rec.updatedAt = iso;
    return rec;
  }
}

export interface SandboxData {
  portals: Portal[];
}

export function loadData(file: string | undefined): SandboxData {
  return loadJson<SandboxData>(file, () => ({ portals: [] }));
}
