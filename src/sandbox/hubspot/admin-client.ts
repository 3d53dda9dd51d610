import { adminCall } from '../admin-call';
import type { SeedSpec } from './demo-data';
import type { Faults, HsObjectType, HsRecord, RateLimitConfig } from './state';

/** Typed calls to the sandbox's admin endpoints, for tests, the bench and the dev launcher. */
export class HubSpotSandboxAdmin {
  constructor(
    readonly baseUrl: string,
    readonly portalId: number,
  ) {}

  static async createPortal(
    baseUrl: string,
    portalId: number,
    token: string,
    rateLimit: Partial<RateLimitConfig> = {},
  ) {
    await adminCall(baseUrl, 'POST', '/_admin/portals', { portalId, token, rateLimit });
    return new HubSpotSandboxAdmin(baseUrl, portalId);
  }

  /** Portal ids the sandbox holds. */
  static async portals(baseUrl: string): Promise<number[]> {
    return (await adminCall<{ portals: number[] }>(baseUrl, 'GET', '/_admin/portals')).portals;
  }

  seed(spec: SeedSpec) {
    return this.call<{ owners: number; companies: number; contacts: number }>('POST', '/seed', spec);
  }
  setFaults(f: Partial<Faults>) {
    return this.call<Faults>('PUT', '/faults', f);
  }
  setRateLimit(r: Partial<RateLimitConfig>) {
    return this.call<RateLimitConfig>('PUT', '/rate-limit', r);
  }
  revoke(token: string) {
    return this.call('POST', '/revoke', { token });
  }
  /** Scopes the token lacks (403 MISSING_SCOPES on the routes that need them); [] grants every scope. */
  withholdScopes(token: string, withheld: string[]) {
    return this.call('PUT', '/scopes', { token, withheld });
  }
  addToken(token: string) {
    return this.call('POST', '/tokens', { token });
  }
  stats() {
    return this.call<{ requests: number; throttled: number; serverErrors: number; byRoute: Record<string, number> }>(
      'GET',
      '/stats',
    );
  }
  owners() {
    return this.call<{ owners: { id: string; email: string }[] }>('GET', '/owners');
  }
  addOwner(o: { email: string; firstName?: string; lastName?: string }) {
    return this.call<{ id: string }>('POST', '/owners', o);
  }
  /** `primaryCompanyId`: a contact's primary company when not the first of `companyIds`; null: none. */
  create(
    type: HsObjectType,
    properties: Record<string, string | null>,
    companyIds?: string[],
    primaryCompanyId?: string | null,
  ) {
    return this.call<HsRecord>('POST', `/objects/${type}`, {
      properties,
      companyIds,
      ...(primaryCompanyId !== undefined ? { primaryCompanyId } : {}),
    });
  }
  update(type: HsObjectType, id: string, properties: Record<string, string | null>) {
    return this.call<HsRecord>('PATCH', `/objects/${type}/${id}`, { properties });
  }
  /** Stores properties and `updatedAt` verbatim, bad data included (NUL, lone surrogates, no time). */
  storeAsIs(type: HsObjectType, id: string, patch: { properties?: Record<string, string | null>; updatedAt?: string }) {
    return this.call<HsRecord>('PUT', `/objects/${type}/${id}/as-is`, patch);
  }
  get(type: HsObjectType, id: string) {
    return this.call<HsRecord>('GET', `/objects/${type}/${id}`);
  }
  ids(type: HsObjectType) {
    return this.call<{ count: number; ids: string[] }>('GET', `/objects/${type}?ids=true`);
  }

  /** Deleted in HubSpot (to the recycle bin), optionally at an earlier time. */
  archive(type: HsObjectType, id: string, at?: Date) {
    return this.call('POST', `/objects/${type}/${id}/archive`, at ? { at: at.toISOString() } : {});
  }
  /** Merged in HubSpot: `mergeId` into `primaryId`; answers the survivor. */
  merge(type: HsObjectType, primaryId: string, mergeId: string) {
    return this.call<{ id: string; properties: Record<string, string | null> }>('POST', '/merge', {
      type,
      primaryObjectId: primaryId,
      objectIdToMerge: mergeId,
    });
  }
  /** Gone for good (recycle bin emptied, GDPR delete): no read, list or write finds them. */
  purge(type: HsObjectType, ids: string[]) {
    return this.call<{ purged: number }>('POST', '/purge', { type, ids });
  }

  private call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return adminCall<T>(this.baseUrl, method, `/_admin/portals/${this.portalId}${path}`, body);
  }
}
