import type { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { openDb } from '../src/store/db';
import { pullNowUpdate, statusQuery } from '../src/workflows/contract';
import { LARGE_PORTAL, largePortal } from './hubspot-initial-pull';
import { latencyFields, linkedContacts, timeUpdate } from './latency';
import type { BenchResult } from './result';
import { onStack, peakRssMb, until } from './stack';

const UPDATES = Number(process.env.BENCH_LATENCY_UPDATES ?? 200);
/**
 * `required` (default): the scenario fails unless the pull still runs when the last update lands,
 * since only then was every update measured against it. The smoke test's tiny portal pulls in a
 * second or two, so it sets `optional` and reads `during_pull=` instead.
 */
const OVERLAP = process.env.BENCH_PULL_OVERLAP ?? 'required';
const LIST_ROUTES = ['GET /crm/v3/objects/contacts', 'GET /crm/v3/objects/companies'];

/**
 * Push latency while a full pull spends the rate budget: the large portal (50,000 contacts at 190
 * requests / 10 s) is pulled once to link every contact, then a manual pull re-reads it all, and
 * while that runs 200 linked contacts are updated one at a time, each timed from the workspace
 * write until the sandbox holds the new value. calls / wall_s / floor_s cover the updates' span:
 * every CRM call made meanwhile (the pull's pages and the pushes), against what the limit allows.
 */
export async function pushLatencyDuringPull(): Promise<BenchResult> {
  let admin!: HubSpotSandboxAdmin;
  const m = await onStack(
    {
      crm: 'hubspot',
      sandboxEntry: 'sandbox/hubspot/main.js',
      portEnv: 'HUBSPOT_SANDBOX_PORT',
      async crmSetup(url) {
        const portal = await largePortal(url, 990004);
        admin = portal.admin;
        return portal.connection;
      },
    },
    async (s) => {
      const status = () => s.handle.query(statusQuery);
      const initial = await until(s.worker, status, (x) => x.lastPull?.kind === 'initial', 500);
      if (initial.lastPull?.failure) throw new Error(`initial pull failed: ${initial.lastPull.failure}`);
      const db = await openDb({ databaseUrl: s.dbUrl, poolMax: 1 });
      try {
        const contacts = await linkedContacts(db, UPDATES);

        const pullAsked = Date.now();
        await s.handle.executeUpdate(pullNowUpdate, { args: [{}] });
        await until(s.worker, status, (x) => x.pullInProgress === 'manual' || x.lastPull?.kind === 'manual', 50);
        const before = await admin.stats();
        const t0 = Date.now();
        const samples: number[] = [];
        const landedAt: number[] = [];
        for (const c of contacts) {
          samples.push(await timeUpdate(s, db, admin, c));
          landedAt.push(Date.now());
        }
        const atEnd = await status();
        const wallS = (Date.now() - t0) / 1000;
        const after = await admin.stats();
        const rssMb = peakRssMb(s.worker.pid!);

        const pull = await until(s.worker, status, (x) => !x.pullInProgress && x.lastPull?.kind === 'manual', 500);
        if (pull.lastPull?.failure) throw new Error(`manual pull failed: ${pull.lastPull.failure}`);
        const pullEnd = Date.parse(pull.lastPull!.finishedAt!);
        const duringPull =
          atEnd.pullInProgress === 'manual' ? samples.length : landedAt.filter((t) => t <= pullEnd).length;
        const calls = after.requests - before.requests;
        const listCalls = LIST_ROUTES.reduce((n, r) => n + (after.byRoute[r] ?? 0) - (before.byRoute[r] ?? 0), 0);
        return {
          wallS,
          rssMb,
          calls,
          notes:
            `${latencyFields(samples)} updates=${samples.length} during_pull=${duringPull} ` +
            `pull_calls=${listCalls} push_calls=${calls - listCalls} 429s=${after.throttled - before.throttled} ` +
            `pull_s=${((pullEnd - pullAsked) / 1000).toFixed(1)}`,
          pullOutlasted: atEnd.pullInProgress === 'manual',
        };
      } finally {
        await db.close();
      }
    },
  );
  if (!m.pullOutlasted && OVERLAP === 'required') {
    throw new Error(`the pull finished before the last update was measured: ${m.notes}`);
  }
  return {
    scenario: 'push-latency-during-pull',
    calls: m.calls,
    wallS: m.wallS,
    floorS: m.calls / (LARGE_PORTAL.tenSecondMax / 10),
    rssMb: m.rssMb,
    notes: m.notes,
  };
}
