import { databaseHost, type AppConfig } from '../config';
import { formatExplanation } from '../domain/explain-format';
import { defaultFieldMapping } from '../domain/field-mapping';
import type { CrmName, ObjectKind } from '../domain/types';
import { openDb, type Db } from '../store/db';
import { connectedCrms, explainRecord, type ExplainRequest } from '../store/explain';
import { addMembers, createList, deleteList, listLists, removeMembers } from '../store/lists';
import { errorLog, pullHistory, workspaceCounts } from '../store/reports';
import type { Invocation } from './cli-commands';
import { PRINTED } from './cli-output';
import { settingsOrReason, temporalClient } from './integrations';
import { openDuplicates, type DuplicateGroup } from '../store/duplicates';
import { mergeWorkspaceRecords } from '../store/workspace-removals';
import { deleteAndNotify, notifyIntegrations, writeAndNotify, type WriteOp } from './workspace-writes';

/** The commands that read or write the workspace database (the writes then nudge Temporal). */
export async function runDbCommand(config: AppConfig, inv: Invocation): Promise<unknown> {
  const db = await openWorkspaceDb(config);
  try {
    // An unknown workspace is refused by name here, before a write could meet a foreign key.
    const crms = await connectedCrms(db, inv.workspaceId).catch((err: Error) => {
      throw new Error(`${err.message}${config.databaseUrl || config.pgliteDataDir ? '' : IN_MEMORY}`);
    });
    switch (inv.command) {
      case 'history':
        return printLines(
          (await pullHistory(db, inv.workspaceId, inv.crm, inv.limit)).map(
            (r) =>
              `${r.startedAt.toISOString()}  ${r.kind.padEnd(9)} ${r.stream.padEnd(10)} seen=${r.seen} created=${r.created} updated=${r.updated} ${r.finishedAt ? `finished ${r.finishedAt.toISOString()}` : 'running'}`,
          ),
        );
      case 'errors':
        return printLines(await errorLines(db, inv));
      case 'lists':
        return await listsCommand(db, config, inv);
      case 'explain':
        return printLines([await explain(db, config, inv, crms)]);
      case 'duplicates':
        return printLines(duplicateLines(await openDuplicates(db, inv.workspaceId)));
      case 'contacts merge':
      case 'accounts merge':
        return await mergeWorkspaceRecords(db, inv.workspaceId, kindOfCommand(inv), inv.args[0], inv.args[1]);
      case 'contacts delete':
      case 'accounts delete': {
        const client = await temporalClient(config.temporalAddress, config.namespace).catch(() => null);
        try {
          return await deleteAndNotify(db, client, kindOfCommand(inv), inv.workspaceId, inv.args[0]);
        } finally {
          await client?.connection.close();
        }
      }
      default: {
        const client = await temporalClient(config.temporalAddress, config.namespace).catch(() => null);
        try {
          return await writeAndNotify(db, client, inv.command as WriteOp, inv.workspaceId, inv.json, {
            id: inv.args[0],
            userId: inv.user,
          });
        } finally {
          await client?.connection.close();
        }
      }
    }
  } finally {
    await db.close();
  }
}

/** `contacts ...` -> contact, `accounts ...` -> account. */
const kindOfCommand = (inv: Invocation): ObjectKind => (inv.command.startsWith('contacts') ? 'contact' : 'account');

/** One line per shared email / domain, then one per record with its CRM links. */
function duplicateLines(groups: DuplicateGroup[]): string[] {
  if (!groups.length) return ['no open potential duplicates'];
  return groups.flatMap((g) => [
    `${g.kind} ${g.kind === 'contact' ? 'email' : 'domain'}=${g.key}  records=${g.records.length}`,
    ...g.records.map(
      (r) =>
        `  ${r.id}  ${r.links.map((l) => `${l.crm}:${l.crmObject}/${l.crmId}`).join(' ') || 'not linked to a CRM'}`,
    ),
  ]);
}

/** With neither variable set the CLI opens an empty in-memory database: say so, it is the likely cause. */
const IN_MEMORY = ' (DATABASE_URL is not set, so this was an empty in-memory database; the main job prints the URL)';

async function openWorkspaceDb(config: AppConfig): Promise<Db> {
  try {
    return await openDb({ databaseUrl: config.databaseUrl, dataDir: config.pgliteDataDir, poolMax: 1 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // The driver's message may name the user; the URL may hold the password: host and code only.
    const where = config.databaseUrl ? ` at ${databaseHost(config.databaseUrl)}` : '';
    throw new Error(`the workspace database${where} cannot be opened (${e.code ?? e.message.split('\n')[0]})`);
  }
}

function printLines(lines: string[]): typeof PRINTED {
  for (const line of lines) console.log(line);
  return PRINTED;
}

async function errorLines(db: Db, inv: Invocation): Promise<string[]> {
  const rows = await errorLog(db, inv.workspaceId, inv.crm, { jobType: inv.jobType, limit: inv.limit });
  const lines = rows.map((e) => {
    const repeat =
      e.attempts > 1 ? ` (attempt ${e.attempts}${e.sameAsBefore ? ', failed again the same way' : ''})` : '';
    const state = e.resolvedAt ? ' [resolved]' : '';
    const owner = e.crmOwnerId ? ` owner=${e.crmOwnerId}${e.records !== null ? ` records=${e.records}` : ''}` : '';
    return `${e.occurredAt.toISOString()}  ${e.jobType}  ${e.objectKind ?? '-'} ${e.localId ?? ''} crm=${e.crmId ?? '-'}${owner}${e.field ? ` field=${e.field}` : ''}  ${e.errorCode}: ${e.message}${repeat}${state}`;
  });
  const counts = await workspaceCounts(db, inv.workspaceId, inv.crm);
  lines.push(
    `contacts=${counts.contacts} accounts=${counts.accounts} potential_duplicates=${counts.potentialDuplicates} errors=${JSON.stringify(counts.errorsByJob)}`,
  );
  return lines;
}

/** `lists <ws> [create|add|remove|delete ...]` (checked in cli-commands); new members are pushed if the scope lets them. */
async function listsCommand(db: Db, config: AppConfig, inv: Invocation): Promise<unknown> {
  const [sub, list, ...ids] = inv.args;
  switch (sub) {
    case 'create':
      return createList(db, inv.workspaceId, { name: [list, ...ids].join(' '), kind: inv.kind });
    case 'add': {
      const r = await addMembers(db, inv.workspaceId, list, ids);
      const client = await temporalClient(config.temporalAddress, config.namespace).catch(() => null);
      if (!client) return r;
      try {
        await notifyIntegrations(client, db, inv.workspaceId, r.crms);
      } finally {
        await client.connection.close();
      }
      return r;
    }
    case 'remove':
      return removeMembers(db, inv.workspaceId, list, ids);
    case 'delete':
      return deleteList(db, inv.workspaceId, list);
    default:
      return listLists(db, inv.workspaceId);
  }
}

async function explain(db: Db, config: AppConfig, inv: Invocation, crms: CrmName[]): Promise<string> {
  const [kind, id, field] = inv.args;
  const mappings = await explainMappings(config, inv.workspaceId, crms, inv.crm);
  return formatExplanation(
    await explainRecord(db, { workspaceId: inv.workspaceId, kind: kind as ObjectKind, id, field, mappings }),
  );
}

/**
 * Each connected CRM's field mapping, from its workflow's settings when Temporal answers, else the
 * default one with the reason. A workspace with no integration gets --crm's default mapping.
 */
async function explainMappings(
  config: AppConfig,
  workspaceId: string,
  crms: CrmName[],
  fallbackCrm: CrmName,
): Promise<ExplainRequest['mappings']> {
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
