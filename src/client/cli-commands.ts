import { CRM_NAMES, OBJECT_KINDS, type CrmName, type ObjectKind } from '../domain/types';
import {
  jsonObject,
  limitOf,
  oneOf,
  orList,
  recordId,
  recordIds,
  shown,
  tokenize,
  UsageError,
  workspaceIdOf,
  type OptionName,
  type RawArgs,
} from './cli-args';

/**
 * The commands, what each takes, and the checked, typed invocation a command line becomes. An
 * option a command does not take is refused rather than ignored: `history acme --kind account`
 * doing the same as `history acme` would hide the typo.
 */
interface Spec {
  usage: string;
  options: readonly OptionName[];
  /** Arguments after the workspace id: at least, at most. */
  args: readonly [number, number];
}

const COMMANDS = {
  start: {
    usage: 'start <ws> --connection NAME --sync-user ID [--plan paid|free] [--crm hubspot|salesforce]',
    options: ['connection', 'sync-user', 'plan', 'crm'],
    args: [0, 0],
  },
  status: {
    usage: 'status <ws> [--watch]   phase, window, pulls, errors; --watch: progress until syncing',
    options: ['watch', 'crm'],
    args: [0, 0],
  },
  'pull-now': { usage: 'pull-now <ws>   re-pull everything', options: ['crm'], args: [0, 0] },
  reconcile: {
    usage: 'reconcile <ws>   find records deleted in the CRM past its recycle bin (ids only; weekly by itself)',
    options: ['crm'],
    args: [0, 0],
  },
  'start-sync-now': {
    usage: 'start-sync-now <ws>   end the configuration window early',
    options: ['crm'],
    args: [0, 0],
  },
  settings: { usage: `settings <ws> [--set '{"pullIntervalMinutes":30}']`, options: ['set', 'crm'], args: [0, 0] },
  reauthorize: { usage: 'reauthorize <ws> [--connection NAME]', options: ['connection', 'crm'], args: [0, 0] },
  history: { usage: 'history <ws> [--limit N]   pull history (database)', options: ['limit', 'crm'], args: [0, 0] },
  errors: {
    usage: 'errors <ws> [--job-type pull|push] [--limit N]   error log (database)',
    options: ['job-type', 'limit', 'crm'],
    args: [0, 0],
  },
  'errors retry': {
    usage: 'errors <ws> retry [--ids ID,ID]   push again what failed',
    options: ['ids', 'crm'],
    args: [0, 0],
  },
  'contacts add': {
    usage: `contacts add <ws> --json '{"email":"a@b.com"}' [--user ID]`,
    options: ['json', 'user'],
    args: [0, 0],
  },
  'contacts update': {
    usage: `contacts update <ws> <id> --json '{"title":"CTO"}' [--user ID]`,
    options: ['json', 'user'],
    args: [1, 1],
  },
  'accounts add': {
    usage: `accounts add <ws> --json '{"name":"Acme","domain":"acme.com"}' [--user ID]`,
    options: ['json', 'user'],
    args: [0, 0],
  },
  'accounts update': {
    usage: `accounts update <ws> <id> --json '{"name":"Acme"}' [--user ID]`,
    options: ['json', 'user'],
    args: [1, 1],
  },
  'contacts delete': {
    usage: 'contacts delete <ws> <id>   also in the CRM when deletion sync is on for it',
    options: [],
    args: [1, 1],
  },
  'accounts delete': {
    usage: 'accounts delete <ws> <id>   also in the CRM when deletion sync is on for it',
    options: [],
    args: [1, 1],
  },
  'contacts merge': {
    usage: 'contacts merge <ws> <keep-id> <drop-id>   workspace only: the CRM keeps both records',
    options: [],
    args: [2, 2],
  },
  'accounts merge': {
    usage: 'accounts merge <ws> <keep-id> <drop-id>   workspace only: the CRM keeps both records',
    options: [],
    args: [2, 2],
  },
  duplicates: {
    usage: 'duplicates <ws>   open potential duplicates with their CRM ids, by email / domain',
    options: [],
    args: [0, 0],
  },
  push: {
    usage: 'push <ws> --kind contact|account (--ids ID,ID | --all) [--user ID]   manual push',
    options: ['kind', 'ids', 'all', 'user', 'crm'],
    args: [0, 0],
  },
  lists: {
    usage:
      'lists <ws> [create <name> --kind contact|account | add <list> <ids...> | remove <list> <ids...> | delete <list>]',
    options: ['kind'],
    args: [0, Infinity],
  },
  explain: {
    usage: 'explain <ws> contact|account <id> [field]   why each mapped field holds its value',
    options: ['crm'],
    args: [2, 3],
  },
} as const satisfies Record<string, Spec>;
export type CommandName = keyof typeof COMMANDS;

export const USAGE = `usage: crm-sync <command> <workspaceId> [options]\n${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}`)
  .join('\n')}\nTemporal: TEMPORAL_ADDRESS (127.0.0.1:7233). Database: DATABASE_URL (the main job prints it).`;

export interface Invocation {
  command: CommandName;
  workspaceId: string;
  crm: CrmName;
  /** Arguments after the workspace id, already checked for their command. */
  args: string[];
  connection?: string;
  syncUser?: string;
  plan: 'free' | 'paid';
  set?: Record<string, unknown>;
  watch: boolean;
  jobType?: 'pull' | 'push';
  limit: number;
  json?: Record<string, unknown>;
  user?: string;
  kind?: ObjectKind;
  ids?: string[];
  all: boolean;
}

export type CommandLine = { help: true } | ({ help?: false } & Invocation);

/** Throws UsageError (one sentence) for anything that cannot be run as typed. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const raw = tokenize(argv);
  if (raw.options.help || raw.positionals[0] === 'help') return { help: true };
  const [first, second, ...afterSecond] = raw.positionals;
  if (!first) throw new UsageError('name a command (crm-sync --help lists them)');
  const nested = first === 'contacts' || first === 'accounts';
  if (nested && !['add', 'update', 'delete', 'merge'].includes(second ?? ''))
    throw new UsageError(`${first} needs add, update, delete or merge${second ? ` (got "${shown(second)}")` : ''}`);
  let command = nested ? `${first} ${second}` : first;
  const wsArg = nested ? afterSecond[0] : second;
  let args = nested ? afterSecond.slice(1) : afterSecond;
  if (command === 'errors' && args[0] === 'retry') {
    command = 'errors retry';
    args = args.slice(1);
  }
  if (!(command in COMMANDS)) throw new UsageError(`unknown command "${shown(command)}" (crm-sync --help lists them)`);
  const name = command as CommandName;
  const spec: Spec = COMMANDS[name];
  if (!wsArg) throw new UsageError(`${name} needs the workspace id`);
  const workspaceId = workspaceIdOf(wsArg);
  for (const option of Object.keys(raw.options) as OptionName[])
    if (!spec.options.includes(option)) throw new UsageError(`${name} does not take --${option}`);
  if (args.length < spec.args[0]) throw new UsageError(`${name} needs ${missingArgs(name)}`);
  if (args.length > spec.args[1])
    throw new UsageError(
      `${name} takes ${spec.args[1] ? `at most ${spec.args[1]} arguments` : 'no argument'} after the workspace id (got "${shown(args[spec.args[1]])}")`,
    );
  const inv = options(raw, name, workspaceId, args);
  checkCommand(inv);
  return inv;
}

function missingArgs(name: CommandName): string {
  if (name === 'explain') return 'the record kind (contact or account) and its id';
  if (name === 'contacts merge' || name === 'accounts merge') return 'the id to keep and the id to merge into it';
  return 'the record id';
}

function options(raw: RawArgs, command: CommandName, workspaceId: string, args: string[]): Invocation {
  const o = raw.options as Partial<Record<OptionName, string>> & { watch?: true; all?: true };
  return {
    command,
    workspaceId,
    args,
    crm: oneOf('--crm', o.crm ?? 'hubspot', CRM_NAMES),
    connection: o.connection,
    syncUser: o['sync-user'],
    plan: oneOf('--plan', o.plan ?? 'paid', ['paid', 'free'] as const),
    set: o.set === undefined ? undefined : jsonObject('set', o.set),
    watch: !!o.watch,
    jobType: o['job-type'] === undefined ? undefined : oneOf('--job-type', o['job-type'], ['pull', 'push'] as const),
    limit: o.limit === undefined ? 50 : limitOf(o.limit),
    json: o.json === undefined ? undefined : jsonObject('json', o.json),
    user: o.user,
    kind: o.kind === undefined ? undefined : kindOf('--kind', o.kind),
    ids: o.ids === undefined ? undefined : recordIds(o.ids),
    all: !!o.all,
  };
}

/** contact or account; the plural too, since the commands that write them are `contacts` / `accounts`. */
export function kindOf(what: string, value: string): ObjectKind {
  const singular = value.endsWith('s') ? value.slice(0, -1) : value;
  if ((OBJECT_KINDS as readonly string[]).includes(singular)) return singular as ObjectKind;
  throw new UsageError(`${what} must be ${orList(OBJECT_KINDS)} (got "${shown(value)}")`);
}

/** What a command needs beyond the options it may take. */
function checkCommand(inv: Invocation): void {
  const need = (ok: unknown, what: string) => {
    if (!ok) throw new UsageError(`${inv.command} needs ${what}`);
  };
  switch (inv.command) {
    case 'start':
      need(inv.connection, "--connection NAME (a connection of the worker's connections file)");
      need(inv.syncUser, '--sync-user ID (the workspace user who connected the CRM)');
      return;
    case 'contacts add':
    case 'accounts add':
    case 'contacts update':
    case 'accounts update':
      need(inv.json, '--json with the fields');
      if (inv.args[0] !== undefined) recordId(`${inv.command.split(' ')[0].slice(0, -1)} id`, inv.args[0]);
      return;
    case 'contacts delete':
    case 'accounts delete':
      recordId(`${inv.command.split(' ')[0].slice(0, -1)} id`, inv.args[0]);
      return;
    case 'contacts merge':
    case 'accounts merge': {
      const kind = inv.command.split(' ')[0].slice(0, -1);
      recordId(`${kind} id to keep`, inv.args[0]);
      recordId(`${kind} id to merge`, inv.args[1]);
      if (inv.args[0].toLowerCase() === inv.args[1].toLowerCase())
        throw new UsageError(`${inv.command} needs two different ids (got ${inv.args[0]} twice)`);
      return;
    }
    case 'push':
      need(inv.kind, '--kind contact or account');
      if (!!inv.ids === inv.all) throw new UsageError('push needs either --ids ID,ID or --all (one of them)');
      return;
    case 'explain':
      inv.args[0] = kindOf('the record kind', inv.args[0]);
      recordId(`${inv.args[0]} id`, inv.args[1]);
      return;
    case 'lists':
      return checkLists(inv);
    default:
      return;
  }
}

function checkLists(inv: Invocation): void {
  const [sub, list, ...ids] = inv.args;
  if (sub !== 'create' && inv.kind) throw new UsageError('--kind goes with lists create only');
  switch (sub) {
    case undefined:
      return;
    case 'create':
      if (!list) throw new UsageError('lists create needs the list name');
      if (!inv.kind) throw new UsageError('lists create needs --kind contact or account');
      return;
    case 'add':
    case 'remove':
      if (!list || !ids.length) throw new UsageError(`lists ${sub} needs the list id and at least one record id`);
      ids.forEach((id) => recordId('record id', id));
      return;
    case 'delete':
      if (!list) throw new UsageError('lists delete needs the list id');
      if (ids.length) throw new UsageError(`lists delete takes only the list id (got "${shown(ids[0])}")`);
      return;
    default:
      throw new UsageError(`lists has no sub-command "${shown(sub)}" (create, add, remove, delete)`);
  }
}
