import { adminCall } from '../admin-call';
import type { SfSeedSpec } from './demo-data';
import type { SchemaChanges } from './schema';
import type { OrgFaults, OrgLimits, SfRecord } from './state';

/** Typed calls to the Salesforce sandbox's admin endpoints, for tests, the bench and the demo. */
export class SalesforceSandboxAdmin {
  constructor(
    readonly baseUrl: string,
    readonly orgId: string,
  ) {}

  static async createOrg(baseUrl: string, orgId: string, token: string, limits: Partial<OrgLimits> = {}) {
    const r = await adminCall<{ orgId: string; userId: string }>(baseUrl, 'POST', '/_admin/orgs', {
      orgId,
      token,
      limits,
    });
    return Object.assign(new SalesforceSandboxAdmin(baseUrl, orgId), { integrationUserId: r.userId });
  }

  static async orgs(baseUrl: string): Promise<string[]> {
    return (await adminCall<{ orgs: string[] }>(baseUrl, 'GET', '/_admin/orgs')).orgs;
  }

  seed(spec: SfSeedSpec) {
    return this.call<{ users: number; accounts: number; contacts: number; leads: number }>('POST', '/seed', spec);
  }
  setFaults(f: Partial<OrgFaults>) {
    return this.call<OrgFaults>('PUT', '/faults', f);
  }
  setLimits(l: Partial<OrgLimits>) {
    return this.call<OrgLimits>('PUT', '/limits', l);
  }
  usage() {
    return this.call<{ windowStart: number; count: number; max: number }>('GET', '/usage');
  }
  /** What the day's window has spent: 0 renews the allowance. */
  setUsage(count: number) {
    return this.call('PUT', '/usage', { count });
  }
  revoke(token: string) {
    return this.call('POST', '/revoke', { token });
  }
  /** A connected app allowed the refresh-token flow, and a refresh token it issued. */
  addOAuth(o: { clientId: string; clientSecret: string; refreshToken: string }) {
    return this.call('POST', '/oauth', o);
  }
  /** The org's own set-up (fields it lacks, picklists of its own); `{}` restores the standard one. */
  setSchema(changes: SchemaChanges) {
    return this.call<SchemaChanges>('PUT', '/schema', changes);
  }
  addToken(token: string) {
    return this.call('POST', '/tokens', { token });
  }
  stats() {
    return this.call<{
      requests: number;
      limitRejections: number;
      serverErrors: number;
      queryTimeouts: number;
      byRoute: Record<string, number>;
    }>('GET', '/stats');
  }
  create(type: string, values: SfRecord) {
    return this.call<SfRecord>('POST', `/objects/${type}`, values);
  }
  update(type: string, id: string, values: SfRecord) {
    return this.call<SfRecord>('PATCH', `/objects/${type}/${id}`, values);
  }
  remove(type: string, id: string) {
    return this.call('DELETE', `/objects/${type}/${id}`);
  }
  get(type: string, id: string) {
    return this.call<SfRecord>('GET', `/objects/${type}/${id}`);
  }
  ids(type: string) {
    return this.call<{ count: number; ids: string[] }>('GET', `/objects/${type}?ids=true`);
  }
  convertLead(leadId: string, opts: { contactId?: string; accountId?: string } = {}) {
    return this.call<{ leadId: string; contactId: string; accountId: string }>('POST', '/convert', { leadId, ...opts });
  }
  merge(type: string, masterId: string, mergeIds: string[]) {
    return this.call('POST', '/merge', { type, masterId, mergedIds: mergeIds });
  }
  /** Empties these records out of the recycle bin: gone for good. */
  purge(ids: string[]) {
    return this.call<{ purged: number }>('POST', '/purge', { ids });
  }
  /** Restores deleted (or merged-away) records: live again, SystemModstamp moved. */
  undelete(ids: string[]) {
    return this.call<{ undeleted: number }>('POST', '/undelete', { ids });
  }

  private call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return adminCall<T>(this.baseUrl, method, `/_admin/orgs/${this.orgId}${path}`, body);
  }
}
