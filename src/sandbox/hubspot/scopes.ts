import { correlationId } from '../http';
import type { Portal } from './state';

/**
 * Scopes, as far as the sandbox checks them: the property (schema) routes, which a private app's
 * token may well lack (an app made for reading and writing records is given the object scopes, not
 * the schema ones). A token holds every scope unless the admin API withheld some
 * (`PUT /_admin/portals/<id>/scopes`), and a route it may not call answers 403 MISSING_SCOPES with
 * the scopes it needs in `errors[].context.requiredGranularScopes`, as HubSpot's current answers do.
 */
export function requiredScope(method: string, path: string): string | null {
  const m = /^\/crm\/v3\/properties\/(contacts|companies)(?:\/[^/]+)?\/?$/.exec(path);
  if (!m) return null;
  return `crm.schemas.${m[1]}.${method === 'GET' ? 'read' : 'write'}`;
}

export function lacksScope(portal: Portal, token: string, scope: string): boolean {
  return portal.withheldScopes?.[token]?.includes(scope) ?? false;
}

export function missingScopesBody(scope: string) {
  return {
    status: 'error',
    message:
      "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    correlationId: correlationId(),
    errors: [
      { message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [scope] } },
    ],
    links: { scopes: 'https://developers.hubspot.com/scopes' },
    category: 'MISSING_SCOPES',
  };
}
