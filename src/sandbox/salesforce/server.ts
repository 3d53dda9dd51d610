import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readJson, send, sleep, type Reply } from '../http';
import { DebouncedSaver, loadJson } from '../persist';
import { handleSalesforceAdmin } from './admin-routes';
import { refreshTokenGrant, sessionExpired } from './oauth';
import { runQuery, SfApiError } from './query';
import { fieldDef, orgFields, SCHEMA, sobjectName, type SObjectName } from './schema';
import { DAY_MS, OrgIndex, sfDatetime, type Org, type SfRecord, type SfValue } from './state';
import { deleteCollection, deleteSingle } from './deletes';
import { writeCollection } from './writes';

/**
 * An emulator of the Salesforce REST API surface the adapter uses, so jsforce runs against it
 * unmodified (instanceUrl pointed here, a bearer access token). Paths, shapes, paging, errors and
 * limits follow ../shared/reference/crm-wire-facts.md section B.
 */

export interface SalesforceSandboxOptions {
  port?: number;
  host?: string;
  /** JSON file the orgs are saved to and loaded from, so data survives a restart. */
  dataFile?: string;
}

export interface OrgStats {
  requests: number;
  limitRejections: number;
  serverErrors: number;
  queryTimeouts: number;
  byRoute: Record<string, number>;
}

interface Locator {
  orgId: string;
  sobject: SObjectName;
  fields: string[];
  ids: string[];
  batchSize: number;
}

export const API_VERSION = '62.0';
const QUERY_BATCH = 2_000;

export class SalesforceSandbox {
  readonly orgs = new Map<string, OrgIndex>();
  readonly stats = new Map<string, OrgStats>();
  unauthorized = 0;
  /** 401s for sessions past the org's `sessionTtlMs`, and sessions the token endpoint issued. */
  sessionExpiries = 0;
  sessionRefreshes = 0;
  private server?: Server;
  private data: { orgs: Org[] };
  private readonly saver: DebouncedSaver;
  /** Open query cursors; like Salesforce's, they live in the server, not in the data file. */
  private locators = new Map<string, Locator>();

  constructor(private readonly opts: SalesforceSandboxOptions = {}) {
    this.data = loadJson(opts.dataFile, () => ({ orgs: [] as Org[] }));
    for (const o of this.data.orgs) this.orgs.set(o.orgId, new OrgIndex(o));
    this.saver = new DebouncedSaver(opts.dataFile, () => this.data);
  }

  async listen(): Promise<string> {
    // Salesforce refuses a request whose URI and headers pass 16,384 bytes with 431; Node's parser
    // does the same at this size (its default, set here so a Node upgrade cannot move it).
    this.server = createServer({ maxHeaderSize: 16_384 }, (req, res) => {
      this.handle(req)
        .then((reply) => send(res, reply))
        .catch((err) => {
          const e =
            err instanceof SfApiError ? err : new SfApiError(500, 'UNKNOWN_EXCEPTION', String(err?.message ?? err));
          send(res, { status: e.status, body: e.body });
        });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) =>
      this.server!.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', resolve),
    );
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.saver.flush();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((r) => this.server!.close(() => r()));
    }
  }

  addOrg(org: Org): OrgIndex {
    this.data.orgs = this.data.orgs.filter((o) => o.orgId !== org.orgId);
    this.data.orgs.push(org);
    const idx = new OrgIndex(org);
    this.orgs.set(org.orgId, idx);
    this.stats.delete(org.orgId);
    this.changed();
    return idx;
  }

  orgStats(orgId: string): OrgStats {
    let s = this.stats.get(orgId);
    if (!s)
      this.stats.set(orgId, (s = { requests: 0, limitRejections: 0, serverErrors: 0, queryTimeouts: 0, byRoute: {} }));
    return s;
  }

  changed(): void {
    this.saver.changed();
  }

  private orgFor(token: string | undefined): OrgIndex | undefined {
    if (!token) return undefined;
    for (const idx of this.orgs.values())
      if (idx.org.tokens.includes(token) && !idx.org.revokedTokens.includes(token)) return idx;
    return undefined;
  }

  private async handle(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname.replace(/\/+$/, '');
    if (path.startsWith('/_admin/')) return handleSalesforceAdmin(this, req, url);
    if (path === '/services/data' && req.method === 'GET') {
      return {
        status: 200,
        body: [{ label: "Winter '25", url: `/services/data/v${API_VERSION}`, version: API_VERSION }],
      };
    }
    if (path === '/services/oauth2/token' && req.method === 'POST') {
      const reply = await refreshTokenGrant(
        [...this.orgs.values()].map((i) => i.org),
        req,
        this.url,
      );
      if (reply.status === 200) {
        this.sessionRefreshes++;
        this.changed();
      }
      return reply;
    }
    // The identity URL takes the token as a query parameter (jsforce's identity() sends it so).
    const token =
      /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('oauth_token') ?? undefined;
    const idx = this.orgFor(token);
    // Salesforce answers an expired session exactly as an invalid one.
    const expired = idx !== undefined && sessionExpired(idx.org, token!, Date.now());
    if (!idx || expired) {
      this.unauthorized++;
      if (expired) this.sessionExpiries++;
      throw new SfApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    }
    const org = idx.org;
    const stats = this.orgStats(org.orgId);
    const route = routeKey(req.method ?? 'GET', path);
    stats.requests++;
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;

    if (org.faults.latencyMs) await sleep(org.faults.latencyMs);
    if (org.faults.stallCount && org.faults.stallCount > 0) {
      org.faults.stallCount--;
      await sleep(org.faults.stallMs ?? 0);
    }
    if (Date.now() < org.faults.outageUntil || (org.faults.errorRate > 0 && Math.random() < org.faults.errorRate)) {
      stats.serverErrors++;
      throw new SfApiError(503, 'SERVER_UNAVAILABLE', 'Server unavailable, please try again later.');
    }
    const refusal = org.faults.apiError;
    if (refusal) throw new SfApiError(refusal.status, refusal.errorCode, refusal.message);

    const now = Date.now();
    if (now - org.usage.windowStart >= DAY_MS) org.usage = { windowStart: now, count: 0 };
    if (org.usage.count >= org.limits.dailyMax) {
      stats.limitRejections++;
      const e = new SfApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
      return { status: 403, body: e.body, headers: this.limitHeader(org) };
    }
    // Counted in memory; the count reaches the data file with the next data change or at close.
    org.usage.count++;
    try {
      const reply = await this.route(idx, req, url, path);
      reply.headers = { ...(reply.headers ?? {}), ...this.limitHeader(org) };
      return reply;
    } catch (err) {
      if (err instanceof SfApiError) {
        if (err.errorCode === 'QUERY_TIMEOUT') stats.queryTimeouts++;
        return { status: err.status, body: err.body, headers: this.limitHeader(org) };
      }
      throw err;
    }
  }

  private limitHeader(org: Org): Record<string, string> {
    return { 'Sforce-Limit-Info': `api-usage=${org.usage.count}/${org.limits.dailyMax}` };
  }

  private async route(idx: OrgIndex, req: IncomingMessage, url: URL, path: string): Promise<Reply> {
    const method = req.method ?? 'GET';
    const org = idx.org;
    let m: RegExpExecArray | null;

    if ((m = /^\/id\/([^/]+)\/([^/]+)$/.exec(path)) && method === 'GET')
      return { status: 200, body: identity(idx, this.url) };
    if (!(m = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(path)))
      throw new SfApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    const version = m[1];
    const rest = m[2] ?? '';
    const base = `/services/data/v${version}`;

    if (rest === '' && method === 'GET') {
      return {
        status: 200,
        body: {
          sobjects: `${base}/sobjects`,
          query: `${base}/query`,
          queryAll: `${base}/queryAll`,
          limits: `${base}/limits`,
          composite: `${base}/composite`,
          identity: `${this.url}/id/${org.orgId}/${org.userId}`,
        },
      };
    }
    if ((rest === '/query' || rest === '/queryAll') && method === 'GET') {
      const q = url.searchParams.get('q');
      if (!q) throw new SfApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
      const result = runQuery(org, q, rest === '/queryAll');
      if (result.count) return { status: 200, body: { totalSize: result.ids.length, done: true, records: [] } };
      const batch = batchSize(req.headers['sforce-query-options']);
      return {
        status: 200,
        body: this.page(
          idx,
          base,
          { orgId: org.orgId, sobject: result.sobject, fields: result.fields, ids: result.ids, batchSize: batch },
          0,
        ),
      };
    }
    if ((m = /^\/(?:query|queryAll)\/([A-Za-z0-9]+)-(\d+)$/.exec(rest)) && method === 'GET') {
      const loc = this.locators.get(m[1]);
      if (!loc || loc.orgId !== org.orgId) throw new SfApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      return { status: 200, body: this.page(idx, base, loc, Number(m[2]), m[1]) };
    }
    if (rest === '/limits' && method === 'GET') {
      return {
        status: 200,
        body: {
          DailyApiRequests: { Max: org.limits.dailyMax, Remaining: Math.max(0, org.limits.dailyMax - org.usage.count) },
          DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
        },
      };
    }
    if (rest === '/sobjects' && method === 'GET') {
      return {
        status: 200,
        body: {
          encoding: 'UTF-8',
          maxBatchSize: 200,
          sobjects: Object.keys(SCHEMA).map((name) => ({
            name,
            label: name,
            queryable: true,
            createable: name !== 'User',
            updateable: true,
            urls: { describe: `${base}/sobjects/${name}/describe` },
          })),
        },
      };
    }
    if ((m = /^\/sobjects\/(\w+)\/describe$/.exec(rest)) && method === 'GET')
      return { status: 200, body: describe(org, sobjectOr404(m[1]), base) };
    if ((m = /^\/sobjects\/(\w+)\/(updated|deleted)$/.exec(rest)) && method === 'GET')
      return { status: 200, body: changes(org, sobjectOr404(m[1]), m[2] as 'updated' | 'deleted', url) };
    if ((m = /^\/sobjects\/(\w+)\/(\w{15,18})$/.exec(rest)) && method === 'DELETE') {
      sobjectOr404(m[1]);
      deleteSingle(idx, m[2]);
      this.changed();
      return { status: 204 };
    }
    if ((m = /^\/sobjects\/(\w+)\/(\w{15,18})$/.exec(rest))) {
      const type = sobjectOr404(m[1]);
      const rec = idx.getOf(type, m[2]);
      if (!rec || rec.IsDeleted === true)
        throw new SfApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      if (method === 'GET') return { status: 200, body: serialize(type, rec, Object.keys(rec), base) };
      if (method === 'PATCH')
        return this.single(
          writeCollection(
            idx,
            { kind: 'update' },
            { records: [{ ...((await readJson(req)) as object), Id: m[2], attributes: { type } }] },
          ),
          204,
        );
    }
    if ((m = /^\/sobjects\/(\w+)$/.exec(rest)) && method === 'POST') {
      const type = sobjectOr404(m[1]);
      return this.single(
        writeCollection(
          idx,
          { kind: 'create' },
          { records: [{ ...((await readJson(req)) as object), attributes: { type } }] },
        ),
        201,
      );
    }
    if (rest === '/composite/sobjects' && (method === 'POST' || method === 'PATCH')) {
      const results = writeCollection(
        idx,
        { kind: method === 'POST' ? 'create' : 'update' },
        (await readJson(req)) as never,
      );
      this.changed();
      return { status: 200, body: results };
    }
    if ((m = /^\/composite\/sobjects\/(\w+)\/(\w+)$/.exec(rest)) && method === 'PATCH') {
      const results = writeCollection(
        idx,
        { kind: 'upsert', externalField: m[2] },
        (await readJson(req)) as never,
        sobjectOr404(m[1]),
      );
      this.changed();
      return { status: 200, body: results };
    }
    if (rest === '/composite/sobjects' && method === 'DELETE') {
      const results = deleteCollection(idx, url);
      this.changed();
      return { status: 200, body: results };
    }
    throw new SfApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  /** A single-record write answers with the record's result, or its errors as an error array. */
  private single(results: ReturnType<typeof writeCollection>, okStatus: number): Reply {
    this.changed();
    const r = results[0];
    if (r.success)
      return okStatus === 204 ? { status: 204 } : { status: okStatus, body: { id: r.id, success: true, errors: [] } };
    return {
      status: 400,
      body: r.errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })),
    };
  }

  private page(idx: OrgIndex, base: string, loc: Locator, offset: number, locatorId?: string) {
    const slice = loc.ids.slice(offset, offset + loc.batchSize);
    const records = slice
      .map((id) => idx.getOf(loc.sobject, id))
      .filter((r): r is SfRecord => !!r)
      .map((r) => serialize(loc.sobject, r, loc.fields, base));
    const next = offset + slice.length;
    const done = next >= loc.ids.length;
    let nextRecordsUrl: string | undefined;
    if (!done) {
      const id = locatorId ?? `01g${randomBytes(8).toString('hex').slice(0, 15)}`;
      if (!locatorId) this.remember(id, loc);
      nextRecordsUrl = `${base}/query/${id}-${next}`;
    } else if (locatorId) {
      this.locators.delete(locatorId);
    }
    return { totalSize: loc.ids.length, done, ...(nextRecordsUrl ? { nextRecordsUrl } : {}), records };
  }

  /** Salesforce caps open cursors per user; the oldest go first. */
  private remember(id: string, loc: Locator): void {
    this.locators.set(id, loc);
    if (this.locators.size > 50) this.locators.delete(this.locators.keys().next().value!);
  }
}

function routeKey(method: string, path: string): string {
  return `${method} ${path
    .replace(/\/v\d+\.\d/, '/vXX')
    .replace(/\/(query|queryAll)\/[^/]+$/, '/$1/<locator>')
    .replace(/\/\w{18}$/, '/<id>')}`;
}

function batchSize(header: string | string[] | undefined): number {
  const m = /batchSize=(\d+)/.exec(String(header ?? ''));
  return m ? Math.min(QUERY_BATCH, Math.max(200, Number(m[1]))) : QUERY_BATCH;
}

function sobjectOr404(name: string): SObjectName {
  const t = sobjectName(name);
  if (!t) throw new SfApiError(404, 'NOT_FOUND', `The requested resource does not exist`);
  return t;
}

function serialize(type: SObjectName, rec: SfRecord, fields: string[], base: string) {
  const out: Record<string, unknown> = { attributes: { type, url: `${base}/sobjects/${type}/${rec.Id}` } };
  for (const f of fields) out[f] = jsonValue(type, f, rec[f] ?? null);
  return out;
}

/** Numbers are stored as their decimal text (writes.ts); the REST API answers an int field with a JSON number. */
function jsonValue(type: SObjectName, field: string, value: SfValue): SfValue | number {
  if (typeof value === 'string' && fieldDef(type, field)?.type === 'int' && /^-?\d+$/.test(value)) return Number(value);
  return value;
}

function identity(idx: OrgIndex, host: string) {
  const user = idx.getOf('User', idx.org.userId)!;
  return {
    id: `${host}/id/${idx.org.orgId}/${user.Id}`,
    user_id: user.Id,
    organization_id: idx.org.orgId,
    username: user.Username,
    display_name: user.Name,
    email: user.Email,
    user_type: 'STANDARD',
    language: 'en_US',
    urls: { rest: `${host}/services/data/v{version}/`, query: `${host}/services/data/v{version}/query/` },
  };
}

function describe(org: Org, type: SObjectName, base: string) {
  return {
    name: type,
    label: type,
    createable: type !== 'User',
    updateable: true,
    queryable: true,
    urls: { describe: `${base}/sobjects/${type}/describe` },
    fields: orgFields(org.schemaChanges, type).map((f) => ({
      name: f.name,
      label: f.name,
      type: f.type,
      // Ids 18; text fields their own length; numbers, dates and checkboxes 0 (they have digits instead).
      length: f.type === 'id' || f.type === 'reference' ? 18 : (f.length ?? 0),
      digits: f.type === 'int' ? 9 : 0,
      nillable: !f.required && f.type !== 'boolean',
      createable: !f.readonly,
      updateable: !f.readonly,
      calculated: false,
      custom: f.name.endsWith('__c'),
      externalId: !!f.externalId,
      idLookup: f.type === 'id' || !!f.externalId,
      unique: false,
      restrictedPicklist: !!f.picklist?.restricted,
      picklistValues: (f.picklist?.values ?? []).map((v, i) => ({
        active: true,
        defaultValue: type === 'Lead' && f.name === 'Status' && i === 0,
        label: v,
        value: v,
        validFor: null,
      })),
    })),
  };
}

/** getUpdated / getDeleted: by SystemModstamp, in the last 30 / 15 days, seconds truncated. */
function changes(org: Org, type: SObjectName, which: 'updated' | 'deleted', url: URL) {
  const start = Date.parse(url.searchParams.get('start') ?? '');
  const end = Date.parse(url.searchParams.get('end') ?? '');
  if (Number.isNaN(start) || Number.isNaN(end))
    throw new SfApiError(400, 'INVALID_REPLICATION_DATE', 'start and end are required');
  const now = Date.now();
  const earliest = now - (which === 'updated' ? 30 : 15) * DAY_MS;
  if (start < earliest)
    throw new SfApiError(400, 'INVALID_REPLICATION_DATE', `startDate before org replication enabled date`);
  const [from, to] = [
    sfDatetime(Math.floor(start / 1000) * 1000),
    sfDatetime(Math.floor(Math.min(end, now) / 1000) * 1000),
  ];
  const inRange = (r: SfRecord) => String(r.SystemModstamp) >= from && String(r.SystemModstamp) < to;
  const latestDateCovered = to;
  if (which === 'updated') {
    return {
      ids: org.records[type].filter((r) => r.IsDeleted !== true && inRange(r)).map((r) => r.Id),
      latestDateCovered,
    };
  }
  return {
    deletedRecords: org.records[type]
      .filter((r) => r.IsDeleted === true && inRange(r))
      .map((r) => ({ id: r.Id, deletedDate: r.SystemModstamp })),
    earliestDateAvailable: sfDatetime(earliest),
    latestDateCovered,
  };
}

export async function startSalesforceSandbox(opts: SalesforceSandboxOptions = {}): Promise<SalesforceSandbox> {
  const sb = new SalesforceSandbox(opts);
  await sb.listen();
  return sb;
}
