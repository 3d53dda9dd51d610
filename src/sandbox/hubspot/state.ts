import { loadJson } from '../persist';
import type { HsProperty } from './properties';

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
  /**
   * Merged away into this record (POST .../merge): gone from lists, search and the archived list,
   * while a read of this id answers the survivor. Stored with `archived` set, so every write and
   * "live" check treats it as gone.
   */
  mergedInto?: string;
  /** contacts -> company ids, in the order they were associated (every one type 279, unlabelled). */
  companyIds?: string[];
  /**
   * The contact's primary company (association type 1 besides 279). Absent: the first associated,
   * as HubSpot makes a contact's first company its primary. Null: none is primary (the primary was
   * unassociated, or every association was made unlabelled).
   */
  primaryCompanyId?: string | null;
}

/**
 * A contact's company associations as HubSpot lists them: by company id, whichever was associated
 * first, so the primary is often not the first listed.
 */
export function companyAssociations(rec: HsRecord): { companyId: string; primary: boolean }[] {
  const ids = [...new Set(rec.companyIds ?? [])];
  const primary = rec.primaryCompanyId === undefined ? ids[0] : rec.primaryCompanyId;
  return ids
    .sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))
    .map((companyId) => ({ companyId, primary: companyId === primary }));
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
  /**
   * The next `stallCount` authenticated requests are each answered only after `stallMs` more (a
   * request that hangs past a client's timeout); each one stalled counts down. Absent: 0.
   */
  stallCount?: number;
  stallMs?: number;
  /**
   * The search index's lag: a record created or changed less than this long ago (real time) is not
   * yet found by search, as on HubSpot, where a write reaches search seconds later. Lists and
   * batch reads see it at once. Absent: 0.
   */
  searchLagMs?: number;
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
  /** Properties created through the properties API (see properties.ts). */
  customProperties?: Record<HsObjectType, HsProperty[]>;
  /** Scopes each token lacks (scopes.ts); absent or unlisted token: every scope. */
  withheldScopes?: Record<string, string[]>;
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = {
  tenSecondMax: 190,
  windowMs: 10_000,
  searchPerSecond: 5,
  dailyMax: 1_000_000,
};
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

  /** Maps a unique property's value (emails lower-cased) to its record; built on first use, kept by create/update. */
  private unique = new Map<string, Map<string, HsRecord>>();

  findByUnique(type: HsObjectType, property: string, value: string): HsRecord | undefined {
    const rec = this.uniqueMap(type, property).get(uniqueKey(property, value));
    return rec &&
      !rec.archived &&
      rec.properties[property] != null &&
      uniqueKey(property, String(rec.properties[property])) === uniqueKey(property, value)
      ? rec
      : undefined;
  }

  private uniqueMap(type: HsObjectType, property: string): Map<string, HsRecord> {
    const k = `${type}.${property}`;
    let m = this.unique.get(k);
    if (!m) {
      m = new Map();
      for (const r of this.portal.objects[type]) this.indexUnique(m, property, r);
      this.unique.set(k, m);
    }
    return m;
  }

  private indexUnique(m: Map<string, HsRecord>, property: string, r: HsRecord): void {
    const v = r.properties[property];
    if (v === null || v === undefined || v === '' || r.archived) return;
    // The oldest holder wins, as in HubSpot where the second one could never have been written.
    const key = uniqueKey(property, String(v));
    if (!m.has(key) || m.get(key)!.archived) m.set(key, r);
  }

  private reindex(type: HsObjectType, r: HsRecord): void {
    for (const [k, m] of this.unique) if (k.startsWith(`${type}.`)) this.indexUnique(m, k.slice(type.length + 1), r);
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

  create(
    type: HsObjectType,
    properties: Record<string, string | null>,
    companyIds?: string[],
    at = new Date(),
  ): HsRecord {
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
    this.reindex(type, rec);
    return rec;
  }

  update(
    type: HsObjectType,
    id: string,
    properties: Record<string, string | null>,
    at = new Date(),
  ): HsRecord | undefined {
    const rec = this.byId[type].get(id);
    if (!rec || rec.archived) return undefined;
    const iso = at.toISOString();
    Object.assign(rec.properties, properties, { [MODIFIED_PROPERTY[type]]: iso });
    if ('hubspot_owner_id' in properties) rec.properties.hubspot_owner_assigneddate = iso;
    rec.updatedAt = iso;
    this.reindex(type, rec);
    return rec;
  }

  /** The record a read of this id answers: itself, or the survivor it was merged into (chains followed). */
  resolve(type: HsObjectType, id: string): HsRecord | undefined {
    let rec = this.byId[type].get(id);
    for (let hops = 0; rec?.mergedInto && hops < 100; hops++) rec = this.byId[type].get(rec.mergedInto);
    return rec;
  }

  /** To the recycle bin (DELETE, batch/archive): listed with `archived=true` until purged. False: nothing live had it. */
  archive(type: HsObjectType, id: string, at = new Date()): boolean {
    const rec = this.byId[type].get(id);
    if (!rec || rec.archived) return false;
    rec.archived = true;
    rec.archivedAt = at.toISOString();
    return true;
  }

  /**
   * Merges `mergeId` into `primaryId`: the survivor keeps its values, fills its empty ones from the
   * other, takes its companies, and lists it (and what it had absorbed) in `hs_merged_object_ids`;
   * its modified time moves. The merged-away record leaves every list; reading it answers the survivor.
   */
  merge(type: HsObjectType, primaryId: string, mergeId: string, at = new Date()): HsRecord {
    const primary = this.byId[type].get(primaryId)!;
    const other = this.byId[type].get(mergeId)!;
    const fill: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(other.properties))
      if (v !== null && v !== '' && (primary.properties[k] === null || primary.properties[k] === undefined))
        fill[k] = v;
    for (const k of ['hs_object_id', 'createdate', MODIFIED_PROPERTY[type], 'hs_merged_object_ids']) delete fill[k];
    const merged = [primary.properties.hs_merged_object_ids, other.id, other.properties.hs_merged_object_ids]
      .filter((v): v is string => !!v)
      .join(';');
    if (type === 'contacts')
      primary.companyIds = [...new Set([...(primary.companyIds ?? []), ...(other.companyIds ?? [])])];
    other.archived = true;
    other.mergedInto = primary.id;
    return this.update(type, primary.id, { ...fill, hs_merged_object_ids: merged }, at)!;
  }

  /** Gone for good (the recycle bin emptied, a GDPR delete): no list, read or write finds it again. */
  purge(type: HsObjectType, ids: string[]): number {
    const gone = new Set(ids.filter((id) => this.byId[type].has(id)));
    for (const id of gone) {
      // Stale unique-index entries check `archived`, so they no longer match.
      this.byId[type].get(id)!.archived = true;
      this.byId[type].delete(id);
    }
    this.portal.objects[type] = this.portal.objects[type].filter((r) => !gone.has(r.id));
    return gone.size;
  }

  /**
   * Writes a record as an import or older data may have left it, without HubSpot's bookkeeping: no
   * modified time is bumped, any text is kept (NUL, lone surrogates), `updatedAt` is taken verbatim
   * even when it is no time at all. HubSpot's API never answers a write so; its data can hold it.
   */
  storeAsIs(
    type: HsObjectType,
    id: string,
    patch: { properties?: Record<string, string | null>; updatedAt?: string },
  ): HsRecord | undefined {
    const rec = this.byId[type].get(id);
    if (!rec) return undefined;
    Object.assign(rec.properties, patch.properties ?? {});
    if (patch.updatedAt !== undefined) rec.updatedAt = patch.updatedAt;
    this.reindex(type, rec);
    return rec;
  }
}

/** HubSpot compares emails case-insensitively; other unique values exactly. */
export function uniqueKey(property: string, value: string): string {
  return property === 'email' ? value.trim().toLowerCase() : value;
}

export interface SandboxData {
  portals: Portal[];
}

export function loadData(file: string | undefined): SandboxData {
  return loadJson<SandboxData>(file, () => ({ portals: [] }));
}
