import type { IncomingMessage } from 'node:http';
import { readJson, type Reply } from '../http';
import { convertLead, mergeRecords } from './crm-edits';
import { seedOrg, type SfSeedSpec } from './demo-data';
import { sobjectName } from './schema';
import type { SalesforceSandbox } from './server';
import { newOrg, type OrgFaults, type OrgLimits, type SfRecord } from './state';

/**
 * Test and demo controls, not part of Salesforce's API: create orgs, seed data, make edits "in the
 * CRM" (create, update, owner change, lead conversion, merge, delete), inject faults, set limits,
 * revoke tokens, read request counts. No auth, not counted against the daily allowance.
 */
export async function handleSalesforceAdmin(sb: SalesforceSandbox, req: IncomingMessage, url: URL): Promise<Reply> {
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '');
  const body = (method === 'GET' ? undefined : await readJson(req)) as Record<string, any> | undefined;
  let m: RegExpExecArray | null;

  if (path === '/_admin/orgs' && method === 'POST') {
    if (!body?.orgId || !body?.token) return bad('orgId and token are required');
    const idx = sb.addOrg(newOrg(String(body.orgId), String(body.token), body.limits ?? {}));
    return { status: 201, body: { orgId: idx.org.orgId, userId: idx.org.userId } };
  }
  if (path === '/_admin/orgs' && method === 'GET') return { status: 200, body: { orgs: [...sb.orgs.keys()] } };
  if (!(m = /^\/_admin\/orgs\/(\w+)(\/.*)?$/.exec(path)))
    return { status: 404, body: { message: 'no such admin route' } };
  const idx = sb.orgs.get(m[1]);
  if (!idx) return { status: 404, body: { message: `no org ${m[1]}` } };
  const org = idx.org;
  const rest = m[2] ?? '';
  const done = (reply: Reply) => {
    sb.changed();
    return reply;
  };

  try {
    if (rest === '/seed' && method === 'POST')
      return done({ status: 200, body: seedOrg(idx, body as unknown as SfSeedSpec) });
    if (rest === '/faults' && method === 'PUT') {
      Object.assign(
        org.faults,
        pick<OrgFaults>(body, ['latencyMs', 'errorRate', 'outageUntil', 'lockRate', 'stallCount', 'stallMs'], 'number'),
      );
      if (body?.apiError === null) org.faults.apiError = null;
      else if (body?.apiError) {
        const a = body.apiError as Record<string, unknown>;
        if (typeof a.errorCode !== 'string' || !a.errorCode) return bad('apiError needs an errorCode');
        org.faults.apiError = {
          status: typeof a.status === 'number' ? a.status : 400,
          errorCode: a.errorCode,
          message: typeof a.message === 'string' ? a.message : a.errorCode,
        };
      }
      return done({ status: 200, body: org.faults });
    }
    if (rest === '/limits' && method === 'PUT') {
      Object.assign(
        org.limits,
        pick<OrgLimits>(body, ['dailyMax', 'queryTimeoutRows', 'sessionTtlMs'], 'number'),
        pick<OrgLimits>(body, ['duplicateRule'], 'boolean'),
      );
      return done({ status: 200, body: org.limits });
    }
    if (rest === '/usage' && method === 'GET') return { status: 200, body: { ...org.usage, max: org.limits.dailyMax } };
    // Sets what the current 24-hour window has spent: 0 renews the allowance (tests use this instead
    // of waiting a day); more stands for the customer's other integrations.
    if (rest === '/usage' && method === 'PUT') {
      org.usage = { windowStart: Date.now(), count: Math.max(0, Number(body?.count ?? 0)) };
      return done({ status: 200, body: org.usage });
    }
    if (rest === '/revoke' && method === 'POST') {
      if (!org.revokedTokens.includes(String(body?.token))) org.revokedTokens.push(String(body?.token));
      return done({ status: 204 });
    }
    // A connected app and a refresh token it issued, as an admin's OAuth authorization leaves them.
    if (rest === '/oauth' && method === 'POST') {
      const [clientId, clientSecret, refreshToken] = [body?.clientId, body?.clientSecret, body?.refreshToken];
      if (![clientId, clientSecret, refreshToken].every((v) => typeof v === 'string' && v))
        return bad('oauth needs clientId, clientSecret and refreshToken');
      const oauth = (org.oauth ??= { clients: [], refreshTokens: [] });
      if (!oauth.clients.some((c) => c.clientId === clientId)) oauth.clients.push({ clientId, clientSecret });
      oauth.refreshTokens.push({ token: refreshToken, clientId });
      return done({ status: 204 });
    }
    // The org's own set-up (schema.ts SchemaChanges), replacing the last one: `{removed: ["Contact.Apollo_Id__c"],
    // picklists: {"Lead.LeadSource": {values: [...], restricted: true}}}`; `{}` restores the standard set-up.
    if (rest === '/schema' && method === 'PUT') {
      const removed = Array.isArray(body?.removed) ? (body.removed as unknown[]).map(String) : [];
      const picklists = (typeof body?.picklists === 'object' && body.picklists) || {};
      org.schemaChanges = { removed, picklists };
      return done({ status: 200, body: org.schemaChanges });
    }
    if (rest === '/tokens' && method === 'POST') {
      const token = String(body?.token);
      if (!org.tokens.includes(token)) org.tokens.push(token);
      org.revokedTokens = org.revokedTokens.filter((t) => t !== token);
      return done({ status: 204 });
    }
    if (rest === '/stats' && method === 'GET') return { status: 200, body: sb.orgStats(org.orgId) };
    if (rest === '/convert' && method === 'POST')
      return done({
        status: 200,
        body: convertLead(idx, String(body?.leadId), { contactId: body?.contactId, accountId: body?.accountId }),
      });
    if (rest === '/merge' && method === 'POST') {
      const type = sobjectName(String(body?.type));
      if (!type) return bad(`unknown sObject ${body?.type}`);
      return done({
        status: 200,
        body: mergeRecords(idx, type, String(body?.masterId), (body?.mergedIds ?? body?.mergeIds ?? []).map(String)),
      });
    }
    // The recycle bin emptied (or a record's 15 days there passed): `{ids}`, deleted records only.
    if (rest === '/purge' && method === 'POST')
      return done({ status: 200, body: { purged: idx.purge(idList(body?.ids)) } });
    // Restored from the recycle bin: live again with a new SystemModstamp (how an "unmerge" looks).
    if (rest === '/undelete' && method === 'POST')
      return done({ status: 200, body: { undeleted: idx.undelete(idList(body?.ids)) } });
    if ((m = /^\/objects\/(\w+)(?:\/(\w+))?$/.exec(rest))) {
      const type = sobjectName(m[1]);
      if (!type) return bad(`unknown sObject ${m[1]}`);
      const id = m[2];
      if (!id && method === 'GET') {
        const live = org.records[type].filter((r) => r.IsDeleted !== true);
        return {
          status: 200,
          body: { count: live.length, ids: url.searchParams.get('ids') === 'true' ? live.map((r) => r.Id) : undefined },
        };
      }
      if (!id && method === 'POST') return done({ status: 201, body: idx.create(type, (body ?? {}) as SfRecord) });
      if (id && method === 'GET') {
        const rec = idx.getOf(type, id);
        return rec ? { status: 200, body: rec } : { status: 404, body: { message: 'not found' } };
      }
      if (id && method === 'PATCH') {
        const rec = idx.update(type, id, (body ?? {}) as SfRecord);
        return rec ? done({ status: 200, body: rec }) : { status: 404, body: { message: 'not found' } };
      }
      if (id && method === 'DELETE')
        return idx.remove(type, id) ? done({ status: 204 }) : { status: 404, body: { message: 'not found' } };
    }
  } catch (err) {
    return bad((err as Error).message);
  }
  return { status: 404, body: { message: 'no such admin route' } };
}

function idList(ids: unknown): string[] {
  return Array.isArray(ids) ? ids.map(String) : [];
}

function bad(message: string): Reply {
  return { status: 400, body: { message } };
}

function pick<T>(
  body: Record<string, unknown> | undefined,
  keys: (keyof T & string)[],
  type: 'number' | 'boolean',
): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (body && typeof body[k] === type) out[k] = body[k];
  return out as Partial<T>;
}
