import { writeAndNotify } from '../src/client/workspace-writes';
import type { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import type { Db } from '../src/store/db';
import { BENCH_WORKSPACE, until, type Stack } from './stack';

export interface LinkedContact {
  localId: string;
  crmId: string;
}

/** `count` workspace contacts linked to HubSpot contacts, lowest HubSpot ids first (the order a list pull reads). */
export async function linkedContacts(db: Db, count: number): Promise<LinkedContact[]> {
  const { rows } = await db.query<{ local_id: string; crm_id: string }>(
    `SELECT local_id, crm_id FROM crm_links WHERE workspace_id = $1 AND object_kind = 'contact'
      ORDER BY length(crm_id), crm_id LIMIT $2`,
    [BENCH_WORKSPACE, count],
  );
  if (rows.length < count) throw new Error(`only ${rows.length} linked contacts, ${count} needed`);
  return rows.map((r) => ({ localId: r.local_id, crmId: r.crm_id }));
}

/** An update that has not reached the CRM after this long is reported rather than waited for. */
const UPDATE_TIMEOUT_MS = 5 * 60_000;

/**
 * One update of a linked contact's title through the path users take (store transaction + signal,
 * as the CLI does it), timed until the sandbox holds the new value. The sandbox is read through its
 * admin API, which is not rate limited and not counted, so polling costs the CRM budget nothing.
 */
export async function timeUpdate(s: Stack, db: Db, admin: HubSpotSandboxAdmin, c: LinkedContact): Promise<number> {
  const title = `Title ${c.localId.slice(0, 8)} ${Date.now()}`;
  const t0 = Date.now();
  await writeAndNotify(db, s.client, 'contacts update', BENCH_WORKSPACE, { title }, { id: c.localId });
  await until(
    s.worker,
    () => admin.get('contacts', c.crmId),
    (rec) => rec.properties.jobtitle === title || Date.now() - t0 > UPDATE_TIMEOUT_MS,
    20,
  );
  if (Date.now() - t0 > UPDATE_TIMEOUT_MS) {
    const { rows } = await db.query<{ title: string | null }>('SELECT title FROM contacts WHERE id = $1', [c.localId]);
    const now = rows[0]?.title;
    throw new Error(
      `contact ${c.localId} (HubSpot ${c.crmId}) did not reach HubSpot within ${UPDATE_TIMEOUT_MS / 1000} s` +
        (now === title ? '' : `; the workspace no longer holds the edit (title is now ${JSON.stringify(now)})`),
    );
  }
  return Date.now() - t0;
}

/** `p50_ms=<n> p95_ms=<n> max_ms=<n>` of latency samples (nearest rank). */
export function latencyFields(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return `p50_ms=${pct(50)} p95_ms=${pct(95)} max_ms=${sorted[sorted.length - 1]}`;
}
