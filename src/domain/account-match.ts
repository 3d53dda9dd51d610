/**
 * What to do with a workspace account that is not linked to the CRM yet, given the CRM accounts
 * holding its domain (seed 001 FAQ, "Why did Apollo skip pushing a company"). Pure.
 *
 * - A CRM account with the domain that no other workspace account is linked to: link to it rather
 *   than create a second one. Several: the most recently modified, then the lowest id, so the
 *   choice is the same on every run (the seeds' system picks at random); the caller logs which.
 * - Every match already linked to another workspace account: a CRM that refuses duplicate domains
 *   (HubSpot) gets nothing, and the account is reported as a conflict; one that takes duplicates
 *   (Salesforce, which mirrors what the workspace holds) gets a new account.
 * - No match: create.
 * - Before all of these: a CRM account carrying this workspace account's own id (`createdFor`) was
 *   created by an earlier push of it whose bookkeeping was lost (an outage before the batch
 *   committed). It is linked, and counts as created (`createdByUs`).
 */
export interface CandidateAccount {
  crmId: string;
  modifiedAt: string | null;
  /** The workspace account linked to it, if any. */
  linkedTo: string | null;
  /** The workspace account id it carries in our key field (accounts a push created). */
  createdFor?: string | null;
}

export type AccountMatch =
  | { action: 'link'; crmId: string; candidates: number; createdByUs?: true }
  | { action: 'conflict'; crmIds: string[] }
  | { action: 'create' };

export function matchAccount(
  localId: string,
  candidates: CandidateAccount[],
  refusesDuplicateDomains: boolean,
): AccountMatch {
  const free = candidates.filter((c) => c.linkedTo === null || c.linkedTo === localId);
  const own = free.find((c) => c.createdFor === localId);
  if (own) return { action: 'link', crmId: own.crmId, candidates: free.length, createdByUs: true };
  if (free.length) {
    const best = [...free].sort((a, b) => stamp(b) - stamp(a) || compareIds(a.crmId, b.crmId))[0];
    return { action: 'link', crmId: best.crmId, candidates: free.length };
  }
  if (candidates.length && refusesDuplicateDomains)
    return { action: 'conflict', crmIds: candidates.map((c) => c.crmId) };
  return { action: 'create' };
}

function stamp(c: CandidateAccount): number {
  return c.modifiedAt ? Date.parse(c.modifiedAt) || 0 : 0;
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export const DOMAIN_CONFLICT_MESSAGE = 'Account not pushed. A different company with this domain already exists';
