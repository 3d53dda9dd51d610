import { activityInfo } from '@temporalio/activity';
import { applyInbound, inboundCrmFields, type ObjectMapping } from '../domain/field-mapping';
import { CRM_TIME_PRECISION_MS, type SyncDirection } from '../domain/field-ownership';
import type { CrmName, CrmRecord, PullKind } from '../domain/types';
import type { PullPage } from '../crm/port';
import { applyPullPage, beginPullRun, getPullRun, setRunTotal, type PulledRecord } from '../store/pull-store';
import { workspaceCounts } from '../store/reports';
import type { ActivityDeps } from './deps';
import { heartbeatingActivity, stopIfAbandoned } from './heartbeat';
import { removalTotals, type RemovalRules, type RemovalTotals } from '../store/removals';
import { isReconcileStream, markReconciled, RECONCILE_PREFIX, reconcileWanted } from '../store/reconcile';
import { reconcileChunk } from './reconcile-chunk';
import { boundCrm } from './bound-crm';

export interface BeginPullInput {
  workspaceId: string;
  crm: CrmName;
  connection: string;
  kind: PullKind;
  /** Deterministic per pull (workflow id + sequence), so a retried activity finds its own runs. */
  runKey: string;
  /** The operator asked for a reconciliation (recurring pulls; one is also due weekly). */
  reconcile?: boolean;
}
export interface BeganRun {
  runId: string;
  stream: string;
  objectKind: 'contact' | 'account';
  total: number | null;
}

/** Opens one pull-history row per CRM stream. Full pulls also count what they will see, for progress. */
export function beginPullActivity(deps: ActivityDeps) {
  return async function beginPull(input: BeginPullInput): Promise<{ runs: BeganRun[] }> {
    return heartbeatingActivity(async (beat) => {
      const crm = await boundCrm(deps, input);
      const nowMs = Date.now();
      // Streams are opened one by one (each its own row), then counted concurrently: counting is one
      // call per stream, and on a remote CRM their latency would otherwise add up.
      const opened = [];
      for (const stream of crm.streams) {
        const run = await beginPullRun(deps.db, {
          runKey: `${input.runKey}:${stream.name}`,
          workspaceId: input.workspaceId,
          crm: input.crm,
          kind: input.kind,
          objectKind: stream.kind,
          stream: stream.name,
          nowMs,
        });
        opened.push({ stream, run });
      }
      // Recurring pulls also reconcile, weekly or when asked: one ids-only run per stream (reconcile.ts).
      if (input.kind === 'initial') await markReconciled(deps.db, input.workspaceId, input.crm, nowMs);
      else if (input.kind === 'recurring' && (await reconcileWanted(deps.db, input, nowMs))) {
        for (const stream of crm.streams) {
          const name = `${RECONCILE_PREFIX}${stream.name}`;
          const run = await beginPullRun(deps.db, {
            runKey: `${input.runKey}:${name}`,
            workspaceId: input.workspaceId,
            crm: input.crm,
            kind: input.kind,
            objectKind: stream.kind,
            stream: name,
            nowMs,
          });
          opened.push({ stream: { ...stream, name }, run });
        }
        await markReconciled(deps.db, input.workspaceId, input.crm, nowMs);
      }
      const runs: BeganRun[] = await Promise.all(
        opened.map(async ({ stream, run }) => {
          let total = run.totalEstimate;
          if (total === null && run.sinceMs === null && !isReconcileStream(stream.name)) {
            total = await crm.countRecords(stream.name);
            stopIfAbandoned();
            if (total !== null) await setRunTotal(deps.db, run.id, total);
            beat({ stream: stream.name });
          }
          return { runId: run.id, stream: stream.name, objectKind: stream.kind, total };
        }),
      );
      return { runs };
    });
  };
}

export interface PullChunkInput {
  runId: string;
  connection: string;
  syncUserId: string;
  mapping: ObjectMapping;
  /** The integration's direction; absent in pulls started before it existed (bidirectional). */
  direction?: SyncDirection;
  /** Deletion and merge sync (removal-settings.ts); absent in older pulls: all off. */
  removal?: RemovalRules;
}
/** What a pull run has done so far, as recorded with its pages. */
export interface RunCounts {
  seen: number;
  created: number;
  updated: number;
  ownerChanges: number;
  errors: number;
}
export interface PullChunkResult {
  done: boolean;
  /** Pages this attempt applied. */
  pages: number;
  /**
   * The whole run's counts from its database row, not this attempt's: pages committed by an attempt
   * whose worker died are counted there exactly once, and nowhere else.
   */
  run: RunCounts;
  /** The workspace's records flagged as potential duplicates, after this chunk. */
  potentialDuplicates: number;
  /** What deletion and merge sync did since the integration connected, after this chunk. */
  removals?: RemovalTotals;
}

/**
 * Pages through one pull run for a bounded time. The run's cursor lives in the database and moves in
 * the same transaction as each page's records, so a retry after a crash (or a second attempt racing
 * a zombie one) continues exactly where the committed work ends. The next page is fetched while the
 * current one is written, to keep the CRM's rate budget busy. Only counts leave this function.
 * Heartbeats flow on a timer while it waits on the CRM or the database (heartbeat.ts); once the
 * attempt is cancelled or timed out, it applies no further page.
 */
export function pullChunkActivity(deps: ActivityDeps) {
  return async function pullChunk(input: PullChunkInput): Promise<PullChunkResult> {
    return heartbeatingActivity(async (beat) => {
      const budget = deps.chunkBudgetMs ?? 30_000;
      const started = Date.now();
      let pages = 0;
      let run = await getPullRun(deps.db, input.runId);
      const crm = await boundCrm(deps, { workspaceId: run.workspaceId, crm: run.crm, connection: input.connection });
      if (isReconcileStream(run.stream)) {
        pages = await reconcileChunk(deps, crm, run, input.removal ?? {}, beat);
        return chunkResult(deps, input.runId, pages);
      }
      const stream = crm.streams.find((x) => x.name === run.stream);
      const precedence = {
        yieldsTo: stream?.yieldsTo,
        supersedes: crm.streams.filter((x) => x.yieldsTo === run.stream).map((x) => x.name),
      };
      // Each page remembers when its read began: the ownership rules ignore values older than a push.
      const fetch = (cursor: string | null): Promise<PullPage & { readAt: number }> => {
        const readAt = Date.now();
        return crm
          .fetchPage({
            stream: run.stream,
            cursor,
            fields: inboundCrmFields(input.mapping, run.stream),
            sinceMs: run.sinceMs,
            untilMs: run.untilMs,
          })
          .then((page) => ({ ...page, readAt }));
      };

      let pending: Promise<PullPage & { readAt: number }> | null = run.done ? null : fetch(run.cursor);
      while (pending) {
        const page = await pending;
        const more = page.nextCursor !== null && Date.now() - started < budget;
        pending = more ? fetch(page.nextCursor) : null;
        // Unobserved while we write: a failed prefetch must not crash the process as unhandled.
        pending?.catch(() => undefined);

        // A push using the database goes first (src/store/db-turns.ts); the prefetch runs on meanwhile.
        await deps.turns?.bulkTurn();
        // An abandoned attempt writes nothing more: its successor may already be paging (the
        // cursor check would refuse a page it applied, but this one must not race it at all).
        stopIfAbandoned();
        const applied = await applyPullPage(deps.db, {
          runId: run.id,
          expectedCursor: run.cursor,
          records: page.records.map((r) => toPulled(r, input.mapping)),
          removals: page.removals,
          removalRules: input.removal,
          nextCursor: page.nextCursor,
          syncUserId: input.syncUserId,
          precedence,
          rules: {
            mapping: input.mapping,
            direction: input.direction ?? 'bidirectional',
            crmPrecisionMs: CRM_TIME_PRECISION_MS[run.crm],
            readAt: page.readAt,
          },
        });
        if (applied === 'stale') {
          // Another attempt moved the cursor first: continue from where it is now.
          run = await getPullRun(deps.db, input.runId);
          pending = run.done ? null : fetch(run.cursor);
          continue;
        }
        pages++;
        run = { ...run, cursor: page.nextCursor, done: page.nextCursor === null };
        beat({ pages });
        if (!more) break;
      }
      if (activityInfo().attempt > 1)
        deps.logger.info({ runId: run.id, attempt: activityInfo().attempt, pages }, 'pull chunk resumed');
      return chunkResult(deps, input.runId, pages);
    });
  };
}

/** The run's counts from its database row, and the workspace's, after a chunk. */
async function chunkResult(deps: ActivityDeps, runId: string, pages: number): Promise<PullChunkResult> {
  const final = await getPullRun(deps.db, runId);
  return {
    done: final.done,
    pages,
    run: {
      seen: final.seen,
      created: final.created,
      updated: final.updated,
      ownerChanges: final.ownerChanges,
      errors: final.errors,
    },
    potentialDuplicates: (await workspaceCounts(deps.db, final.workspaceId, final.crm)).potentialDuplicates,
    removals: await removalTotals(deps.db, final.workspaceId, final.crm),
  };
}

function toPulled(r: CrmRecord, mapping: ObjectMapping): PulledRecord {
  const { columns, custom } = applyInbound(mapping, r.properties, r.crmObject);
  return {
    crmId: r.crmId,
    crmObject: r.crmObject,
    columns,
    custom,
    crmOwnerId: r.ownerId,
    parentCrmId: r.accountCrmIds[0] ?? null,
    modifiedAt: r.modifiedAt,
    followsTo: r.followsTo ?? null,
  };
}
