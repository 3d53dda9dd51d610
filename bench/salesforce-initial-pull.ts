import { randomBytes } from 'node:crypto';
import { Connection } from 'jsforce';
import { API_VERSION, ownFields, sliceSoql } from '../src/crm/salesforce/adapter';
import { defaultFieldMapping, inboundCrmFields } from '../src/domain/field-mapping';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { measureInitialPull } from './initial-pull';
import type { BenchResult } from './result';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 10_000);
const CONTACTS = Number(process.env.BENCH_SF_CONTACTS ?? 30_000);
const LEADS = Number(process.env.BENCH_LEADS ?? 20_000);
/**
 * Salesforce's own time to answer one query batch of up to 2,000 records. The sandbox answers from
 * memory in a few milliseconds, which no remote org does; without this the floor would measure the
 * emulator, not Salesforce. Both the pull and the floor loop pay it, on every request.
 */
const LATENCY_MS = Number(process.env.BENCH_SF_LATENCY_MS ?? 500);

/**
 * The initial pull of a large Salesforce org: 50,000 leads and contacts and 10,000 accounts. The
 * floor is a plain loop of jsforce query / queryMore over the same records, with the same SOQL, on
 * the same sandbox (same latency) in the same run: no Temporal, no database.
 */
export async function salesforceInitialPull(): Promise<BenchResult> {
  const m = await measureInitialPull(
    'salesforce',
    'sandbox/salesforce/main.js',
    'SALESFORCE_SANDBOX_PORT',
    async (url) => {
      const token = `00DBENCH!${randomBytes(12).toString('hex')}`;
      const admin = await SalesforceSandboxAdmin.createOrg(url, '00DBENCH0001', token, { dailyMax: 1_000_000 });
      await admin.seed({ accounts: ACCOUNTS, contacts: CONTACTS, leads: LEADS, users: 10, seed: 5 });
      await admin.setFaults({ latencyMs: LATENCY_MS });
      return {
        connection: { crm: 'salesforce', accessToken: token, instanceUrl: url },
        async finish(counts) {
          if (counts.contacts !== CONTACTS + LEADS || counts.accounts !== ACCOUNTS) {
            throw new Error(
              `pulled ${counts.contacts} people and ${counts.accounts} accounts, expected ${CONTACTS + LEADS} and ${ACCOUNTS}`,
            );
          }
          const calls = (await admin.stats()).requests;
          const floor = await plainQueryLoop(url, token);
          return {
            calls,
            floorS: floor.seconds,
            notes: `floor_calls=${floor.calls} records=${ACCOUNTS + CONTACTS + LEADS} sf_latency_ms=${LATENCY_MS}`,
          };
        },
      };
    },
  );
  return {
    scenario: 'salesforce-initial-pull',
    calls: m.calls,
    wallS: m.wallS,
    floorS: m.floorS,
    rssMb: m.rssMb,
    notes: `${m.notes} db_rss_mb=${Math.round(m.dbRssMb)}`,
  };
}

/** Pages every stream the pull reads with query / queryMore and nothing else. */
async function plainQueryLoop(instanceUrl: string, accessToken: string): Promise<{ seconds: number; calls: number }> {
  const conn = new Connection({ instanceUrl, accessToken, version: API_VERSION });
  const mapping = defaultFieldMapping('salesforce');
  const t0 = Date.now();
  let calls = 0;
  for (const [stream, kind] of [
    ['Account', 'account'],
    ['Contact', 'contact'],
    ['Lead', 'contact'],
  ] as const) {
    const fields = [...new Set([...ownFields(stream), ...inboundCrmFields(mapping[kind], stream)])];
    let page = await conn.query(sliceSoql(stream, fields, 0, Date.now() + 60_000));
    calls++;
    while (!page.done && page.nextRecordsUrl) {
      page = await conn.queryMore(page.nextRecordsUrl);
      calls++;
    }
  }
  return { seconds: (Date.now() - t0) / 1000, calls };
}
