import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { correlationId, listParam, readJson, send, sleep, type Reply } from '../http';
import { lacksScope, missingScopesBody, requiredScope } from './scopes';
import { DebouncedSaver } from '../persist';
import { handleAdmin } from './admin-routes';
import { RateLimiter, rateLimitBody } from './rate-limit';
import { runSearch, SearchError, validateSearch, type SearchRequest } from './search';
import { archiveOne, batchArchive, mergeObjects } from './removals';
import { batchReadReply, serialize } from './serialize';
import {
  associateDefault,
  batchCreate,
  batchReadBy,
  batchUpdate,
  batchUpsert,
  createProperty,
  getProperty,
  listProperties,
} from './writes';
import {
  companyAssociations,
  loadData,
  OBJECT_TYPES,
  PortalIndex,
  type HsObjectType,
  type HsRecord,
  type Portal,
  type SandboxData,
} from './state';

/**
 * An emulator of the HubSpot CRM v3/v4 API surface the adapter uses, so that @hubspot/api-client runs
 * against it unmodified (basePath pointed here). Paths, JSON shapes, paging, auth, rate limits and
 * error bodies follow ../shared/reference/crm-wire-facts.md section A.
 */

export interface HubSpotSandboxOptions {
  port?: number;
  host?: string;
  /** JSON file the portals are saved to and loaded from, so data survives a restart. */
  dataFile?: string;
}

export interface PortalStats {
  requests: number;
  throttled: number;
  serverErrors: number;
  byRoute: Record<string, number>;
  /** Search hits left out because the index had not caught up with their write (faults.searchLagMs). */
  searchLagged?: number;
}

export class HubSpotSandbox {
  readonly limiter = new RateLimiter();
  readonly indexes = new Map<number, PortalIndex>();
  readonly stats = new Map<number, PortalStats>();
  /** Requests answered 401, across portals (they name no portal). */
  unauthorized = 0;
  private server?: Server;
  private data: SandboxData;
  private readonly saver: DebouncedSaver;

  constructor(private readonly opts: HubSpotSandboxOptions = {}) {
    this.data = loadData(opts.dataFile);
    this.saver = new DebouncedSaver(opts.dataFile, () => this.data);
    for (const p of this.data.portals) this.indexes.set(p.portalId, new PortalIndex(p));
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req)
        .then((reply) => send(res, reply))
        .catch((err) =>
          send(res, {
            status: 500,
            body: {
              status: 'error',
              message: String(err?.message ?? err),
              category: 'INTERNAL_ERROR',
              correlationId: correlationId(),
            },
          }),
        );
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) =>
      this.server!.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', resolve),
    );
    return this.url;
  }

  get url(): string {
    const a = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${a.port}`;
  }

  async close(): Promise<void> {
    this.saver.flush();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((r) => this.server!.close(() => r()));
    }
  }

  addPortal(portal: Portal): PortalIndex {
    this.data.portals = this.data.portals.filter((p) => p.portalId !== portal.portalId);
    this.data.portals.push(portal);
    const idx = new PortalIndex(portal);
    this.indexes.set(portal.portalId, idx);
    this.stats.delete(portal.portalId);
    this.changed();
    return idx;
  }

  portalStats(portalId: number): PortalStats {
    let s = this.stats.get(portalId);
    if (!s) this.stats.set(portalId, (s = { requests: 0, throttled: 0, serverErrors: 0, byRoute: {} }));
    return s;
  }

  /** Marks data dirty; it is saved shortly after, and at close. */
  changed(): void {
    this.saver.changed();
  }

  private async handle(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (url.pathname.startsWith('/_admin/')) return handleAdmin(this, req, url);

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const idx = token ? this.portalFor(token) : undefined;
    if (idx) {
      const faults = idx.portal.faults;
      if (faults.latencyMs) await sleep(faults.latencyMs);
      if (faults.stallCount && faults.stallCount > 0) {
        faults.stallCount--;
        await sleep(faults.stallMs ?? 0);
      }
      if (Date.now() < faults.outageUntil) return this.serverError(idx.portal.portalId, 503);
    }
    if (!idx) {
      this.unauthorized++;
      return {
        status: 401,
        body: {
          status: 'error',
          message:
            'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
          correlationId: correlationId(),
          category: 'INVALID_AUTHENTICATION',
        },
      };
    }
    const portal = idx.portal;
    const route = routeKey(req.method ?? 'GET', url.pathname);
    const stats = this.portalStats(portal.portalId);
    stats.requests++;
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;

    const verdict = this.limiter.check(token!, portal.rateLimit, route.endsWith('/search'));
    if (!verdict.ok) {
      stats.throttled++;
      return {
        status: 429,
        headers: verdict.headers,
        body: rateLimitBody(verdict.policy, correlationId(), portal.portalId),
      };
    }
    if (portal.faults.errorRate > 0 && Math.random() < portal.faults.errorRate)
      return this.serverError(portal.portalId, 502);

    const scope = requiredScope(req.method ?? 'GET', url.pathname);
    if (scope && lacksScope(portal, token!, scope)) return { status: 403, body: missingScopesBody(scope) };
    const reply = await this.route(idx, req, url);
    reply.headers = { ...verdict.headers, 'X-HubSpot-Correlation-Id': correlationId(), ...(reply.headers ?? {}) };
    return reply;
  }

  private serverError(portalId: number, status: number): Reply {
    this.portalStats(portalId).serverErrors++;
    return {
      status,
      body: {
        status: 'error',
        message: 'The service is temporarily unavailable.',
        correlationId: correlationId(),
        category: 'INTERNAL_ERROR',
      },
    };
  }

  private portalFor(token: string): PortalIndex | undefined {
    for (const idx of this.indexes.values()) {
      if (idx.portal.tokens.includes(token) && !idx.portal.revokedTokens.includes(token)) return idx;
    }
    return undefined;
  }

  private async route(idx: PortalIndex, req: IncomingMessage, url: URL): Promise<Reply> {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    let m: RegExpExecArray | null;

    if (method === 'GET' && path === '/account-info/v3/details') {
      return {
        status: 200,
        body: {
          portalId: idx.portal.portalId,
          accountType: 'STANDARD',
          timeZone: 'US/Eastern',
          companyCurrency: 'USD',
          additionalCurrencies: [],
          utcOffset: '-05:00',
          utcOffsetMilliseconds: -18000000,
          uiDomain: 'app.hubspot.com',
          dataHostingLocation: 'na1',
        },
      };
    }
    if (method === 'GET' && path === '/crm/v3/owners') return listOwners(idx, url);
    if ((m = /^\/crm\/v3\/objects\/(\w+)$/.exec(path)) && method === 'GET')
      return withType(m[1], (t) => listPage(idx, t, url));
    if ((m = /^\/crm\/v3\/objects\/(\w+)\/search$/.exec(path)) && method === 'POST') {
      const body = (await readJson(req)) as SearchRequest;
      return withType(m[1], (t) => search(idx, t, body ?? {}, this.portalStats(idx.portal.portalId)));
    }
    if ((m = /^\/crm\/v3\/objects\/(\w+)\/batch\/read$/.exec(path)) && method === 'POST') {
      const body = (await readJson(req)) as { inputs?: { id: string }[]; properties?: string[]; idProperty?: string };
      if (body?.idProperty && body.idProperty !== 'hs_object_id')
        return withType(m[1], (t) => batchReadBy(idx, t, { ...body, idProperty: body.idProperty! }));
      return withType(m[1], (t) => batchRead(idx, t, body ?? {}, url.searchParams.get('archived') === 'true'));
    }
    if ((m = /^\/crm\/v3\/objects\/(\w+)\/batch\/archive$/.exec(path)) && method === 'POST') {
      const body = (await readJson(req)) as Parameters<typeof batchArchive>[2];
      const reply = withType(m[1], (t) => batchArchive(idx, t, body));
      this.changed();
      return reply;
    }
    if ((m = /^\/crm\/v3\/objects\/(\w+)\/merge$/.exec(path)) && method === 'POST') {
      const body = (await readJson(req)) as Parameters<typeof mergeObjects>[2];
      const reply = withType(m[1], (t) => mergeObjects(idx, t, body));
      this.changed();
      return reply;
    }
    if ((m = /^\/crm\/v3\/objects\/(\w+)\/(\d+)$/.exec(path)) && method === 'DELETE') {
      const id = m[2];
      const reply = withType(m[1], (t) => archiveOne(idx, t, id));
      this.changed();
      return reply;
    }
    if ((m = /^\/crm\/v3\/objects\/(\w+)\/batch\/(create|update|upsert)$/.exec(path)) && method === 'POST') {
      const body = (await readJson(req)) as Parameters<typeof batchUpsert>[2];
      const op = m[2] === 'create' ? batchCreate : m[2] === 'update' ? batchUpdate : batchUpsert;
      const reply = withType(m[1], (t) => op(idx, t, body ?? {}));
      if (reply.status < 300 || reply.status === 207) this.changed();
      return reply;
    }
    if (path === '/crm/v4/associations/contacts/companies/batch/associate/default' && method === 'POST') {
      const reply = associateDefault(idx, (await readJson(req)) as Parameters<typeof associateDefault>[1]);
      this.changed();
      return reply;
    }
    if ((m = /^\/crm\/v3\/properties\/(\w+)\/(\w+)$/.exec(path)) && method === 'GET') {
      const name = m[2];
      return withType(m[1], (t) => getProperty(idx, t, name));
    }
    if ((m = /^\/crm\/v3\/properties\/(\w+)$/.exec(path))) {
      if (method === 'GET') return withType(m[1], (t) => listProperties(idx, t));
      if (method === 'POST') {
        const body = (await readJson(req)) as Parameters<typeof createProperty>[2];
        const reply = withType(m[1], (t) => createProperty(idx, t, body));
        this.changed();
        return reply;
      }
    }
    if ((m = /^\/crm\/v3\/objects\/(\w+)\/(\d+)$/.exec(path)) && method === 'GET') {
      const id = m[2];
      return withType(m[1], (t) => {
        // A merged-away id answers with the record it was merged into (its own id, not the one asked).
        const rec = idx.resolve(t, id);
        const archived = url.searchParams.get('archived') === 'true';
        if (!rec || rec.archived !== archived || rec.mergedInto)
          return notFound(`Object not found.  objectId are usually numeric.`);
        const withAssoc = (listParam(url, 'associations') ?? []).includes('companies');
        return { status: 200, body: serialize(rec, t, listParam(url, 'properties'), withAssoc) };
      });
    }
    if ((m = /^\/crm\/v4\/objects\/contacts\/(\d+)\/associations\/companies$/.exec(path)) && method === 'GET') {
      const rec = idx.get('contacts', m[1]);
      if (!rec || rec.archived) return notFound('Object not found.');
      return { status: 200, body: { results: companyAssociations(rec).map(assoc) } };
    }
    if (path === '/crm/v4/associations/contacts/companies/batch/read' && method === 'POST') {
      const body = (await readJson(req)) as { inputs?: { id: string }[] };
      const results = (body?.inputs ?? [])
        .map((i) => idx.get('contacts', String(i.id)))
        .filter((r): r is HsRecord => !!r && !r.archived)
        .map((r) => ({ from: { id: r.id }, to: companyAssociations(r).map(assoc) }));
      const now = new Date().toISOString();
      return { status: 200, body: { status: 'COMPLETE', results, startedAt: now, completedAt: now } };
    }
    return notFound(`Unable to route ${method} ${url.pathname}`);
  }
}

function withType(name: string, fn: (t: HsObjectType) => Reply): Reply {
  if (!(OBJECT_TYPES as readonly string[]).includes(name)) return notFound(`Unable to infer object type from: ${name}`);
  return fn(name as HsObjectType);
}

function notFound(message: string): Reply {
  return {
    status: 404,
    body: { status: 'error', message, correlationId: correlationId(), category: 'OBJECT_NOT_FOUND' },
  };
}

function badRequest(message: string): Reply {
  return {
    status: 400,
    body: { status: 'error', message, correlationId: correlationId(), category: 'VALIDATION_ERROR' },
  };
}

/** One v4 association of a contact to a company: the primary one carries type 1 besides 279. */
function assoc({ companyId, primary }: { companyId: string; primary: boolean }) {
  return {
    toObjectId: Number(companyId),
    associationTypes: primary
      ? [
          { category: 'HUBSPOT_DEFINED', typeId: 1, label: 'Primary' },
          { category: 'HUBSPOT_DEFINED', typeId: 279, label: null },
        ]
      : [{ category: 'HUBSPOT_DEFINED', typeId: 279, label: null }],
  };
}

function routeKey(method: string, path: string): string {
  return `${method} ${path.replace(/\/\d+(?=\/|$)/g, '/{id}').replace(/\/+$/, '')}`;
}

function listPage(idx: PortalIndex, type: HsObjectType, url: URL): Reply {
  const limitRaw = Number(url.searchParams.get('limit') ?? 10);
  if (!Number.isInteger(limitRaw) || limitRaw < 1) return badRequest('limit must be a positive integer');
  const limit = Math.min(limitRaw, 100); // HubSpot caps list pages at 100
  const after = Number(url.searchParams.get('after') ?? 0);
  if (Number.isNaN(after)) return badRequest(`Invalid after: ${url.searchParams.get('after')}`);
  const archived = url.searchParams.get('archived') === 'true';
  const withAssoc = (listParam(url, 'associations') ?? []).includes('companies');
  const props = listParam(url, 'properties');
  const list = idx.portal.objects[type];
  const results = [];
  let i = idx.firstAfter(type, after);
  for (; i < list.length && results.length < limit; i++) {
    if (listed(list[i], archived)) results.push(serialize(list[i], type, props, withAssoc));
  }
  while (i < list.length && !listed(list[i], archived)) i++;
  const last = results[results.length - 1];
  const body: Record<string, unknown> = { results };
  if (i < list.length && last) body.paging = { next: { after: last.id, link: `?after=${last.id}` } };
  return { status: 200, body };
}

/** Merged-away records are in neither list: not live, and not in the recycle bin either. */
function listed(rec: HsRecord, archived: boolean): boolean {
  return rec.archived === archived && !rec.mergedInto;
}

function search(idx: PortalIndex, type: HsObjectType, req: SearchRequest, stats: PortalStats): Reply {
  try {
    validateSearch(req);
    const { total, page, nextAfter, lagged } = runSearch(idx.portal.objects[type], req, idx.portal.faults.searchLagMs);
    stats.searchLagged = (stats.searchLagged ?? 0) + lagged;
    const body: Record<string, unknown> = { total, results: page.map((r) => serialize(r, type, req.properties)) };
    if (nextAfter !== undefined) body.paging = { next: { after: nextAfter } };
    return { status: 200, body };
  } catch (err) {
    if (err instanceof SearchError) return badRequest(err.message);
    throw err;
  }
}

function batchRead(
  idx: PortalIndex,
  type: HsObjectType,
  body: { inputs?: { id: string }[]; properties?: string[] },
  archived: boolean,
): Reply {
  const inputs = body.inputs ?? [];
  if (inputs.length > 100) return badRequest('The maximum number of inputs supported in a batch request is 100.');
  return batchReadReply(
    type,
    inputs.map((i) => String(i.id)),
    body.properties,
    (id) => {
      // As GET does, a merged-away id reads as its survivor.
      const rec = archived ? idx.get(type, id) : idx.resolve(type, id);
      return rec && rec.archived === archived && !rec.mergedInto ? rec : undefined;
    },
  );
}

function listOwners(idx: PortalIndex, url: URL): Reply {
  const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), 500);
  const after = Number(url.searchParams.get('after') ?? 0);
  const email = url.searchParams.get('email');
  const archived = url.searchParams.get('archived') === 'true';
  const all = idx.portal.owners.filter(
    (o) => o.archived === archived && (!email || o.email.toLowerCase() === email.toLowerCase()),
  );
  const page = all.slice(after, after + limit);
  const body: Record<string, unknown> = { results: page.map((o) => ({ ...o, type: 'PERSON', teams: [] })) };
  if (after + limit < all.length) body.paging = { next: { after: String(after + limit) } };
  return { status: 200, body };
}

export async function startHubSpotSandbox(opts: HubSpotSandboxOptions = {}): Promise<HubSpotSandbox> {
  const s = new HubSpotSandbox(opts);
  await s.listen();
  return s;
}
