import { fieldDef, KEY_PREFIX, SCHEMA, SOBJECTS, type SchemaChanges, type SObjectName } from './schema';

/** The data of one emulated Salesforce org. Plain JSON so it can be saved and reloaded. */

export type SfValue = string | boolean | null;
export type SfRecord = Record<string, SfValue>;

export interface OrgLimits {
  /** DailyApiRequests Max: requests per rolling 24 hours. */
  dailyMax: number;
  /** A query whose filter matches more rows than this fails with QUERY_TIMEOUT; 0 = never. */
  queryTimeoutRows: number;
  /** Duplicate rule on Lead and Contact email: create answers DUPLICATES_DETECTED. */
  duplicateRule: boolean;
  /**
   * Sessions (access tokens) end this long after their first use; 0 = never. Absolute, so stricter
   * than Salesforce's timeout, which counts from the last activity (2 hours by default): a sync
   * that calls at least that often meets expiry all the same when an admin ends sessions or a
   * policy does. Optional in data files written before it.
   */
  sessionTtlMs?: number;
}

export interface OrgFaults {
  latencyMs: number;
  /** Fraction (0..1) of API requests answered 503 SERVER_UNAVAILABLE. */
  errorRate: number;
  /** Every API request before this epoch-ms gets 503. */
  outageUntil: number;
  /** Fraction (0..1) of records in a write that fail with UNABLE_TO_LOCK_ROW. */
  lockRate: number;
  /**
   * The next `stallCount` API requests are each answered only after `stallMs` more (a query that
   * runs past a client's timeout); each one stalled counts down. Absent: 0.
   */
  stallCount?: number;
  stallMs?: number;
  /**
   * Every API request answered with this error, as an org refuses a whole connection (e.g. 403
   * API_DISABLED_FOR_ORG, INVALID_OPERATION_WITH_EXPIRED_PASSWORD); absent or null: none.
   */
  apiError?: SfErrorFault | null;
}

export interface SfErrorFault {
  status: number;
  errorCode: string;
  message: string;
}

export interface Org {
  orgId: string;
  /** The integration user the tokens belong to (identity). */
  userId: string;
  tokens: string[];
  revokedTokens: string[];
  /** When each session was first used (epoch ms), for `limits.sessionTtlMs`. */
  sessionStarts?: Record<string, number>;
  /** Connected apps allowed the refresh-token flow, and the refresh tokens they were issued. */
  oauth?: {
    clients: { clientId: string; clientSecret: string }[];
    refreshTokens: { token: string; clientId: string }[];
  };
  limits: OrgLimits;
  faults: OrgFaults;
  /** How this org's fields differ from the standard set-up (schema.ts); absent: standard. */
  schemaChanges?: SchemaChanges;
  /** API requests counted in the current 24-hour window, which starts at the first request. */
  usage: { windowStart: number; count: number };
  seq: number;
  records: Record<SObjectName, SfRecord[]>;
}

export const DEFAULT_LIMITS: OrgLimits = { dailyMax: 100_000, queryTimeoutRows: 0, duplicateRule: false };
export const NO_FAULTS: OrgFaults = { latencyMs: 0, errorRate: 0, outageUntil: 0, lockRate: 0 };
export const DAY_MS = 24 * 60 * 60 * 1000;

/** `2013-05-20T20:49:32.000+0000`, Salesforce's datetime format on the wire. */
export function sfDatetime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/**
 * A record's system timestamp (CreatedDate, LastModifiedDate, SystemModstamp) for a change at `ms`:
 * real orgs keep these to the whole second (`...:59.000+0000`), so a bulk load or a few quick edits
 * leave many records with one SystemModstamp, and a pull must page through such ties.
 */
export function sfStamp(ms: number): string {
  return sfDatetime(Math.floor(ms / 1000) * 1000);
}

export function newOrg(orgId: string, token: string, limits: Partial<OrgLimits> = {}): Org {
  const org: Org = {
    orgId,
    userId: '',
    tokens: [token],
    revokedTokens: [],
    limits: { ...DEFAULT_LIMITS, ...limits },
    faults: { ...NO_FAULTS },
    usage: { windowStart: 0, count: 0 },
    seq: 1,
    records: { Lead: [], Contact: [], Account: [], User: [] },
  };
  const idx = new OrgIndex(org);
  org.userId = String(
    idx.create('User', {
      Username: `integration@${orgId.toLowerCase()}.example`,
      Email: `integration@${orgId.toLowerCase()}.example`,
      FirstName: 'Integration',
      LastName: 'User',
      IsActive: true,
    }).Id,
  );
  return org;
}

/** Id lookups over an org's record lists; ids grow with creation, so lists stay in Id order. */
export class OrgIndex {
  private byId = new Map<string, { type: SObjectName; rec: SfRecord }>();

  constructor(readonly org: Org) {
    for (const t of SOBJECTS) for (const r of org.records[t]) this.byId.set(String(r.Id), { type: t, rec: r });
  }

  get(id: string): { type: SObjectName; rec: SfRecord } | undefined {
    return this.byId.get(id);
  }

  getOf(type: SObjectName, id: string): SfRecord | undefined {
    const hit = this.byId.get(id);
    return hit?.type === type ? hit.rec : undefined;
  }

  newId(type: SObjectName): string {
    const n = this.org.seq++;
    return `${KEY_PREFIX[type]}RO${String(n).padStart(10, '0')}AAA`;
  }

  /** Creates a record with its system fields; values are taken as given (validation is the caller's). */
  create(type: SObjectName, values: SfRecord, at = Date.now()): SfRecord {
    const ts = sfStamp(at);
    const rec: SfRecord = {};
    for (const f of SCHEMA[type]) rec[f.name] = f.type === 'boolean' ? false : null;
    for (const [k, v] of Object.entries(values)) {
      const def = fieldDef(type, k);
      if (def) rec[def.name] = v;
    }
    Object.assign(rec, { Id: this.newId(type), CreatedDate: ts, LastModifiedDate: ts, SystemModstamp: ts });
    if (type !== 'User' && !rec.OwnerId) rec.OwnerId = this.org.userId;
    if (type === 'User' && rec.IsActive === null) rec.IsActive = true;
    setName(type, rec);
    this.org.records[type].push(rec);
    this.byId.set(String(rec.Id), { type, rec });
    return rec;
  }

  update(type: SObjectName, id: string, values: SfRecord, at = Date.now()): SfRecord | undefined {
    const rec = this.getOf(type, id);
    if (!rec || rec.IsDeleted === true) return undefined;
    for (const [k, v] of Object.entries(values)) {
      const def = fieldDef(type, k);
      if (def && def.name !== 'Id') rec[def.name] = v;
    }
    touch(rec, at);
    setName(type, rec);
    return rec;
  }

  /** To the recycle bin: still visible to queryAll and getDeleted. */
  remove(type: SObjectName, id: string, masterId: string | null = null, at = Date.now()): boolean {
    const rec = this.getOf(type, id);
    if (!rec || rec.IsDeleted === true) return false;
    rec.IsDeleted = true;
    rec.MasterRecordId = masterId;
    touch(rec, at);
    return true;
  }

  /**
   * Out of the recycle bin for good (emptied, or 15 days passed): queryAll and getDeleted no longer
   * list them, and a write to the id finds nothing. Only deleted records can be purged.
   */
  purge(ids: string[]): number {
    let n = 0;
    for (const id of ids) {
      const hit = this.byId.get(id);
      if (!hit || hit.rec.IsDeleted !== true) continue;
      this.org.records[hit.type] = this.org.records[hit.type].filter((r) => r !== hit.rec);
      this.byId.delete(id);
      n++;
    }
    return n;
  }

  /** Restored from the recycle bin (an undelete, or an "unmerge" by hand): live again, its SystemModstamp moves. */
  undelete(ids: string[], at = Date.now()): number {
    let n = 0;
    for (const id of ids) {
      const rec = this.byId.get(id)?.rec;
      if (!rec || rec.IsDeleted !== true) continue;
      rec.IsDeleted = false;
      rec.MasterRecordId = null;
      touch(rec, at);
      n++;
    }
    return n;
  }
}

function touch(rec: SfRecord, at: number): void {
  const ts = sfStamp(at);
  rec.LastModifiedDate = ts;
  rec.SystemModstamp = ts;
}

function setName(type: SObjectName, rec: SfRecord): void {
  if (type === 'Account') return;
  rec.Name = [rec.FirstName, rec.LastName].filter(Boolean).join(' ') || null;
}
