import type { CrmPort } from '../crm/port';
import type { SharedRateBudget } from '../crm/shared-budget';
import type { CrmName } from '../domain/types';
import type { Db } from '../store/db';
import { blockCalls, dailyUsage, learnLimit, recordDailyUsage, reserveCalls } from '../store/rate-budgets';
import type { ActivityDeps } from './deps';

/** The CRM account's shared budget (src/crm/shared-budget.ts) kept in the workspace database. */
export function databaseRateBudget(db: Db, crm: CrmName, crmAccountId: string): SharedRateBudget {
  const key = (bucket: string) => ({ crm, crmAccountId, bucket });
  return {
    account: crmAccountId,
    scope: db,
    reserve: (bucket, want, initial, marginMs, settle) =>
      reserveCalls(db, key(bucket), want, initial, marginMs, settle),
    block: (bucket, retryAfterMs, initial) => blockCalls(db, key(bucket), retryAfterMs, initial),
    learn: (bucket, limit) => learnLimit(db, key(bucket), limit),
    recordDailyUsage: (usage) => recordDailyUsage(db, { crm, crmAccountId }, usage),
    dailyUsage: () => dailyUsage(db, { crm, crmAccountId }),
  };
}

/** Paces the adapter by its account's shared budget when the worker keeps one (ActivityDeps.sharedRateBudgets). */
export function shareAccountBudget(
  deps: ActivityDeps,
  port: CrmPort,
  crm: CrmName,
  crmAccountId: string,
  sentBefore = 0,
): void {
  // Interactive at the database (store/db-turns.ts): a reservation is a few ms, and a pull's next
  // page waits for it, so it goes ahead of page writes rather than behind one.
  if (deps.sharedRateBudgets)
    port.shareRateBudget(databaseRateBudget(deps.interactiveDb ?? deps.db, crm, crmAccountId), sentBefore);
}
