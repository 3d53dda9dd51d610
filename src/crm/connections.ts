import { CrmError } from './errors';
import { HubSpotAdapter } from './hubspot/adapter';
import type { CrmPort } from './port';
import { SalesforceAdapter } from './salesforce/adapter';
import { readConnectionsFile, type ConnectionConfig, type ConnectionEntry } from './connections-file';

export type { ConnectionConfig } from './connections-file';

/**
 * Resolves a connection NAME (what workflow inputs carry) to credentials and an adapter. Credentials
 * live only in the worker's configuration: a JSON file named by CRM_CONNECTIONS_FILE, re-read on each
 * resolve so that rotating a token (or fixing the file) takes effect with no restart.
 */
export interface ConnectionSource {
  /** Undefined when no entry has the name; an entry that failed validation comes back with `problem`. */
  get(name: string): ConnectionEntry | undefined;
}

/**
 * The connections file. What cannot be read as a whole (missing, readable by others, not JSON) throws
 * a *transient* CrmError: every connection waits, the activities retry with backoff, and work
 * resumes by itself once the operator fixes the file — no workspace needs re-authorising for a
 * mistake on the worker's host. See connections-file.ts for the checks.
 */
export function fileConnections(path: string): ConnectionSource {
  return {
    get(name) {
      const file = readConnectionsFile(path);
      if (!file.ok) throw new CrmError('transient', file.problem);
      return file.entries.get(name);
    },
  };
}

export function staticConnections(map: Record<string, ConnectionConfig>): ConnectionSource {
  return { get: (name) => (name in map ? { config: map[name] } : undefined) };
}

/** How adapters call their CRM; the defaults suit real CRMs, tests shorten them. */
export interface CrmCallOptions {
  /** Per-request deadlines, by CRM (defaults: HUBSPOT_REQUEST_TIMEOUT_MS, SALESFORCE_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: { hubspot?: number; salesforce?: number };
}

export class CrmConnections {
  constructor(
    private readonly source: ConnectionSource,
    private readonly options: CrmCallOptions = {},
  ) {}

  adapter(name: string): CrmPort {
    const entry = this.source.get(name);
    if (!entry) throw new CrmError('auth', `no CRM connection named "${name}" is configured on this worker`);
    // A bad entry is that connection's problem alone (the others in the file keep working): like a
    // missing one, the integration waits for the operator to fix it and send `reauthorize`.
    if (!entry.config) throw new CrmError('auth', entry.problem);
    const c = entry.config;
    switch (c.crm) {
      case 'hubspot':
        return new HubSpotAdapter(
          name,
          { accessToken: c.accessToken, baseUrl: c.baseUrl },
          { requestTimeoutMs: this.options.requestTimeoutMs?.hubspot },
        );
      case 'salesforce':
        return new SalesforceAdapter(
          name,
          {
            accessToken: c.accessToken,
            instanceUrl: c.instanceUrl,
            apiReservePercent: c.apiReservePercent,
            ...(c.refreshToken && c.clientId
              ? {
                  refresh: {
                    refreshToken: c.refreshToken,
                    clientId: c.clientId,
                    clientSecret: c.clientSecret,
                    loginUrl: c.loginUrl,
                  },
                }
              : {}),
          },
          { requestTimeoutMs: this.options.requestTimeoutMs?.salesforce },
        );
    }
  }
}
