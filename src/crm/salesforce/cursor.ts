/**
 * Cursors the Salesforce adapter hands out. A pull covers SystemModstamp time ranges ("slices"),
 * oldest first; one SOQL query per slice, paged by queryMore. `after` is the (SystemModstamp, Id)
 * of the last record returned, so when a locator is gone (they expire, and a sandbox restart drops
 * them) the slice is queried again from just after it, in the same order, losing and repeating
 * nothing. SystemModstamp is whole seconds, and a bulk load gives thousands of records one value:
 * the Id orders a tie, so resuming inside a tie group larger than a batch neither skips its rest
 * (`>` on the time alone) nor reads it again from its start (`>=`). A slice that makes Salesforce
 * time out is split in two (adaptive slicing).
 */
export interface SalesforceCursor {
  /** [fromMs, toMs) ranges still to pull; the first is in progress. */
  slices: [number, number][];
  locator?: string;
  after?: [string, string];
  /**
   * Incremental pulls, once the changed records are done: the slices are the pull's window again,
   * read through queryAll for the records deleted or merged away in it (removals.ts), in the same
   * (SystemModstamp, Id) keyset order, so a lost locator resumes the same way.
   */
  removals?: true;
}

export function encodeCursor(c: SalesforceCursor): string {
  return JSON.stringify(c);
}

export function decodeCursor(s: string | null): SalesforceCursor | null {
  return s ? (JSON.parse(s) as SalesforceCursor) : null;
}
