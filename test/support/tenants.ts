import { HubSpotSandboxAdmin } from '../../src/sandbox/hubspot/admin-client';
import type { PortalIndex } from '../../src/sandbox/hubspot/state';
import { SalesforceSandboxAdmin } from '../../src/sandbox/salesforce/admin-client';
import type { SfSeedSpec } from '../../src/sandbox/salesforce/demo-data';
import type { OrgIndex, OrgLimits } from '../../src/sandbox/salesforce/state';
import { ensureWorkspace, upsertUser } from '../../src/store/workspace-store';
import type { Harness } from './harness';

/**
 * A tenant is one workspace and the CRM account it connects: a fresh HubSpot portal or Salesforce
 * org in the harness's sandbox, a workspace with its admin (the sync user), and a connection name
 * the worker resolves to the token. Tests in one file never share CRM data.
 */
interface TenantBase {
  workspaceId: string;
  /** The token the connection holds now; `Integration.rotateToken` installs another. */
  token: string;
  /** The connection name the integration input carries (never the token). */
  connection: string;
  syncUserId: string;
}

export interface HubSpotTenant extends TenantBase {
  crm: 'hubspot';
  admin: HubSpotSandboxAdmin;
  /** The portal's state inside the in-process sandbox, for checks the admin API does not offer. */
  portal: PortalIndex;
}

export interface SalesforceTenant extends TenantBase {
  crm: 'salesforce';
  admin: SalesforceSandboxAdmin;
  /** The org's state inside the in-process sandbox. */
  org: OrgIndex;
}

export type Tenant = HubSpotTenant | SalesforceTenant;

async function addWorkspace(h: Harness, workspaceId: string, permissions: string[]): Promise<string> {
  await ensureWorkspace(h.db, workspaceId, 'paid');
  const syncUserId = `${workspaceId}-admin`;
  await upsertUser(h.db, {
    id: syncUserId,
    workspaceId,
    email: `admin@${workspaceId}.example`,
    name: 'Admin',
    permissions,
  });
  return syncUserId;
}

let portalSeq = 1;
/** A fresh HubSpot portal (20 contacts, 5 companies, 3 owners unless told) + workspace + connection. */
export async function newTenant(
  h: Harness,
  o: {
    contacts?: number;
    companies?: number;
    owners?: number;
    permissions?: string[];
    rateLimit?: { tenSecondMax?: number };
  } = {},
): Promise<HubSpotTenant> {
  const n = portalSeq++;
  const workspaceId = `ws${n}-${process.pid}`;
  const token = `pat-na1-test-${n}-${process.pid}`;
  const portalId = 100000 + n;
  const admin = await HubSpotSandboxAdmin.createPortal(h.sandbox.url, portalId, token, o.rateLimit ?? {});
  await admin.seed({ contacts: o.contacts ?? 20, companies: o.companies ?? 5, owners: o.owners ?? 3, seed: n });
  const syncUserId = await addWorkspace(h, workspaceId, o.permissions ?? []);
  const connection = `${workspaceId}-hubspot`;
  h.connections[connection] = { crm: 'hubspot', accessToken: token, baseUrl: h.sandbox.url };
  return {
    crm: 'hubspot',
    workspaceId,
    token,
    admin,
    portal: h.sandbox.indexes.get(portalId)!,
    connection,
    syncUserId,
  };
}

let orgSeq = 1;
/**
 * A fresh Salesforce org (5 accounts, 20 contacts, 10 leads, 3 users unless told) + workspace +
 * connection. Owners map to workspace users only once a test adds reps (faults.ts addReps).
 */
export async function newSalesforceTenant(
  h: Harness,
  o: {
    seed?: Partial<SfSeedSpec>;
    permissions?: string[];
    limits?: Partial<OrgLimits>;
    apiReservePercent?: number;
  } = {},
): Promise<SalesforceTenant> {
  const n = orgSeq++;
  const workspaceId = `sf${n}-${process.pid}`;
  const token = `00D-sf-token-${n}-${process.pid}`;
  const orgId = `00DORG${n}`;
  const admin = await SalesforceSandboxAdmin.createOrg(h.salesforce.url, orgId, token, o.limits ?? {});
  await admin.seed({ accounts: 5, contacts: 20, leads: 10, users: 3, seed: n, ...(o.seed ?? {}) });
  const syncUserId = await addWorkspace(h, workspaceId, o.permissions ?? []);
  const connection = `${workspaceId}-salesforce`;
  h.connections[connection] = {
    crm: 'salesforce',
    accessToken: token,
    instanceUrl: h.salesforce.url,
    ...(o.apiReservePercent !== undefined ? { apiReservePercent: o.apiReservePercent } : {}),
  };
  return { crm: 'salesforce', workspaceId, token, admin, org: h.salesforce.orgs.get(orgId)!, connection, syncUserId };
}
