#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { CRM_NAMES, type CrmName } from '../domain/types';
import { openDb } from '../store/db';
import { errorLog, pullHistory, workspaceCounts } from '../store/reports';
import { pullNowUpdate, reauthorizeSignal, settingsQuery, startSyncNowUpdate, statusQuery, updateSettingsUpdate, type IntegrationStatus } from '../workflows/contract';
import { integrationHandle, refusalReason, startIntegration, temporalClient } from './integrations';

const USAGE = `usage: crm-sync <command> <workspaceId> [options]
  start <ws> --connection NAME --sync-user ID [--plan paid|free] [--crm hubspot|salesforce]
  status <ws> [--watch]          phase, window, pulls, errors; --watch shows initial pull progress
  pull-now <ws>                  re-pull everything (refused in the window / during the initial pull)
  start-sync-now <ws>            end the configuration window early
  settings <ws> [--set JSON]     show settings, or change them, e.g. --set '{"pullIntervalMinutes":30}'
  reauthorize <ws> [--connection NAME]
  history <ws> [--limit N]       pull history (from the workspace database)
  errors <ws> [--job-type T] [--limit N]   error log (from the workspace database)
Temporal: TEMPORAL_ADDRESS (127.0.0.1:7233). Database: DATABASE_URL (the main job prints it).`;

async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      crm: { type: 'string', default: 'hubspot' },
      connection: { type: 'string' },
      'sync-user': { type: 'string' },
      plan: { type: 'string', default: 'paid' },
      set: { type: 'string' },
      watch: { type: 'boolean', default: false },
      'job-type': { type: 'string' },
      limit: { type: 'string', default: '50' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, workspaceId] = positionals;
  if (o.help || !command || !workspaceId) return fail(USAGE);
  if (!(CRM_NAMES as readonly string[]).includes(o.crm!)) return fail(`--crm must be one of ${CRM_NAMES.join(', ')}`);
  const crm = o.crm as CrmName;
  const config = loadConfig();

  if (command === 'history' || command === 'errors') {
    const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.pgliteDataDir, poolMax: 1 });
    try {
      if (command === 'history') {
        for (const r of await pullHistory(db, workspaceId, crm, Number(o.limit))) {
          console.log(`${r.startedAt.toISOString()}  ${r.kind.padEnd(9)} ${r.stream.padEnd(10)} seen=${r.seen} created=${r.created} updated=${r.updated} ${r.finishedAt ? `finished ${r.finishedAt.toISOString()}` : 'running'}`);
        }
      } else {
        for (const e of await errorLog(db, workspaceId, crm, { jobType: o['job-type'], limit: Number(o.limit) })) {
          console.log(`${e.occurredAt.toISOString()}  ${e.jobType}  ${e.objectKind ?? '-'} crm=${e.crmId ?? '-'}  ${e.errorCode}: ${e.message}`);
        }
        const counts = await workspaceCounts(db, workspaceId, crm);
        console.log(`contacts=${counts.contacts} accounts=${counts.accounts} potential_duplicates=${counts.potentialDuplicates} errors=${JSON.stringify(counts.errorsByJob)}`);
      }
    } finally {
      await db.close();
    }
    return 0;
  }

  const client = await temporalClient(config.temporalAddress, config.namespace);
  const handle = integrationHandle(client, workspaceId, crm);
  try {
    switch (command) {
      case 'start': {
        const h = await startIntegration(client, { workspaceId, crm, connection: o.connection, syncUserId: o['sync-user'], plan: o.plan });
        console.log(`started ${h.workflowId}`);
        return 0;
      }
      case 'status':
        if (!o.watch) return print(await handle.query(statusQuery));
        return watch(() => handle.query(statusQuery));
      case 'pull-now':
        return print(await handle.executeUpdate(pullNowUpdate, { args: [{}] }));
      case 'start-sync-now':
        return print(await handle.executeUpdate(startSyncNowUpdate, { args: [{}] }));
      case 'settings':
        if (!o.set) return print(await handle.query(settingsQuery));
        return print(await handle.executeUpdate(updateSettingsUpdate, { args: [JSON.parse(o.set)] }));
      case 'reauthorize':
        await handle.signal(reauthorizeSignal, o.connection ? { connection: o.connection } : {});
        console.log('reauthorize sent');
        return 0;
      default:
        return fail(USAGE);
    }
  } catch (err) {
    return fail(refusalReason(err) ?? (err as Error).message);
  } finally {
    await client.connection.close();
  }
}

/** A progress bar while the initial pull runs, then the status once syncing. */
async function watch(status: () => Promise<IntegrationStatus>): Promise<number> {
  for (;;) {
    const s = await status();
    const p = s.initialPull;
    if (p && !p.finished && p.total) {
      const width = 40;
      const filled = Math.min(width, Math.round((p.done / p.total) * width));
      const paused = s.pausedUntil ? ` paused until ${s.pausedUntil} (daily API allowance)` : '';
      process.stdout.write(`\rinitial pull [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}${paused}   `);
    } else {
      process.stdout.write(`\r${s.phase}${s.windowEndsAt && s.phase === 'configuring' ? ` until ${s.windowEndsAt}` : ''}                                        `);
    }
    if (s.phase === 'syncing' || s.phase === 'disconnected' || s.phase === 'needsReauth') {
      process.stdout.write('\n');
      return print(s);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function print(v: unknown): number {
  console.log(JSON.stringify(v, null, 2));
  return 0;
}

function fail(message: string): number {
  console.error(message.split('\n').length > 1 ? message : `crm-sync: ${message}`);
  return 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => process.exit(fail((err as Error).message)));
