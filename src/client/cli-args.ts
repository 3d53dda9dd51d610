/**
 * The CLI's argument grammar and value checks. Everything an operator types is checked here, before
 * the database or Temporal is reached, so a typo is refused with one sentence naming the argument
 * instead of surfacing as a driver's or gRPC's error (or, worse, doing something else).
 */

/** A refusal of the command line as typed: one sentence, and nothing was opened or sent. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const OPTIONS = {
  crm: 'string',
  connection: 'string',
  'sync-user': 'string',
  plan: 'string',
  set: 'string',
  watch: 'boolean',
  'job-type': 'string',
  limit: 'string',
  json: 'string',
  user: 'string',
  kind: 'string',
  ids: 'string',
  all: 'boolean',
  help: 'boolean',
} as const;
export type OptionName = keyof typeof OPTIONS;

export interface RawArgs {
  positionals: string[];
  options: Partial<Record<OptionName, string | true>>;
}

/**
 * `--name value`, `--name=value`, `-h`, and `--` before positionals that start with a dash. Our own
 * loop rather than util.parseArgs: its errors are several sentences long and do not say which
 * command was meant, and its non-strict mode takes `--limit --watch` as a limit of "--watch".
 */
export function tokenize(argv: readonly string[]): RawArgs {
  const positionals: string[] = [];
  const options: RawArgs['options'] = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      options.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`unknown option ${shown(arg)}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!(name in OPTIONS)) throw new UsageError(`unknown option --${shown(name)}`);
    const option = name as OptionName;
    if (option in options) throw new UsageError(`--${option} is given twice`);
    if (OPTIONS[option] === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${option} takes no value`);
      options[option] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[i + 1];
    // A following option is a forgotten value, not the value (`--limit --watch`).
    if (value === undefined || (eq < 0 && value.startsWith('--')) || value === '')
      throw new UsageError(`--${option} needs a value`);
    if (eq < 0) i++;
    options[option] = value;
  }
  return { positionals, options };
}

/** An operator's text in a message: one line, bounded, so a pasted blob cannot flood the terminal. */
export function shown(value: string, max = 40): string {
  const flat = value.replace(/\p{Cc}+/gu, ' ');
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

export function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${what} must be ${orList(allowed)} (got "${shown(value)}")`);
}

export function orList(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

export const MAX_LIMIT = 10_000;
export function limitOf(value: string): number {
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= MAX_LIMIT) return Number(value);
  throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT} (got "${shown(value)}")`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A workspace record id (contacts and accounts have UUIDs); `what` names where it was given. */
export function recordId(what: string, value: string): string {
  if (UUID.test(value)) return value;
  throw new UsageError(`${what} "${shown(value)}" is not a workspace record id (a UUID)`);
}

/** `--ids a,b,c`: at least one, each a record id, at most 10,000 (what one push request takes). */
export function recordIds(value: string): string[] {
  const ids = value
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (!ids.length) throw new UsageError('--ids names no record id');
  if (ids.length > MAX_LIMIT) throw new UsageError(`--ids names more than ${MAX_LIMIT} records; use --all`);
  return [...new Set(ids.map((id) => recordId('--ids entry', id)))];
}

/** Same rule as the integration input (and the workflow id built from it). */
export function workspaceIdOf(value: string): string {
  if (/^[A-Za-z0-9_-]{1,64}$/.test(value)) return value;
  throw new UsageError(`workspace id "${shown(value)}" must be 1-64 letters, digits, "_" or "-"`);
}

/** `--json` / `--set`: a JSON object. The parser's message quotes the operator's own input only. */
export function jsonObject(option: string, value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new UsageError(`--${option} is not valid JSON: ${shown((err as Error).message, 120)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--${option} must be a JSON object, e.g. '{"title":"CTO"}'`);
  return parsed as Record<string, unknown>;
}
