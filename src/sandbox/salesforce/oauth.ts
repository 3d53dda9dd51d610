import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readText, type Reply } from '../http';
import type { Org } from './state';

/**
 * The token endpoint of Salesforce's OAuth 2.0 refresh-token flow, `POST /services/oauth2/token`
 * with a form-encoded `grant_type=refresh_token&refresh_token=…&client_id=…&client_secret=…`,
 * as jsforce's session refresh sends it. Success is 200 with a new session (`access_token`,
 * `instance_url`, the identity URL `id`, `token_type`, `issued_at`, `signature`); a refusal is 400
 * with `{"error": …, "error_description": …}` in Salesforce's words. Token requests are not API
 * requests: they count against no allowance.
 */
export async function refreshTokenGrant(orgs: Iterable<Org>, req: IncomingMessage, baseUrl: string): Promise<Reply> {
  const form = new URLSearchParams(await readText(req));
  const refusal = (error: string, error_description: string): Reply => ({
    status: 400,
    body: { error, error_description },
  });
  if (form.get('grant_type') !== 'refresh_token') return refusal('unsupported_grant_type', 'grant type not supported');
  const clientId = form.get('client_id') ?? '';
  const byClient = [...orgs].filter((o) => o.oauth?.clients.some((c) => c.clientId === clientId));
  if (!byClient.length) return refusal('invalid_client_id', 'client identifier invalid');
  const secret = form.get('client_secret');
  const org = byClient.find((o) =>
    o.oauth!.refreshTokens.some((t) => t.token === form.get('refresh_token') && t.clientId === clientId),
  );
  if (!org) return refusal('invalid_grant', 'expired access/refresh token');
  if (!org.oauth!.clients.some((c) => c.clientId === clientId && c.clientSecret === secret))
    return refusal('invalid_client', 'invalid client credentials');
  const accessToken = `${org.orgId}!${randomBytes(24).toString('base64url')}`;
  const now = Date.now();
  org.tokens.push(accessToken);
  (org.sessionStarts ??= {})[accessToken] = now;
  return {
    status: 200,
    body: {
      access_token: accessToken,
      signature: randomBytes(32).toString('base64'),
      scope: 'api refresh_token',
      instance_url: baseUrl,
      id: `${baseUrl}/id/${org.orgId}/${org.userId}`,
      token_type: 'Bearer',
      issued_at: String(now),
    },
  };
}

/** Whether a session has outlived the org's session timeout (first use starts its clock). */
export function sessionExpired(org: Org, token: string, now: number): boolean {
  const ttl = org.limits.sessionTtlMs ?? 0;
  if (!ttl) return false;
  const started = ((org.sessionStarts ??= {})[token] ??= now);
  return now - started >= ttl;
}
