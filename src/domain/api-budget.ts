/**
 * Spending a CRM's daily API allowance (Salesforce's DailyApiRequests) without taking all of it:
 * a reserve is left for the customer's other integrations. Pure: the adapter feeds it the usage
 * the CRM reports on every response.
 */

export const DEFAULT_RESERVE_PERCENT = 10;
/** Above this share of what we may spend, calls are spaced out so the allowance lasts longer. */
export const SLOW_DOWN_FROM = 0.8;
export const MAX_SLOW_DOWN_MS = 2_000;

export type BudgetDecision =
  { action: 'go' } | { action: 'slow'; delayMs: number } | { action: 'pause'; usable: number };

export function budgetDecision(used: number, limit: number, reservePercent = DEFAULT_RESERVE_PERCENT): BudgetDecision {
  const usable = Math.floor(limit * (1 - reservePercent / 100));
  if (used >= usable) return { action: 'pause', usable };
  const from = usable * SLOW_DOWN_FROM;
  if (used < from) return { action: 'go' };
  return { action: 'slow', delayMs: Math.round(MAX_SLOW_DOWN_MS * ((used - from) / (usable - from))) };
}
