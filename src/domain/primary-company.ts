/** One company a HubSpot contact is associated with, as either pull reads it. */
export interface CompanyAssociation {
  companyId: string;
  /** HubSpot's primary association (v4 type 1, v3 `contact_to_company`). */
  primary: boolean;
}

/**
 * A contact's companies with its account first. The full pull reads associations inline (v3) and
 * the incremental one reads them by v4 batch; both list them in HubSpot's order, which is not the
 * primary first, so taking the first listed moves a contact with several companies between
 * accounts from one pull to the next. The account is the primary company; when none is primary
 * (the primary was unassociated, or every association is unlabelled), the lowest company id, the
 * oldest company, which does not depend on the order either API lists them in.
 */
export function accountFirst(associations: readonly CompanyAssociation[]): string[] {
  const ids = [...new Set(associations.map((a) => a.companyId))].sort(byNumericId);
  const primary = ids.find((id) => associations.some((a) => a.companyId === id && a.primary));
  return primary === undefined ? ids : [primary, ...ids.filter((id) => id !== primary)];
}

/** HubSpot ids are decimal strings: shorter is smaller, then as text. */
function byNumericId(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
