import { randomBytes } from 'node:crypto';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { measureInitialPull } from './initial-pull';
import type { BenchResult } from './result';

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 50_000);
const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 10_000);
const TEN_SECOND_MAX = 190;

/**
 * The initial pull of a large HubSpot portal (50,000 contacts, 10,000 companies at 190 requests /
 * 10 s). The floor is what the rate limit alone allows: every call the pull made, at that rate.
 */
export async function hubspotInitialPull(): Promise<BenchResult> {
  const m = await measureInitialPull('hubspot', 'sandbox/hubspot/main.js', 'HUBSPOT_SANDBOX_PORT', async (url) => {
    const token = `pat-na1-${randomBytes(12).toString('hex')}`;
    const admin = await HubSpotSandboxAdmin.createPortal(url, 990001, token, { tenSecondMax: TEN_SECOND_MAX });
    await admin.seed({ contacts: CONTACTS, companies: COMPANIES, owners: 10, seed: 3 });
    return {
      connection: { crm: 'hubspot', accessToken: token, baseUrl: url },
      async finish(counts) {
        if (counts.contacts !== CONTACTS || counts.accounts !== COMPANIES) {
          throw new Error(
            `pulled ${counts.contacts} contacts and ${counts.accounts} companies, expected ${CONTACTS} and ${COMPANIES}`,
          );
        }
        const stats = await admin.stats();
        return {
          calls: stats.requests,
          floorS: stats.requests / (TEN_SECOND_MAX / 10),
          notes: `429s=${stats.throttled} records=${CONTACTS + COMPANIES}`,
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
