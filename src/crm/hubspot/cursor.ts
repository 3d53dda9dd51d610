/**
 * Cursors the HubSpot adapter hands out. A full pull follows the list API's id-ordered `after`.
 * An incremental pull is keyset paging over the search API: each query restarts at the last
 * modified-time seen, so no query pages past HubSpot's 10,000-result cap and a record that changes
 * mid-pull moves to the end instead of shifting the pages under us. `skip` holds the ids already
 * written at exactly `since`. When one instant holds more than a page, `afterId` pages within it by
 * object id (keyset again, not offset: a record edited meanwhile leaves the instant, and an offset
 * would then skip the record that slid into its place).
 */
export type HubSpotCursor =
  | { mode: 'list'; after: string }
  | { mode: 'search'; since: number; skip: string[]; afterId?: string }
  /** Incremental pulls, once the changed records are done: the recycle bin, by id (removals.ts). */
  | { mode: 'archived'; after?: string };

export type HsType = 'contacts' | 'companies';

export function encodeCursor(c: HubSpotCursor): string {
  return JSON.stringify(c);
}

export function decodeCursor(s: string | null): HubSpotCursor | null {
  return s ? (JSON.parse(s) as HubSpotCursor) : null;
}
