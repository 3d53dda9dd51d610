import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodError } from '../domain/settings';
import { CrmError } from './errors';
import { HubSpotAdapter } from './hubspot/adapter';
import type { CrmPort } from './port';
import { SalesforceAdapter } from './salesforce/adapter';

/**
 * Resolves a connection NAME (what workflow inputs carry) to credentials and an adapter. Credentials
 * live only in the worker's configuration: a JSON file named by CRM_CONNECTIONS_FILE, re-read on each
 * resolve so that rotating a token takes effect with a `reauthorize` signal and no restart.
 */
const connectionSchema = z.discriminatedUnion('crm', [
  z.object({ crm: z.literal('hubspot'), accessToken: z.string().min(1), baseUrl: z.string().url().optional() }),
  z.object({
    crm: z.literal('salesforce'),
    accessToken: z.string().min(1),
    instanceUrl: z.string().url(),
    /** Share of the daily API allowance the sync leaves for the customer's other integrations. */
    apiReservePercent: z.number().min(0).max(90).optional(),
  }),
]);
export type ConnectionConfig = z.infer<typeof connectionSchema>;
const fileSchema = z.record(connectionSchema);

export interface ConnectionSource {
  get(name: string): ConnectionConfig | undefined;
}

export function fileConnections(path: string): ConnectionSource {
  return {
    get(name) {
      const parsed = fileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      if (!parsed.success) throw new Error(`connections file ${path} is invalid: ${describeZodError(parsed.error)}`);
      return parsed.data[name];
    },
  };
}

export function staticConnections(map: Record<string, ConnectionConfig>): ConnectionSource {
  return { get: (name) => map[name] };
}

export class CrmConnections {
  constructor(private readonly source: ConnectionSource) {}

  adapter(name: string): CrmPort {
    const c = this.source.get(name);
    if (!c) throw new CrmError('auth', `no CRM connection named "${name}" is configured on this worker`);
    switch (c.crm) {
      case 'hubspot':
        return new HubSpotAdapter(name, { accessToken: c.accessToken, baseUrl: c.baseUrl });
      case 'salesforce':
        return new SalesforceAdapter(name, {
          accessToken: c.accessToken,
          instanceUrl: c.instanceUrl,
          apiReservePercent: c.apiReservePercent,
        });
    }
  }
}
