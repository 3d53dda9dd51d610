import { randomBytes } from 'node:crypto';
import type { ConnectionConfig } from '../src/crm/connections';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { measureInitialPull } from './initial-pull';
import type { BenchResult } from './result';

/** The large portal: 50,000 contacts, 10,000 companies, 10 owners, at 190 requests / 10 s. */
export const LARGE_PORTAL = {
  contacts: Number(process.env.BENCH_CONTACTS ?? 50_000),
  companies: Number(process.env.BENCH_COMPANIES ?? 10_000),
  tenSecondMax: 190,
};

/** Creates and seeds the large portal in a HubSpot sandbox; returns its admin and the worker's connection. */
export async function largePortal(
  url: string,
  portalId: number,
  seed: { importedAt?: string } = {},
): Promise<{ admin: HubSpotSandboxAdmin; connection: ConnectionConfig }> {
  const token = `pat-na1-${randomBytes(12).toString('hex')}`;
  const admin = await HubSpotSandboxAdmin.createPortal(url, portalId, token, {
    tenSecondMax: LARGE_PORTAL.tenSecondMax,
  });
  await admin.seed({
    contacts: LARGE_PORTAL.contacts,
    companies: LARGE_PORTAL.companies,
    owners: 10,
    seed: 3,
    ...seed,
  });
  return { admin, connection: { crm: 'hubspot', accessToken: token, baseUrl: url } };
}

/**
 * The initial pull of the large portal. The floor is what the rate limit alone allows: every call
 * the pull made, at that rate.
 */
export async function hubspotInitialPull(): Promise<BenchResult> {
  const { contacts, companies, tenSecondMax } = LARGE_PORTAL;
  const m = await measureInitialPull('hubspot', 'sandbox/hubspot/main.js', 'HUBSPOT_SANDBOX_PORT', async (url) => {
    const { admin, connection } = await largePortal(url, 990001);
    return {
      connection,
      async finish(counts) {
        if (counts.contacts !== contacts || counts.accounts !== companies) {
          throw new Error(
            `pulled ${counts.contacts} contacts and ${counts.accounts} companies, expected ${contacts} and ${companies}`,
          );
        }
        const stats = await admin.stats();
        return {
          calls: stats.requests,
          floorS: stats.requests / (tenSecondMax / 10),
          notes: `429s=${stats.throttled} records=${contacts + companies}`,
        };
      },
    };
  });
  return {
    scenario: 'hubspot-initial-pull',
    calls: m.calls,
    wallS: m.wallS,
    floorS: m.floorS,
    rssMb: m.rssMb,
    notes: `${m.notes} db_rss_mb=${Math.round(m.dbRssMb)}`,
  };
}
