import {
  blockFor,
  releaseSlots,
  reserveSlots,
  type RateWindow,
  type Reservation,
  type SharedWindowState,
} from '../domain/rate-budget';
import type { CrmName } from '../domain/types';
import type { Db, Queryable } from './db';

/**
 * The shared rate budget of each CRM account (migration 10): every worker takes its call slots from
 * the account's row in one short transaction (SELECT ... FOR UPDATE, then UPDATE), so N workers
 * together stay within one account's limit. Times are the database's clock, the one all workers
 * share; callers get durations back.
 */

export interface BudgetKey {
  crm: CrmName;
  crmAccountId: string;
  /** A limit of its own within the account, e.g. HubSpot's search API. */
  bucket: string;
}

/** Epoch ms of the database's clock, moving within a transaction (clock_timestamp, not now()). */
const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

interface Row {
  max_calls: number;
  window_ms: number;
  grants: [number, number][] | string;
  blocked_until: number | string;
  now_ms: number | string;
}

/** The row, locked until the transaction ends, created at `initial` when the account has none yet. */
async function lockRow(
  tx: Queryable,
  k: BudgetKey,
  initial: RateWindow,
): Promise<{ s: SharedWindowState; now: number }> {
  const select = () =>
    tx.query<Row>(
      `SELECT max_calls, window_ms, grants, blocked_until, ${DB_NOW} AS now_ms FROM crm_rate_budgets
        WHERE crm = $1 AND crm_account_id = $2 AND bucket = $3 FOR UPDATE`,
      [k.crm, k.crmAccountId, k.bucket],
    );
  let { rows } = await select();
  if (!rows.length) {
    await tx.query(
      `INSERT INTO crm_rate_budgets (crm, crm_account_id, bucket, max_calls, window_ms) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [k.crm, k.crmAccountId, k.bucket, initial.max, initial.windowMs],
    );
    ({ rows } = await select());
  }
  const r = rows[0];
  const grants = typeof r.grants === 'string' ? (JSON.parse(r.grants) as [number, number][]) : r.grants;
  return {
    s: { max: r.max_calls, windowMs: r.window_ms, grants, blockedUntil: Number(r.blocked_until) },
    now: Number(r.now_ms),
  };
}

async function save(tx: Queryable, k: BudgetKey, s: SharedWindowState): Promise<void> {
  await tx.query(
    `UPDATE crm_rate_budgets SET grants = $4::jsonb, blocked_until = $5, max_calls = $6, window_ms = $7
      WHERE crm = $1 AND crm_account_id = $2 AND bucket = $3`,
    [k.crm, k.crmAccountId, k.bucket, JSON.stringify(s.grants), s.blockedUntil, s.max, s.windowMs],
  );
}

/**
 * Up to `want` call slots now (domain/rate-budget.ts reserveSlots), after settling an earlier
 * grants of this worker (`settle`: their unused slots, when their last call went), in the same round
 * trip. The answer's `now` is the database's clock at the reservation. `initial` is the
 * limit a new row starts at. The answer's `limit` is the account's as the row knows it.
 */
export async function reserveCalls(
  db: Db,
  k: BudgetKey,
  want: number,
  initial: RateWindow,
  marginMs: number,
  settle: { at: number; unused: number; sentBy?: number }[] = [],
): Promise<Reservation & { limit: RateWindow; now: number }> {
  return db.transaction(async (tx) => {
    const { s, now } = await lockRow(tx, k, initial);
    const back = settle.reduce((st, g) => releaseSlots(st, g.at, g.unused, g.sentBy), s);
    const r = reserveSlots(back, want, now, { marginMs });
    await save(tx, k, r.state);
    return { ...r, limit: { max: r.state.max, windowMs: r.state.windowMs }, now };
  });
}

/** After a 429: no worker sends on this account's bucket before `retryAfterMs` from now. */
export async function blockCalls(db: Db, k: BudgetKey, retryAfterMs: number, initial: RateWindow): Promise<void> {
  await db.transaction(async (tx) => {
    const { s, now } = await lockRow(tx, k, initial);
    await save(tx, k, blockFor(s, retryAfterMs, now));
  });
}

/** The limit the CRM announced (HubSpot's X-HubSpot-RateLimit-* headers), for every worker. */
export async function learnLimit(db: Queryable, k: BudgetKey, limit: RateWindow): Promise<void> {
  await db.query(
    `INSERT INTO crm_rate_budgets (crm, crm_account_id, bucket, max_calls, window_ms) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (crm, crm_account_id, bucket) DO UPDATE SET max_calls = EXCLUDED.max_calls, window_ms = EXCLUDED.window_ms
       WHERE crm_rate_budgets.max_calls <> EXCLUDED.max_calls OR crm_rate_budgets.window_ms <> EXCLUDED.window_ms`,
    [k.crm, k.crmAccountId, k.bucket, limit.max, limit.windowMs],
  );
}

export interface DailyUsage {
  used: number;
  limit: number;
}

/** What the CRM said of the account's daily allowance; a later observation replaces an earlier one. */
export async function recordDailyUsage(
  db: Queryable,
  k: { crm: CrmName; crmAccountId: string },
  usage: DailyUsage,
): Promise<void> {
  await db.query(
    `INSERT INTO crm_daily_usage (crm, crm_account_id, used, limit_calls, observed_at) VALUES ($1, $2, $3, $4, ${DB_NOW})
     ON CONFLICT (crm, crm_account_id) DO UPDATE SET used = EXCLUDED.used, limit_calls = EXCLUDED.limit_calls,
       observed_at = EXCLUDED.observed_at WHERE crm_daily_usage.observed_at <= EXCLUDED.observed_at`,
    [k.crm, k.crmAccountId, usage.used, usage.limit],
  );
}

/** The account's daily usage as any worker last saw it. */
export async function dailyUsage(
  db: Queryable,
  k: { crm: CrmName; crmAccountId: string },
): Promise<DailyUsage | undefined> {
  const { rows } = await db.query<{ used: number | string; limit_calls: number | string }>(
    'SELECT used, limit_calls FROM crm_daily_usage WHERE crm = $1 AND crm_account_id = $2',
    [k.crm, k.crmAccountId],
  );
  return rows[0] && { used: Number(rows[0].used), limit: Number(rows[0].limit_calls) };
}
