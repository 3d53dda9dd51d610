/** What the CLI writes: results as JSON on stdout, a refusal as one line on stderr. */

/** Returned by a command that has printed its own output (lines, not one JSON value). */
export const PRINTED = Symbol('printed');

export function printResult(v: unknown): void {
  if (v !== PRINTED) console.log(JSON.stringify(v, null, 2));
}

/** One line, always: an error that carries a stack or a multi-line cause is cut to its first line. */
export function printRefusal(message: string): void {
  console.error(`crm-sync: ${message.split('\n')[0]}`);
}
