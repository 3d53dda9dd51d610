/**
 * Salesforce refuses a request whose URI and headers together pass 16,384 bytes (431 Request Header
 * Fields Too Large; 414 for a URI alone), and a query travels in the URI (`/query?q=<SOQL>`,
 * percent-encoded). A long `IN (...)` list, 200 emails of a push batch, say, passes that. So IN
 * lists are split so that each query's encoded text stays within SOQL_URL_BUDGET, which leaves room
 * for the path and the headers (the session token, Sforce-Query-Options, the client's own).
 */
export const SOQL_URL_BUDGET = 8_000;

/** A SOQL string literal: backslashes and single quotes escaped. */
export function soqlQuote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The bytes a piece of SOQL takes in the query string. */
export function encodedLength(soql: string): number {
  return encodeURIComponent(soql).length;
}

/**
 * `items` in order, packed into groups whose IN-list literals (`literals(item)`, joined with ", ")
 * fit `budget` encoded bytes beside `fixed`, the rest of the query. An item too long for any group
 * goes alone: the query may then be refused, but no other item waits behind it.
 */
export function packInLists<T>(
  items: readonly T[],
  literals: (item: T) => string[],
  fixed: string,
  budget = SOQL_URL_BUDGET,
): T[][] {
  const room = budget - encodedLength(fixed);
  const separator = encodedLength(', ');
  const groups: T[][] = [];
  let group: T[] = [];
  let used = 0;
  for (const item of items) {
    const cost = literals(item).reduce((n, l) => n + encodedLength(l) + separator, 0);
    if (group.length && used + cost > room) {
      groups.push(group);
      group = [];
      used = 0;
    }
    group.push(item);
    used += cost;
  }
  if (group.length) groups.push(group);
  return groups;
}
