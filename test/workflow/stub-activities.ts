import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities';
import type { BeganRun } from '../../src/activities/pull';
import type { PushBatchResult } from '../../src/activities/push';
import { FAILURE_TYPE } from '../../src/domain/failure-types';

/**
 * In-memory stand-ins for the activities, for the workflow tier: what the workflow sees of the CRM
 * and the store (counts, cursors, failures), with none of their I/O. Each workspace has its own
 * `StubCrm`, so tests sharing one worker never share state. Failures are raised with the same
 * ApplicationFailure types and details the real activities use, so the workflow's recovery paths
 * run exactly as they do against a real CRM.
 */
export interface StubCrm {
  /** Records in each stream a pull sees; a chunk moves `chunkSize` of them. */
  streams: { name: string; objectKind: 'contact' | 'account'; records: number }[];
  chunkSize: number;
  /** False: every CRM call fails as bad credentials until a test sets it back. */
  authorized: boolean;
  /** The next N CRM calls of pulls / pushes fail on the CRM's spent daily allowance. */
  dailyLimitFailures: { pull: number; push: number };
  /** The pullChunk call with this number (1 = the CRM's first, counting every call) meets the spent daily allowance. */
  dailyLimitAtChunk?: number;
  /** The next N attempts of pullChunk / pushBatch fail as a CRM outage (retryable CrmTransient). */
  transientFailures: { pull: number; push: number };
  /** The next N pushBatch calls with rows due fail as a call the CRM refuses (non-retryable CrmInvalid). */
  pushRefusals: number;
  /** Outbox rows due for push; each batch takes `pushBatchSize` of them, from its own lane's share. */
  outbox: number;
  /** Unlinked workspace records a manual push of `all` finds (default 7). */
  unlinked?: number;
  pushBatchSize: number;
  /** What the workflow asked for, in order: activity name and the arguments that tests check. */
  calls: { name: string; lane?: number; lanes?: number; kind?: string; connection?: string }[];
}

export function newStubCrm(o: Partial<StubCrm> = {}): StubCrm {
  return {
    streams: [
      { name: 'companies', objectKind: 'account', records: 5 },
      { name: 'contacts', objectKind: 'contact', records: 20 },
    ],
    chunkSize: 10,
    authorized: true,
    dailyLimitFailures: { pull: 0, push: 0 },
    transientFailures: { pull: 0, push: 0 },
    pushRefusals: 0,
    outbox: 0,
    pushBatchSize: 100,
    calls: [],
    ...o,
  };
}

export const DAILY_LIMIT_WAIT_MS = 3_600_000;

function authFailure(): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    'HubSpot account details failed (401 INVALID_AUTHENTICATION): token revoked',
    FAILURE_TYPE.CrmAuth,
  );
}

export const OUTAGE_MESSAGE = 'HubSpot contacts list failed (503): service unavailable';

function outage(): ApplicationFailure {
  return ApplicationFailure.retryable(OUTAGE_MESSAGE, FAILURE_TYPE.CrmTransient);
}

export const REFUSAL_MESSAGE =
  'HubSpot contacts batch upsert failed (400 VALIDATION_ERROR): Property values were not valid';

/** What the activities throw for a call the CRM refuses as invalid: the same call fails the same way. */
function refusal(): ApplicationFailure {
  return ApplicationFailure.nonRetryable(REFUSAL_MESSAGE, FAILURE_TYPE.CrmInvalid);
}

function dailyLimitFailure(): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPE.CrmDailyLimit,
    message: 'daily API allowance spent (reserve kept)',
    nonRetryable: true,
    details: [{ retryAfterMs: DAILY_LIMIT_WAIT_MS }],
  });
}

/** Activities over a map of stub CRMs keyed by workspace id (pull runs carry theirs in the run id). */
export function createStubActivities(world: Map<string, StubCrm>): Activities {
  const crmOf = (workspaceId: string) => {
    const crm = world.get(workspaceId);
    if (!crm) throw ApplicationFailure.nonRetryable(`no stub CRM for workspace ${workspaceId}`, 'StubMissing');
    return crm;
  };
  const runs = new Map<string, { workspaceId: string; stream: string; done: number; total: number }>();
  let runSeq = 0;

  const activities = {
    async connect(input) {
      const crm = crmOf(input.workspaceId);
      crm.calls.push({ name: 'connect', connection: input.connection });
      if (!crm.authorized) throw authFailure();
      return { crmAccountId: 'stub-portal', owners: 3, ownersLinkedByEmail: 0 };
    },
    async refreshOwners(input) {
      const crm = crmOf(input.workspaceId);
      crm.calls.push({ name: 'refreshOwners' });
      if (!crm.authorized) throw authFailure();
      return { owners: 3 };
    },
    async beginPull(input) {
      const crm = crmOf(input.workspaceId);
      crm.calls.push({ name: 'beginPull', kind: input.kind });
      if (!crm.authorized) throw authFailure();
      const began: BeganRun[] = crm.streams.map((s) => {
        const runId = `run-${++runSeq}`;
        runs.set(runId, { workspaceId: input.workspaceId, stream: s.name, done: 0, total: s.records });
        return {
          runId,
          stream: s.name,
          objectKind: s.objectKind,
          total: input.kind === 'recurring' ? null : s.records,
        };
      });
      return { runs: began };
    },
    async pullChunk(input) {
      const run = runs.get(input.runId)!;
      const crm = crmOf(run.workspaceId);
      crm.calls.push({ name: 'pullChunk' });
      if (!crm.authorized) throw authFailure();
      if (crm.dailyLimitFailures.pull > 0) {
        crm.dailyLimitFailures.pull--;
        throw dailyLimitFailure();
      }
      if (crm.dailyLimitAtChunk === crm.calls.filter((c) => c.name === 'pullChunk').length) throw dailyLimitFailure();
      if (crm.transientFailures.pull > 0) {
        crm.transientFailures.pull--;
        throw outage();
      }
      run.done = Math.min(run.total, run.done + crm.chunkSize);
      return {
        done: run.done === run.total,
        pages: 1,
        run: { seen: run.done, created: run.done, updated: 0, ownerChanges: 0, errors: 0 },
        potentialDuplicates: 0,
      };
    },
    async pushBatch(input) {
      const crm = crmOf(input.workspaceId);
      crm.calls.push({ name: 'pushBatch', lane: input.lane, lanes: input.lanes });
      // Like the real one, a batch with nothing due makes no CRM call.
      if (crm.outbox === 0)
        return { handled: 0, linked: 0, created: 0, rejected: 0, transient: 0, skipped: 0, due: 0, deferred: 0 };
      if (!crm.authorized) throw authFailure();
      if (crm.dailyLimitFailures.push > 0) {
        crm.dailyLimitFailures.push--;
        throw dailyLimitFailure();
      }
      if (crm.transientFailures.push > 0) {
        crm.transientFailures.push--;
        throw outage();
      }
      if (crm.pushRefusals > 0) {
        crm.pushRefusals--;
        throw refusal();
      }
      const handled = Math.min(crm.outbox, crm.pushBatchSize);
      crm.outbox -= handled;
      const r: PushBatchResult = {
        handled,
        linked: handled,
        created: handled,
        rejected: 0,
        transient: 0,
        skipped: 0,
        due: crm.outbox,
        deferred: 0,
      };
      return r;
    },
    async enqueueManualPush(input) {
      const crm = crmOf(input.workspaceId);
      crm.calls.push({ name: 'enqueueManualPush', kind: input.kind });
      const all = crm.unlinked ?? 7;
      if (input.ids || !input.page) {
        const queued = input.ids?.length ?? all;
        crm.outbox += queued;
        return { queued };
      }
      // Pages of 500 by a cursor, as the store pages by id.
      const from = input.page.after === null ? 0 : Number(input.page.after);
      const queued = Math.min(500, all - from);
      crm.outbox += queued;
      return { queued, next: from + queued < all ? String(from + queued) : null };
    },
    async requeueFailedPushes(input) {
      crmOf(input.workspaceId).calls.push({ name: 'requeueFailedPushes' });
      return { queued: 0 };
    },
    async checkSourceField(input) {
      return {
        problem:
          input.value === 'Not A Source'
            ? `source value "${input.value}" is not an allowed value of picklist ${input.field} (allowed: Apollo, Web)`
            : null,
      };
    },
    async checkFieldMapping(input) {
      // Refuses one made-up field, so a workflow test can see a mapping refused by the CRM check.
      const entries = Object.values(input.mapping).flatMap((m) => m ?? []);
      return {
        problems: entries
          .filter((e) => e.crmField === 'Not_A_Field__c')
          .map((e) => `field mapping names CRM field "${e.crmField}", which does not exist`),
      };
    },
  } satisfies Activities;
  return activities;
}
