import type { IncomingMessage } from 'node:http';
import { readJson, type Reply } from '../http';
import { seedPortal, type SeedSpec } from './demo-data';
import { mergeObjects } from './removals';
import type { HubSpotSandbox } from './server';
import { newPortal, OBJECT_TYPES, type Faults, type HsObjectType, type RateLimitConfig } from './state';

/**
 * Test and demo controls, not part of HubSpot's API: create portals, seed data, make edits "in the
 * CRM", inject faults, revoke tokens, read request counts. Loopback only, no auth, not rate limited.
 */
export async function handleAdmin(sb: HubSpotSandbox, req: IncomingMessage, url: URL): Promise<Reply> {
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '');
  const body = (method === 'GET' ? undefined : await readJson(req)) as Record<string, any> | undefined;
  let m: RegExpExecArray | null;

  if (path === '/_admin/portals' && method === 'POST') {
    const portalId = Number(body?.portalId);
    if (!portalId || !body?.token) return bad('portalId and token are required');
    sb.addPortal(newPortal(portalId, String(body.token), body.rateLimit ?? {}));
    return { status: 201, body: { portalId } };
  }
  if (path === '/_admin/portals' && method === 'GET') {
    return { status: 200, body: { portals: [...sb.indexes.keys()] } };
  }
  if (!(m = /^\/_admin\/portals\/(\d+)(\/.*)?$/.exec(path)))
    return { status: 404, body: { message: 'no such admin route' } };
  const idx = sb.indexes.get(Number(m[1]));
  if (!idx) return { status: 404, body: { message: `no portal ${m[1]}` } };
  const rest = m[2] ?? '';
  const portal = idx.portal;

  if (rest === '/seed' && method === 'POST') {
    const result = seedPortal(idx, body as unknown as SeedSpec);
    sb.changed();
    return { status: 200, body: result };
  }
  if (rest === '/faults' && method === 'PUT') {
    Object.assign(
      portal.faults,
      pickNumbers<Faults>(body, ['latencyMs', 'errorRate', 'outageUntil', 'stallCount', 'stallMs', 'searchLagMs']),
    );
    sb.changed();
    return { status: 200, body: portal.faults };
  }
  if (rest === '/rate-limit' && method === 'PUT') {
    Object.assign(
      portal.rateLimit,
      pickNumbers<RateLimitConfig>(body, ['tenSecondMax', 'windowMs', 'searchPerSecond', 'dailyMax']),
    );
    sb.changed();
    return { status: 200, body: portal.rateLimit };
  }
  if (rest === '/revoke' && method === 'POST') {
    if (!portal.revokedTokens.includes(String(body?.token))) portal.revokedTokens.push(String(body?.token));
    sb.changed();
    return { status: 204 };
  }
  if (rest === '/tokens' && method === 'POST') {
    const token = String(body?.token);
    if (!portal.tokens.includes(token)) portal.tokens.push(token);
    portal.revokedTokens = portal.revokedTokens.filter((t) => t !== token);
    sb.changed();
    return { status: 204 };
  }
  // The scopes a token lacks (scopes.ts): `{token, withheld: ["crm.schemas.contacts.write"]}`; [] grants all again.
  if (rest === '/scopes' && method === 'PUT') {
    const token = String(body?.token);
    const withheld = Array.isArray(body?.withheld) ? (body.withheld as unknown[]).map(String) : [];
    portal.withheldScopes = { ...(portal.withheldScopes ?? {}), [token]: withheld };
    sb.changed();
    return { status: 200, body: { token: '[redacted]', withheld } };
  }
  if (rest === '/stats' && method === 'GET') return { status: 200, body: sb.portalStats(portal.portalId) };
  if (rest === '/owners' && method === 'GET') return { status: 200, body: { owners: portal.owners } };
  if (rest === '/owners' && method === 'POST') {
    const now = new Date().toISOString();
    const id = String(70000 + portal.owners.length);
    portal.owners.push({
      id,
      email: String(body?.email),
      firstName: String(body?.firstName ?? ''),
      lastName: String(body?.lastName ?? ''),
      userId: 9000 + portal.owners.length,
      createdAt: now,
      updatedAt: now,
      archived: false,
    });
    sb.changed();
    return { status: 201, body: { id } };
  }
  // Gone for good, as when the recycle bin empties (90 days) or a GDPR delete: `{type, ids}`.
  if (rest === '/purge' && method === 'POST') {
    const type = String(body?.type) as HsObjectType;
    if (!(OBJECT_TYPES as readonly string[]).includes(type)) return bad(`unknown object type ${body?.type}`);
    const purged = idx.purge(type, Array.isArray(body?.ids) ? (body.ids as unknown[]).map(String) : []);
    sb.changed();
    return { status: 200, body: { purged } };
  }
  // A merge made in HubSpot's UI: the same as the public merge endpoint, `{type, primaryObjectId, objectIdToMerge}`.
  if (rest === '/merge' && method === 'POST') {
    const type = String(body?.type) as HsObjectType;
    if (!(OBJECT_TYPES as readonly string[]).includes(type)) return bad(`unknown object type ${body?.type}`);
    const reply = mergeObjects(idx, type, body ?? {});
    sb.changed();
    return reply;
  }
  // A delete made in HubSpot's UI (to the recycle bin); `archivedAt` may be set in the past (`{at}`, ISO).
  if ((m = /^\/objects\/(\w+)\/(\d+)\/archive$/.exec(rest)) && method === 'POST') {
    const type = m[1] as HsObjectType;
    if (!(OBJECT_TYPES as readonly string[]).includes(type)) return bad(`unknown object type ${type}`);
    const at = body?.at ? new Date(String(body.at)) : new Date();
    if (!idx.archive(type, m[2], at)) return { status: 404, body: { message: 'not found or archived already' } };
    sb.changed();
    return { status: 204 };
  }
  if ((m = /^\/objects\/(\w+)\/(\d+)\/as-is$/.exec(rest)) && method === 'PUT') {
    // Bad data a real portal can hold (see PortalIndex.storeAsIs), for tests of what a pull does with it.
    const type = m[1] as HsObjectType;
    if (!(OBJECT_TYPES as readonly string[]).includes(type)) return bad(`unknown object type ${type}`);
    const updatedAt = body?.updatedAt === undefined ? undefined : String(body.updatedAt);
    const rec = idx.storeAsIs(type, m[2], { properties: body?.properties ?? {}, updatedAt });
    if (!rec) return { status: 404, body: { message: 'not found' } };
    sb.changed();
    return { status: 200, body: rec };
  }
  if ((m = /^\/objects\/(\w+)(?:\/(\d+))?$/.exec(rest))) {
    const type = m[1] as HsObjectType;
    if (!(OBJECT_TYPES as readonly string[]).includes(type)) return bad(`unknown object type ${type}`);
    if (!m[2] && method === 'GET') {
      const live = portal.objects[type].filter((r) => !r.archived);
      return {
        status: 200,
        body: { count: live.length, ids: url.searchParams.get('ids') === 'true' ? live.map((r) => r.id) : undefined },
      };
    }
    if (!m[2] && method === 'POST') {
      const rec = idx.create(type, body?.properties ?? {}, body?.companyIds);
      // A primary other than the first company, or null for none (state.ts).
      if (type === 'contacts' && body && 'primaryCompanyId' in body)
        rec.primaryCompanyId = body.primaryCompanyId === null ? null : String(body.primaryCompanyId);
      sb.changed();
      return { status: 201, body: rec };
    }
    if (m[2] && method === 'GET') {
      const rec = idx.get(type, m[2]);
      return rec ? { status: 200, body: rec } : { status: 404, body: { message: 'not found' } };
    }
    if (m[2] && method === 'PATCH') {
      const rec = idx.update(type, m[2], body?.properties ?? {});
      if (!rec) return { status: 404, body: { message: 'not found' } };
      sb.changed();
      return { status: 200, body: rec };
    }
  }
  return { status: 404, body: { message: 'no such admin route' } };
}

function bad(message: string): Reply {
  return { status: 400, body: { message } };
}

function pickNumbers<T>(body: Record<string, unknown> | undefined, keys: (keyof T & string)[]): Partial<T> {
  const out: Record<string, number> = {};
  for (const k of keys) if (body && typeof body[k] === 'number') out[k] = body[k] as number;
  return out as Partial<T>;
}
