/** What pushes did, counted per batch by the push activity and summed by the workflow for `status`. */
export interface PushTotals {
  /** Records now linked to a CRM record by a push (created or matched and updated). */
  linked: number;
  created: number;
  /** Refused by the CRM, or by a rule such as a domain conflict: in the error log until retried. */
  rejected: number;
  /** Failed for a passing cause; retried by themselves on later cycles. */
  transient: number;
  /** Not pushed because the push conditions said so (not errors). */
  skipped: number;
}

export const PUSH_TOTAL_KEYS = [
  'linked',
  'created',
  'rejected',
  'transient',
  'skipped',
] as const satisfies readonly (keyof PushTotals)[];

export function noPushTotals(): PushTotals {
  return { linked: 0, created: 0, rejected: 0, transient: 0, skipped: 0 };
}
