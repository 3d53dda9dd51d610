#!/usr/bin/env node
import { loadConfig } from '../config';
import { UsageError } from './cli-args';
import { parseCommandLine, USAGE, type Invocation } from './cli-commands';
import { printRefusal, printResult } from './cli-output';

/**
 * `crm-sync <command> <workspaceId> [options]` (USAGE in cli-commands.ts). The command line is checked
 * whole before anything is opened (cli-commands.ts), so a refused command has touched nothing.
 * Exit code 0 when done, 1 with one line on stderr when refused: by the checks, the database, Temporal
 * or the workflow (one code for all, as the CLI always had; the line says which).
 */
const DB_COMMANDS: ReadonlySet<Invocation['command']> = new Set([
  'history',
  'errors',
  'lists',
  'explain',
  'contacts add',
  'contacts update',
  'accounts add',
  'accounts update',
  'contacts delete',
  'accounts delete',
  'contacts merge',
  'accounts merge',
  'duplicates',
]);

async function main(argv: string[]): Promise<number> {
  let line;
  try {
    line = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    printRefusal(err.message);
    return 1;
  }
  if (line.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  // Loaded only now: the database drivers and the Temporal client take most of a second to load,
  // which a refused command line need not wait for.
  const result = DB_COMMANDS.has(line.command)
    ? (await import('./cli-db.js')).runDbCommand(config, line)
    : (await import('./cli-temporal.js')).runTemporalCommand(config, line);
  printResult(await result);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    printRefusal(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
