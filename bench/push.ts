import { randomBytes } from 'node:crypto';
import { Connection } from 'jsforce';
import { API_VERSION } from '../src/crm/salesforce/adapter';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { SalesforceSandboxAdmin } from '../src/sandbox/salesforce/admin-client';
import { openDb, type Db } from '../src/store/db';
import { pushRecordsUpdate, statusQuery } from '../src/workflows/contract';
import { latencyFields, linkedContacts, timeUpdate } from './latency';
import type { BenchResult } from './result';
import { BENCH_WORKSPACE, onStack, peakRssMb, releaseDb, until, type Stack } from './stack';

export const CONTACTS = Number(process.env.BENCH_PUSH_CONTACTS ?? 10_000);
export const ACCOUNTS = Number(process.env.BENCH_PUSH_ACCOUNTS ?? 2_000);
export const TEN_SECOND_MAX = 190;
const SF_LATENCY_MS = Number(process.env.BENCH_SF_LATENCY_MS ?? 500);

/** The workspace's own records: ACCOUNTS accounts, CONTACTS contacts spread over them, none in the CRM. */
export async function seedWorkspace(db: Db): Promise<void> {
  await db.query(
    `INSERT INTO accounts (id, workspace_id, name, domain)
     SELECT gen_random_uuid(), $1, 'Benchco ' || n, 'benchco-' || n || '.example' FROM generate_series(1, $2) AS n`,
    [BENCH_WORKSPACE, ACCOUNTS],
  );
  await db.query(
    `WITH a AS (SELECT id, row_number() OVER (ORDER BY name) AS k FROM accounts WHERE workspace_id = $1)
     INSERT INTO contacts (id, workspace_id, email, first_name, last_name, title, email_status, account_id)
     SELECT gen_random_uuid(), $1, 'person' || n || '@benchco-' || (n % $2 + 1) || '.example', 'Pat', 'Person ' || n, 'Buyer', 'verified', a.id
       FROM generate_series(1, $3) AS n JOIN a ON a.k = n % $2 + 1`,
    [BENCH_WORKSPACE, ACCOUNTS, CONTACTS],
  );
}

/** Bulk manual push of every contact (their accounts go with them), timed from the request to an empty outbox. */
export async function timePush(
  s: Pick<Stack, 'worker' | 'handle'>,
): Promise<{ wallS: number; rssMb: number; linked: number; rejected: number }> {
  await until(
    s.worker,
    () => s.handle.query(statusQuery),
    (x) => x.phase === 'syncing',
  );
  const t0 = Date.now();
  const { queued } = await s.handle.executeUpdate(pushRecordsUpdate, { args: [{ objectKind: 'contact', all: true }] });
  if (queued !== CONTACTS) throw new Error(`queued ${queued} contacts, expected ${CONTACTS}`);
  const st = await until(
    s.worker,
    () => s.handle.query(statusQuery),
    (x) => !x.push.pushing && x.push.due === 0 && x.push.totals.linked + x.push.totals.rejected >= CONTACTS,
    500,
  );
  return {
    wallS: (Date.now() - t0) / 1000,
    rssMb: peakRssMb(s.worker.pid!),
    linked: st.push.totals.linked,
    rejected: st.push.totals.rejected,
  };
}

/**
 * 10,000 new contacts with 2,000 accounts pushed to HubSpot at 190 requests / 10 s. As in the pull
 * scenario, the floor is what the rate limit alone allows for the calls the push made.
 */
export async function hubspotPush(): Promise<BenchResult> {
  let admin!: HubSpotSandboxAdmin;
  const m = await onStack(
    {
      crm: 'hubspot',
      sandboxEntry: 'sandbox/hubspot/main.js',
      portEnv: 'HUBSPOT_SANDBOX_PORT',
      async crmSetup(url) {
        const token = `pat-na1-${randomBytes(12).toString('hex')}`;
        admin = await HubSpotSandboxAdmin.createPortal(url, 990002, token, { tenSecondMax: TEN_SECOND_MAX });
        await admin.seed({ contacts: 10, companies: 5, owners: 5, seed: 4 });
        return { crm: 'hubspot', accessToken: token, baseUrl: url };
      },
      workspaceSetup: seedWorkspace,
    },
    async (s) => {
      await until(
        s.worker,
        () => s.handle.query(statusQuery),
        (x) => x.phase === 'syncing',
      );
      const stats0 = await admin.stats();
      const before = stats0.requests;
      const r = await timePush(s);
      const stats = await admin.stats();
      const inCrm = (await admin.ids('contacts')).count - 10;
      if (inCrm !== CONTACTS) throw new Error(`HubSpot holds ${inCrm} pushed contacts, expected ${CONTACTS}`);
      return { ...r, calls: stats.requests - before, throttled: stats.throttled - stats0.throttled };
    },
  );
  return {
    scenario: 'hubspot-push',
    calls: m.calls,
    wallS: m.wallS,
    floorS: m.calls / (TEN_SECOND_MAX / 10),
    rssMb: m.rssMb,
    notes: `429s=${m.throttled} records=${CONTACTS + ACCOUNTS} linked=${m.linked} rejected=${m.rejected}`,
  };
}

/**
 * The same push to Salesforce. Floor: a plain jsforce loop upserting the same accounts and people
 * (200 a call, on Apollo_Id__c) into a second org of the same sandbox, same latency, same run.
 */
export async function salesforcePush(): Promise<BenchResult> {
  let admin!: SalesforceSandboxAdmin;
  let url = '';
  const m = await onStack(
    {
      crm: 'salesforce',
      sandboxEntry: 'sandbox/salesforce/main.js',
      portEnv: 'SALESFORCE_SANDBOX_PORT',
      async crmSetup(u) {
        url = u;
        const token = `00DPUSH!${randomBytes(12).toString('hex')}`;
        admin = await SalesforceSandboxAdmin.createOrg(u, '00DPUSH0001', token, { dailyMax: 1_000_000 });
        await admin.seed({ accounts: 5, contacts: 10, leads: 5, users: 5, seed: 6 });
        await admin.setFaults({ latencyMs: SF_LATENCY_MS });
        return { crm: 'salesforce', accessToken: token, instanceUrl: u };
      },
      workspaceSetup: seedWorkspace,
    },
    async (s) => {
      await until(
        s.worker,
        () => s.handle.query(statusQuery),
        (x) => x.phase === 'syncing',
      );
      const before = (await admin.stats()).requests;
      const r = await timePush(s);
      const calls = (await admin.stats()).requests - before;
      const leads = (await admin.ids('Lead')).count - 5;
      if (leads !== CONTACTS) throw new Error(`Salesforce holds ${leads} pushed leads, expected ${CONTACTS}`);
      // The floor runs on the same sandbox, in the same run, once the push is done.
      return { ...r, calls, floor: await plainUpsertLoop(url) };
    },
  );
  const floor = m.floor;
  return {
    scenario: 'salesforce-push',
    calls: m.calls,
    wallS: m.wallS,
    floorS: floor.seconds,
    rssMb: m.rssMb,
    notes: `floor_calls=${floor.calls} records=${CONTACTS + ACCOUNTS} linked=${m.linked} rejected=${m.rejected} sf_latency_ms=${SF_LATENCY_MS}`,
  };
}

async function plainUpsertLoop(url: string): Promise<{ seconds: number; calls: number }> {
  const token = `00DFLOOR!${randomBytes(12).toString('hex')}`;
  const admin = await SalesforceSandboxAdmin.createOrg(url, '00DFLOOR0001', token, { dailyMax: 1_000_000 });
  await admin.setFaults({ latencyMs: SF_LATENCY_MS });
  const conn = new Connection({ instanceUrl: url, accessToken: token, version: API_VERSION });
  const t0 = Date.now();
  let calls = 0;
  const chunks = <T>(xs: T[]) =>
    Array.from({ length: Math.ceil(xs.length / 200) }, (_, i) => xs.slice(i * 200, i * 200 + 200));
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({
    Name: `Benchco ${i + 1}`,
    Website: `benchco-${i + 1}.example`,
    Apollo_Id__c: `a${i + 1}`,
  }));
  for (const c of chunks(accounts)) {
    await conn.sobject('Account').upsert(c, 'Apollo_Id__c', { allOrNone: false });
    calls++;
  }
  const leads = Array.from({ length: CONTACTS }, (_, i) => ({
    FirstName: 'Pat',
    LastName: `Person ${i + 1}`,
    Email: `person${i + 1}@benchco-${((i + 1) % ACCOUNTS) + 1}.example`,
    Title: 'Buyer',
    Company: `Benchco ${((i + 1) % ACCOUNTS) + 1}`,
    LeadSource: 'Apollo',
    Apollo_Id__c: `c${i + 1}`,
  }));
  for (const c of chunks(leads)) {
    await conn.sobject('Lead').upsert(c, 'Apollo_Id__c', { allOrNone: false });
    calls++;
  }
  return { seconds: (Date.now() - t0) / 1000, calls };
}

const LATENCY_UPDATES = Number(process.env.BENCH_LATENCY_UPDATES ?? 200);

/**
 * 200 updates of linked HubSpot contacts, one at a time, each timed from the workspace write
 * (store transaction + signal, as the CLI does it) until the sandbox holds the new value.
 */
export async function pushLatency(): Promise<BenchResult> {
  let admin!: HubSpotSandboxAdmin;
  const m = await onStack(
    {
      crm: 'hubspot',
      sandboxEntry: 'sandbox/hubspot/main.js',
      portEnv: 'HUBSPOT_SANDBOX_PORT',
      async crmSetup(url) {
        const token = `pat-na1-${randomBytes(12).toString('hex')}`;
        admin = await HubSpotSandboxAdmin.createPortal(url, 990003, token, { tenSecondMax: TEN_SECOND_MAX });
        await admin.seed({ contacts: LATENCY_UPDATES, companies: 20, owners: 3, seed: 8 });
        return { crm: 'hubspot', accessToken: token, baseUrl: url };
      },
    },
    async (s) => {
      await until(
        s.worker,
        () => s.handle.query(statusQuery),
        (x) => x.phase === 'syncing',
      );
      const db = await openDb({ databaseUrl: s.dbUrl, poolMax: 1 });
      const samples: number[] = [];
      for (const c of await linkedContacts(db, LATENCY_UPDATES)) samples.push(await timeUpdate(s, db, admin, c));
      await db.close();
      const rssMb = peakRssMb(s.worker.pid!);
      const dbClosed = await releaseDb(s);
      await dbClosed.close();
      return { samples, rssMb };
    },
  );
  const total = m.samples.reduce((a, b) => a + b, 0) / 1000;
  // Floor: one batch (read + update) per record at the rate limit, i.e. what pacing alone would cost.
  return {
    scenario: 'push-latency',
    calls: m.samples.length,
    wallS: total,
    floorS: (m.samples.length * 2) / (TEN_SECOND_MAX / 10),
    rssMb: m.rssMb,
    notes: `${latencyFields(m.samples)} updates=${m.samples.length}`,
  };
}
