#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig, type AppConfig } from '../config';
import { formatExplanation } from '../domain/explain-format';
import { defaultFieldMapping } from '../domain/field-mapping';
import { CRM_NAMES, type CrmName } from '../domain/types';
import { openDb, type Db } from '../store/db';
import { connectedCrms, explainRecord, type ExplainRequest } from '../store/explain';
import { addMembers, createList, deleteList, listLists, removeMembers } from '../store/lists';
import { errorLog, pullHistory, workspaceCounts } from '../store/reports';
import {
  pullNowUpdate,
  pushRecordsUpdate,
  reauthorizeSignal,
  retryFailedUpdate,
  settingsQuery,
  startSyncNowUpdate,
  statusQuery,
  updateSettingsUpdate,
  type IntegrationStatus,
} from '../workflows/contract';
import { integrationHandle, refusalReason, settingsOrReason, startIntegration, temporalClient } from './integrations';
import { notifyIntegrations, writeAndNotify, type WriteOp } from './workspace-writes';

const USAGE = `usage: crm-sync <command> <workspaceId> [options]
  start <ws> --connection NAME --sync-user ID [--plan paid|free] [--crm hubspot|salesforce]
  status <ws> [--watch]          phase, window, pulls, errors; --watch shows initial pull progress
  pull-now <ws>                  re-pull everything (refused in the window / during the initial pull)
  start-sync-now <ws>            end the configuration window early
  settings <ws> [--set JSON]     show settings, or change them, e.g. --set '{"pullIntervalMinutes":30}'
  reauthorize <ws> [--connection NAME]
  history <ws> [--limit N]       pull history (from the workspace database)
  errors <ws> [--job-type T] [--limit N]   error log (from the workspace database)
  errors <ws> retry [--ids ID,ID]           push again the records whose push failed
  contacts add <ws> --json '{"email":"a@b.com","first_name":"Ann"}' [--user ID]
  contacts update <ws> <id> --json '{"title":"CTO"}' [--user ID]
  accounts add|update <ws> [<id>] --json '{"name":"Acme","domain":"acme.com"}'
  push <ws> --kind contact|account (--ids ID,ID | --all) [--user ID]   manual push, overriding the conditions
  lists <ws>                     workspace lists (the sync scope, push.scope.lists, names them)
  lists <ws> create <name> --kind contact|account | add <list> <ids...> | remove <list> <ids...> | delete <list>
  explain <ws> contact|account <id> [field]   why each mapped field holds its value: who wrote it, the rule, each CRM's side
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
      json: { type: 'string' },
      user: { type: 'string' },
      kind: { type: 'string', default: 'contact' },
      ids: { type: 'string' },
      all: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  // `contacts add <ws>` / `accounts update <ws> <id>` name a sub-command before the workspace.
  const nested = positionals[0] === 'contacts' || positionals[0] === 'accounts';
  const command = nested ? `${positionals[0]} ${positionals[1]}` : positionals[0];
  const workspaceId = nested ? positionals[2] : positionals[1];
  const rest = positionals.slice(nested ? 3 : 2);
  if (o.help || !command || !workspaceId) return fail(USAGE);
  if (!(CRM_NAMES as readonly string[]).includes(o.crm!)) return fail(`--crm must be one of ${CRM_NAMES.join(', ')}`);
  const crm = o.crm as CrmName;
  const config = loadConfig();

  if (['contacts add', 'contacts update', 'accounts add', 'accounts update'].includes(command)) {
    if (!o.json) return fail(`${command} needs --json with the fields`);
    const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.pgliteDataDir, poolMax: 1 });
    const client = await temporalClient(config.temporalAddress, config.namespace).catch(() => null);
    try {
      return print(
        await writeAndNotify(db, client, command as WriteOp, workspaceId, JSON.parse(o.json), {
          id: rest[0],
          userId: o.user,
        }),
      );
    } catch (err) {
      return fail((err as Error).message);
    } finally {
      await db.close();
      await client?.connection.close();
    }
  }

  if (command === 'history' || (command === 'errors' && rest[0] !== 'retry')) {
    const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.pgliteDataDir, poolMax: 1 });
    try {
      if (command === 'history') {
        for (const r of await pullHistory(db, workspaceId, crm, Number(o.limit))) {
          console.log(
            `${r.startedAt.toISOString()}  ${r.kind.padEnd(9)} ${r.stream.padEnd(10)} seen=${r.seen} created=${r.created} updated=${r.updated} ${r.finishedAt ? `finished ${r.finishedAt.toISOString()}` : 'running'}`,
          );
        }
      } else {
        for (const e of await errorLog(db, workspaceId, crm, { jobType: o['job-type'], limit: Number(o.limit) })) {
          const repeat =
            e.attempts > 1 ? ` (attempt ${e.attempts}${e.sameAsBefore ? ', failed again the same way' : ''})` : '';
          const state = e.resolvedAt ? ' [resolved]' : '';
          console.log(
            `${e.occurredAt.toISOString()}  ${e.jobType}  ${e.objectKind ?? '-'} ${e.localId ?? ''} crm=${e.crmId ?? '-'}${e.field ? ` field=${e.field}` : ''}  ${e.errorCode}: ${e.message}${repeat}${state}`,
          );
        }
        const counts = await workspaceCounts(db, workspaceId, crm);
        console.log(
          `contacts=${counts.contacts} accounts=${counts.accounts} potential_duplicates=${counts.potentialDuplicates} errors=${JSON.stringify(counts.errorsByJob)}`,
        );
      }
    } finally {
      await db.close();
    }
    return 0;
  }

  if (command === 'lists') {
    const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.pgliteDataDir, poolMax: 1 });
    try {
      return print(await listsCommand(db, config, workspaceId, rest, o.kind!));
    } catch (err) {
      return fail((err as Error).message);
    } finally {
      await db.close();
    }
  }

  if (command === 'explain') {
    const [kind, id, field] = rest;
    if (!kind || !id) return fail('explain needs the record kind (contact or account) and its id');
    const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.pgliteDataDir, poolMax: 1 });
    try {
      const mappings = await explainMappings(db, config, workspaceId, crm);
      console.log(formatExplanation(await explainRecord(db, { workspaceId, kind, id, field, mappings })));
      return 0;
    } catch (err) {
      return fail((err as Error).message);
    } finally {
      await db.close();
    }
  }

  const client = await temporalClient(config.temporalAddress, config.namespace);
  const handle = integrationHandle(client, workspaceId, crm);
  try {
    switch (command) {
      case 'start': {
        const h = await startIntegration(client, {
          workspaceId,
          crm,
          connection: o.connection,
          syncUserId: o['sync-user'],
          plan: o.plan,
        });
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
      case 'push': {
        const kind = o.kind === 'account' ? 'account' : 'contact';
        const ids = o.ids
          ?.split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        return print(
          await handle.executeUpdate(pushRecordsUpdate, {
            args: [
              {
                objectKind: kind,
                ...(o.all ? { all: true as const } : { ids }),
                ...(o.user ? { userId: o.user } : {}),
              },
            ],
          }),
        );
      }
      case 'errors':
        return print(await handle.executeUpdate(retryFailedUpdate, { args: [o.ids ? { ids: o.ids.split(',') } : {}] }));
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

/** `lists <ws> [create|add|remove|delete ...]`; new members are pushed if the scope lets them. */
async function listsCommand(db: Db, config: AppConfig, workspaceId: string, args: string[], kind: string) {
  const [sub, list, ...ids] = args;
  switch (sub) {
    case undefined:
      return listLists(db, workspaceId);
    case 'create':
      if (!list) throw new Error('lists create needs the list name');
      return createList(db, workspaceId, { name: [list, ...ids].join(' '), kind });
    case 'add': {
      if (!list) throw new Error('lists add needs the list id and the record ids');
      const r = await addMembers(db, workspaceId, list, ids);
      const client = await temporalClient(config.temporalAddress, config.namespace).catch(() => null);
      if (!client) return r;
      try {
        await notifyIntegrations(client, workspaceId, r.crms);
      } finally {
        await client.connection.close();
      }
      return r;
    }
    case 'remove':
      if (!list) throw new Error('lists remove needs the list id and the record ids');
      return removeMembers(db, workspaceId, list, ids);
    case 'delete':
      if (!list) throw new Error('lists delete needs the list id');
      return deleteList(db, workspaceId, list);
    default:
      throw new Error(`lists has no sub-command "${sub}" (create, add, remove, delete)`);
  }
}

/**
 * Each connected CRM's field mapping, from its workflow's settings when Temporal answers, else the
 * default one with the reason. A workspace with no integration gets --crm's default mapping.
 */
async function explainMappings(
  db: Db,
  config: AppConfig,
  workspaceId: string,
  fallbackCrm: CrmName,
): Promise<ExplainRequest['mappings']> {
  const crms = await connectedCrms(db, workspaceId);
  if (!crms.length)
    return [
      {
        crm: fallbackCrm,
        from: 'default',
        reason: 'the workspace has no integration',
        fieldMapping: defaultFieldMapping(fallbackCrm),
      },
    ];
  const client = await temporalClient(config.temporalAddress, config.namespace).catch(() => null);
  try {
    return await Promise.all(
      crms.map(async (c) => {
        const r = client
          ? await settingsOrReason(client, workspaceId, c)
          : { reason: `Temporal at ${config.temporalAddress} is not reachable` };
        return 'settings' in r
          ? { crm: c, from: 'settings' as const, fieldMapping: r.settings.fieldMapping }
          : { crm: c, from: 'default' as const, reason: r.reason, fieldMapping: defaultFieldMapping(c) };
      }),
    );
  } finally {
    await client?.connection.close();
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
      process.stdout.write(
        `\rinitial pull [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}${paused}   `,
      );
    } else {
      process.stdout.write(
        `\r${s.phase}${s.windowEndsAt && s.phase === 'configuring' ? ` until ${s.windowEndsAt}` : ''}                                        `,
      );
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => process.exit(fail((err as Error).message)),
);
