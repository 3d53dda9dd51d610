import {
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { FieldMapping } from '../domain/field-mapping';
import { FAILURE_TYPE, NOT_RETRIED_BY_ACTIVITIES } from '../domain/failure-types';
import type { SyncDirection } from '../domain/field-ownership';
import type { CrmName, PullKind } from '../domain/types';
import type { Activities } from '../activities';
import type { BeganRun, RunCounts } from '../activities/pull';
import type { RemovalSwitches, RemovalTotals } from '../domain/removal-settings';
import { pullProgressSignal, type PullProgress } from './contract';
import { dailyLimitWaitMs, failureMessage, failureType } from './failure-type';
import { ACTIVITY_ATTEMPTS, retryTransient, type RetryHooks } from './retry-transient';

/**
 * One pull of every CRM stream, as a child of the integration workflow. Records never pass through
 * here: activities page and write them and return counts. The runs' cursors live in the database,
 * so continue-as-new needs to carry only the run ids.
 */

export interface PullWorkflowInput {
  workspaceId: string;
  crm: CrmName;
  connection: string;
  syncUserId: string;
  kind: PullKind;
  fieldMapping: FieldMapping;
  /** The integration's direction (absent: bidirectional). */
  direction?: SyncDirection;
  /** The operator asked for a reconciliation (beginPull also does one weekly by itself). */
  reconcile?: boolean;
  /** Deletion and merge sync switches (absent in older pulls: all off). */
  removal?: { deletion?: RemovalSwitches; merge?: RemovalSwitches };
  /** Workflow to report progress to. */
  parentId?: string;
  /** Set by continue-as-new, or by the parent when it starts the next segment of a handed-back pull. */
  carried?: PullCursors;
  /**
   * Return the cursors (`resume`) after MAX_CHUNKS_PER_EXECUTION chunks instead of continuing as new,
   * so the parent runs the pull in segments and may itself continue as new between two of them
   * (integration/pull-segments.ts). Absent in pulls started by older integrations.
   */
  handBack?: boolean;
}

export type CarriedRun = BeganRun & { done: boolean; counts: RunCounts };

/** Where a pull stands: its runs (ids, cursors in the database, counts) and its potential duplicates. */
export interface PullCursors {
  runs: CarriedRun[];
  potentialDuplicates: number;
}

/**
 * The pull's counts: the sum of its runs' database counts, so retried chunks never count twice.
 * With `resume`, the pull is not finished: the counts are so far, and the next segment starts there.
 */
export type PullTotals = RunCounts & {
  potentialDuplicates: number;
  resume?: PullCursors;
  pause?: PullPause;
  /** What deletion and merge sync did since connect, as the last chunk read it (absent: no chunk said). */
  removals?: RemovalTotals;
};

/** The CRM's daily allowance is spent: the pull goes on at `untilMs` (epoch ms). */
export interface PullPause {
  untilMs: number;
  reason: string;
}

class Pause {
  constructor(
    readonly untilMs: number,
    readonly reason: string,
  ) {}
}

const ZERO: RunCounts = { seen: 0, created: 0, updated: 0, ownerChanges: 0, errors: 0 };

function sum(runs: CarriedRun[]): RunCounts {
  const t = { ...ZERO };
  for (const { counts } of runs) for (const k of Object.keys(t) as (keyof RunCounts)[]) t[k] += counts[k];
  return t;
}

/** Chunks per run of this workflow before it continues as new: about 6 events each, so < 1,000 events. */
export const MAX_CHUNKS_PER_EXECUTION = 150;

const retry = {
  initialInterval: '1s',
  maximumInterval: '5 minutes',
  // Then the workflow sees the failure, shows it in status and calls again (retryTransient).
  maximumAttempts: ACTIVITY_ATTEMPTS,
  nonRetryableErrorTypes: [...NOT_RETRIED_BY_ACTIVITIES],
};
// One short call (a page or two of owners), heartbeating on a timer: a dead worker's attempt is
// retried within 20 s.
const { refreshOwners } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '20 seconds',
  retry,
  summary: 'refresh CRM owners',
});
const { beginPull } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // It heartbeats on a timer while it counts, so a dead worker's attempt is retried within 30 s.
  heartbeatTimeout: '30 seconds',
  retry,
  summary: 'open and count the pull runs',
});
const { pullChunk } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // It heartbeats on a timer, also while a request or the rate pacer keeps it waiting (a Salesforce
  // query may take 2 minutes); a dead worker's attempt is retried elsewhere after this much silence.
  heartbeatTimeout: '30 seconds',
  retry,
  summary: 'pull pages',
});

export async function pullWorkflow(input: PullWorkflowInput): Promise<PullTotals> {
  const parent = input.parentId ? getExternalWorkflowHandle(input.parentId) : undefined;
  // Progress is a courtesy: a parent that cannot take it must not fail the pull.
  const report = (p: PullProgress) => parent?.signal(pullProgressSignal, p).catch(() => undefined);
  let runs = input.carried?.runs;
  let total: number | null = null;
  let potentialDuplicates = input.carried?.potentialDuplicates ?? 0;
  let removals: RemovalTotals | undefined;
  const removed = () => (removals ? { removals } : {});
  const seenSoFar = () => (runs ? sum(runs).seen : 0);

  /** An outage outlasting an activity's attempts: shown in the parent's status, waited out, called again. */
  const retryHooks = (activity: string): RetryHooks => ({
    show: (r) => report({ seen: seenSoFar(), total, ...(r ? { retrying: r } : { retried: activity }) }),
    async wait(ms) {
      // A long outage must not grow one run's history without bound: the runs resume at their cursors.
      if (runs && workflowInfo().continueAsNewSuggested)
        await continueAsNew<typeof pullWorkflow>({ ...input, carried: { runs, potentialDuplicates } });
      await sleep(ms, { summary: `wait out the failures of ${activity}` });
      return true;
    },
  });

  /** Runs an activity; when the CRM's daily allowance is spent, says for how long instead of failing. */
  async function orPause<T>(activity: string, fn: () => Promise<T>): Promise<T | Pause> {
    try {
      return await retryTransient(activity, fn, retryHooks(activity));
    } catch (err) {
      if (failureType(err) !== FAILURE_TYPE.CrmDailyLimit) throw err;
      return new Pause(Date.now() + dailyLimitWaitMs(err), failureMessage(err));
    }
  }

  /**
   * Runs an activity; when the CRM's daily allowance is spent, waits on a timer (shown in the
   * parent's status) and tries again, instead of failing the pull or retrying in a loop.
   */
  async function pausable<T>(activity: string, fn: () => Promise<T>): Promise<T> {
    for (;;) {
      const r = await orPause(activity, fn);
      if (!(r instanceof Pause)) return r;
      const seen = seenSoFar();
      await report({ seen, total, pausedUntil: new Date(r.untilMs).toISOString(), pauseReason: r.reason });
      await sleep(r.untilMs - Date.now(), { summary: 'wait for the daily API allowance' });
      await report({ seen, total, pausedUntil: null, pauseReason: null });
    }
  }

  if (!runs) {
    const owners = () =>
      pausable('refreshOwners', () =>
        refreshOwners({ workspaceId: input.workspaceId, crm: input.crm, connection: input.connection }),
      );
    const open = () =>
      pausable('beginPull', () =>
        beginPull({
          workspaceId: input.workspaceId,
          crm: input.crm,
          connection: input.connection,
          kind: input.kind,
          runKey: workflowInfo().workflowId,
          ...(input.reconcile ? { reconcile: true } : {}),
        }),
      );
    let began: Awaited<ReturnType<typeof open>>;
    // Independent: owners are refreshed while the runs are opened and counted. Pulls started by
    // an older worker did one after the other, and replay that way.
    if (patched('pull-start-concurrent')) [, began] = await Promise.all([owners(), open()]);
    else {
      await owners();
      began = await open();
    }
    runs = began.runs.map((r) => ({ ...r, done: false, counts: { ...ZERO } }));
  }
  const allRuns = runs;
  total = allRuns.every((r) => r.total !== null) ? allRuns.reduce((n, r) => n + (r.total ?? 0), 0) : null;

  let chunks = 0;
  for (const run of allRuns) {
    while (!run.done) {
      if (chunks >= MAX_CHUNKS_PER_EXECUTION && input.handBack) {
        return { ...sum(allRuns), potentialDuplicates, resume: { runs: allRuns, potentialDuplicates }, ...removed() };
      }
      if (chunks >= MAX_CHUNKS_PER_EXECUTION || workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof pullWorkflow>({ ...input, carried: { runs: allRuns, potentialDuplicates } });
      }
      const chunk = () =>
        pullChunk({
          runId: run.runId,
          connection: input.connection,
          syncUserId: input.syncUserId,
          mapping: input.fieldMapping[run.objectKind],
          direction: input.direction,
          ...(input.removal ? { removal: input.removal } : {}),
        });
      // A segment hands a pause back too: the parent waits it out, and may continue as new meanwhile.
      const r = input.handBack ? await orPause('pullChunk', chunk) : await pausable('pullChunk', chunk);
      if (r instanceof Pause) {
        const pause = { untilMs: r.untilMs, reason: r.reason };
        return {
          ...sum(allRuns),
          potentialDuplicates,
          resume: { runs: allRuns, potentialDuplicates },
          pause,
          ...removed(),
        };
      }
      chunks++;
      run.done = r.done;
      run.counts = r.run;
      potentialDuplicates = r.potentialDuplicates;
      if (r.removals) removals = r.removals;
      await report({ seen: sum(allRuns).seen, total });
    }
  }
  return { ...sum(allRuns), potentialDuplicates, ...removed() };
}
