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
  addToken(token: string) {
    return this.call('POST', '/tokens', { token });
  }
  stats() {
    return this.call<{
      requests: number;
      throttled: number;
      serverErrors: number;
      byRoute: Record<string, number>;
      busiest: { tenSecondly: number; searchSecondly: number };
    }>('GET', '/stats');
  }
  owners() {
    return this.call<{ owners: { id: string; email: string }[] }>('GET', '/owners');
  }
  addOwner(o: { email: string; firstName?: string; lastName?: string }) {
    return this.call<{ id: string }>('POST', '/owners', o);
  }
  create(type: HsObjectType, properties: Record<string, string | null>, companyIds?: string[]) {
    return this.call<HsRecord>('POST', `/objects/${type}`, { properties, companyIds });
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

  private call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return adminCall<T>(this.baseUrl, method, `/_admin/portals/${this.portalId}${path}`, body);
  }
}
