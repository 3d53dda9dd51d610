import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { configurationWindowEnd } from '../domain/config-window';
import { parseIntegrationInput, type IntegrationInput } from '../domain/integration-input';
import { pushRecordsSchema, retryFailedSchema } from '../domain/push-request';
import { noPushTotals, PUSH_TOTAL_KEYS } from '../domain/push-totals';
import { DEFAULT_SOURCE_FIELD, defaultPushSettings } from '../domain/push-settings';
import { applySettingsPatch, defaultSettings, parseOrThrow, pushRulesChanged, type IntegrationSettings } from '../domain/settings';
import type { CrmName, PullKind } from '../domain/types';
import type { Activities } from '../activities';
import {
  DESCRIPTIONS,
  disconnectSignal,
  pullNowUpdate,
  pullProgressSignal,
  pushPendingSignal,
  pushRecordsUpdate,
  reauthorizeSignal,
  retryFailedUpdate,
  settingsQuery,
  startSyncNowUpdate,
  statusQuery,
  updateSettingsUpdate,
  type IntegrationStatus,
  type Phase,
  type PullSummary,
  type PushTotals,
} from './contract';
import { dailyLimitWaitMs, failureMessage, failureType } from './failure-type';
import { pullWorkflow } from './pull';

/**
 * One integration between a workspace and a CRM, for as long as it stays connected:
 * connect -> configuration window (paid plans, 6 h) -> initial pull -> a pull every interval, forever.
 * Operators drive it with the updates and signals of contract.ts. The state below is all it carries
 * across continue-as-new; records live in the database and never pass through here.
 */

interface CarriedState {
  phase: Phase;
  connection: string;
  settings: IntegrationSettings;
  connectedAt: number | null;
  windowEndsAt: number | null;
  initialPullDone: boolean;
  pullSeq: number;
  nextPullAt: number | null;
  lastPull: PullSummary | null;
  errors: { ownerSync: number; failedPulls: number };
  manualPullQueued: boolean;
  potentialDuplicates?: number;
  /** Added with push; absent in state carried by older runs. */
  push?: { wanted: boolean; totals: PushTotals; due: number; deferred: number; lastBatchAt: number | null; failure: string | null };
}

export type IntegrationWorkflowInput = IntegrationInput & { carried?: CarriedState };

/** Continue as new after this many history events even if the server has not suggested it yet. */
export const MAX_HISTORY_EVENTS = 2_000;

/**
 * Push batches in flight at once, each on its own share of the outbox. HubSpot's batches are
 * bounded by its rate limit, which two lanes reach; Salesforce's by the round trips of each batch
 * (lookups, then upserts), which more lanes overlap, well inside its concurrent-request limit.
 */
export const PUSH_LANES: Record<CrmName, number> = { hubspot: 2, salesforce: 4 };

/** The outbox is swept this often even without a signal: lost signals, transient-failure retries. */
export const PUSH_SWEEP_MS = 5 * 60_000;

const { connect } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // Bad credentials are not retried: the workflow waits for `reauthorize` instead of hammering the CRM.
  retry: { initialInterval: '2s', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['CrmAuth', 'CrmInvalid', 'CrmDailyLimit', 'SyncUserUnknown'] },
});

const { pushBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  // It heartbeats between its CRM calls: a dead worker's batch is pushed again (idempotently) within 30 s.
  heartbeatTimeout: '30 seconds',
  // 429s wait for the CRM's Retry-After (nextRetryDelay), outages back off; attempts are unlimited.
  retry: { initialInterval: '1s', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['CrmAuth', 'CrmInvalid', 'CrmDailyLimit'] },
});
const { enqueueManualPush, requeueFailedPushes, checkSourceField } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['CrmAuth', 'CrmInvalid', 'CrmDailyLimit'] },
});

export async function integrationWorkflow(raw: IntegrationWorkflowInput): Promise<{ phase: Phase }> {
  const { carried, ...rest } = raw ?? ({} as IntegrationWorkflowInput);
  let input: IntegrationInput;
  try {
    input = parseIntegrationInput(rest);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidInput');
  }
  const s: CarriedState = carried ?? {
    phase: 'connecting',
    connection: input.connection,
    settings: input.settings ? applySettingsPatch(input.crm, defaultSettings(input.crm), input.settings) : defaultSettings(input.crm),
    connectedAt: null,
    windowEndsAt: null,
    initialPullDone: false,
    pullSeq: 0,
    nextPullAt: null,
    lastPull: null,
    errors: { ownerSync: 0, failedPulls: 0 },
    manualPullQueued: false,
  };
  if (!s.settings.push) s.settings = { ...s.settings, push: defaultPushSettings(input.crm) };
  const push = (s.push ??= { wanted: false, totals: noPushTotals(), due: 0, deferred: 0, lastBatchAt: null, failure: null });

  // Volatile, per execution: what operators asked for since the last look.
  let startSyncRequested = false;
  let reauthorizeRequested = false;
  let disconnectRequested = false;
  let settingsChanged = false;
  let needsReauthReason: string | null = null;
  let pullInProgress: PullKind | null = null;
  let progress: { done: number; total: number | null } | null = null;
  let pause: { until: string; reason: string } | null = null;
  let pushing = false;
  let requeueRejected = false;

  const setPhase = (phase: Phase) => {
    s.phase = phase;
    upsertSearchAttributes({ CrmWorkspaceId: [input.workspaceId], CrmProvider: [input.crm], CrmPhase: [phase] });
  };
  setPhase(s.phase);

  setHandler(statusQuery, (): IntegrationStatus => ({
    workspaceId: input.workspaceId,
    crm: input.crm,
    phase: s.phase,
    connectedAt: iso(s.connectedAt),
    windowEndsAt: iso(s.windowEndsAt),
    initialPull: s.initialPullDone
      ? { done: progress?.done ?? 0, total: progress?.total ?? null, finished: true }
      : progress ? { ...progress, finished: false } : null,
    pullInProgress,
    lastPull: s.lastPull,
    nextPullAt: s.phase === 'syncing' ? iso(s.nextPullAt) : null,
    manualPushAvailable: s.initialPullDone && s.phase === 'syncing',
    needsReauthReason,
    pausedUntil: pause?.until ?? null,
    pauseReason: pause?.reason ?? null,
    potentialDuplicates: s.potentialDuplicates ?? 0,
    errors: s.errors,
    push: { pushing, due: push.due, deferred: push.deferred, lastBatchAt: iso(push.lastBatchAt), totals: push.totals, failure: push.failure },
  }), { description: DESCRIPTIONS.status });

  setHandler(settingsQuery, () => s.settings, { description: DESCRIPTIONS.settings });

  setHandler(updateSettingsUpdate, async (patch) => {
    let next = applySettingsPatch(input.crm, s.settings, patch);
    const src = next.push.source;
    const srcChanged = src.field !== s.settings.push.source.field || src.value !== s.settings.push.source.value || next.push.createPeopleAs !== s.settings.push.createPeopleAs;
    if (srcChanged && s.connectedAt !== null) {
      // A picklist source value must be one the CRM allows: asked of the CRM, so not in the validator.
      const { problem } = await checkSourceField({ connection: s.connection, field: src.field, value: src.value, createPeopleAs: next.push.createPeopleAs, defaultField: DEFAULT_SOURCE_FIELD[input.crm] });
      if (problem) throw ApplicationFailure.nonRetryable(`invalid settings: ${problem}`, 'InvalidSettings');
      // Settings may have changed while the CRM was asked: apply the patch to what is current now.
      next = applySettingsPatch(input.crm, s.settings, patch);
    }
    // Records the CRM rejected are pushed again by themselves once the rules they failed on change.
    if (pushRulesChanged(s.settings, next)) requeueRejected = true;
    s.settings = next;
    settingsChanged = true;
    return s.settings;
  }, {
    // Validators must be synchronous: they throw to reject, and a rejected update leaves no history.
    validator: (patch) => void applySettingsPatch(input.crm, s.settings, patch),
    description: DESCRIPTIONS.updateSettings,
  });

  setHandler(pushRecordsUpdate, async (req) => {
    const { queued } = await enqueueManualPush({ workspaceId: input.workspaceId, crm: input.crm, kind: req.objectKind, ids: req.ids, allUnlinked: req.all === true, requestedBy: req.userId ?? null });
    push.wanted = true;
    return { queued };
  }, {
    validator: (req) => refusePush(parseOrThrow(pushRecordsSchema, req ?? {}, 'push request').objectKind),
    description: DESCRIPTIONS.pushRecords,
  });

  setHandler(retryFailedUpdate, async (req) => {
    const { queued } = await requeueFailedPushes({ workspaceId: input.workspaceId, crm: input.crm, ids: req?.ids, manual: true });
    push.wanted = true;
    return { queued };
  }, {
    validator: (req) => {
      parseOrThrow(retryFailedSchema, req ?? {}, 'retry request');
      if (s.phase === 'disconnected') throw new Error('the integration is disconnected');
    },
    description: DESCRIPTIONS.retryFailed,
  });

  setHandler(pushPendingSignal, () => void (push.wanted = true), { description: DESCRIPTIONS.pushPending });

  setHandler(pullNowUpdate, (_args) => {
    s.manualPullQueued = true;
    return { accepted: true as const, kind: 'manual' as const };
  }, { validator: (_args) => refusePullNow(), description: DESCRIPTIONS.pullNow });

  setHandler(startSyncNowUpdate, (_args) => {
    startSyncRequested = true;
    return { phase: s.phase };
  }, {
    validator: (_args) => {
      if (s.phase === 'connecting' || s.phase === 'needsReauth') throw new Error(`sync cannot start before the CRM connection is verified (phase ${s.phase})`);
      if (s.phase === 'disconnected') throw new Error('the integration is disconnected');
    },
    description: DESCRIPTIONS.startSyncNow,
  });

  setHandler(reauthorizeSignal, (args) => {
    if (args?.connection) s.connection = args.connection;
    reauthorizeRequested = true;
  }, { description: DESCRIPTIONS.reauthorize });
  setHandler(disconnectSignal, () => void (disconnectRequested = true), { description: DESCRIPTIONS.disconnect });
  setHandler(pullProgressSignal, (p) => {
    progress = { done: p.seen, total: p.total };
    if (p.pausedUntil !== undefined) pause = p.pausedUntil ? { until: p.pausedUntil, reason: p.pauseReason ?? '' } : null;
  }, { description: DESCRIPTIONS.pullProgress });

  function refusePullNow(): void {
    switch (s.phase) {
      case 'configuring':
        throw new Error(`manual pull is not available during the configuration window, which ends at ${iso(s.windowEndsAt)}`);
      case 'initialPull':
        throw new Error(`manual pull is not available while the initial pull runs (${progress?.done ?? 0} of ${progress?.total ?? '?'} records)`);
      case 'connecting':
      case 'needsReauth':
        throw new Error(`manual pull needs a verified CRM connection (phase ${s.phase}${needsReauthReason ? `: ${needsReauthReason}` : ''})`);
      case 'disconnected':
        throw new Error('the integration is disconnected');
    }
  }

  /** Seed 001 "Manual push may be unavailable": no connected CRM, push disabled, initial pull unfinished. */
  function refusePush(kind: 'contact' | 'account'): void {
    switch (s.phase) {
      case 'connecting':
      case 'needsReauth':
        throw new Error(`manual push needs a connected CRM (phase ${s.phase}${needsReauthReason ? `: ${needsReauthReason}` : ''})`);
      case 'disconnected':
        throw new Error('manual push needs a connected CRM: the integration is disconnected');
      case 'configuring':
      case 'initialPull':
        throw new Error(`manual push is not available until the initial pull finishes (${progress?.done ?? 0} of ${progress?.total ?? '?'} records)`);
    }
    const enabled = kind === 'contact' ? s.settings.push.contacts.enabled : s.settings.push.accounts.enabled;
    if (!enabled) throw new Error(`manual push is refused: ${kind} push is disabled in the sync settings`);
  }

  /**
   * Pushes due outbox rows batch after batch until none is due. Stops early to let the workflow
   * continue as new (the rest stays in the outbox and `wanted` stays set).
   */
  async function drainPush(): Promise<'ok' | 'disconnected'> {
    push.wanted = false;
    pushing = true;
    // Lanes take disjoint shares of the outbox, so one batch's CRM round trips overlap another's
    // database work. Older runs pushed in one lane and replay that way.
    const lanes = patched('push-lanes') ? PUSH_LANES[input.crm] : 1;
    const lane = async (index: number) => {
      for (;;) {
        const r = await pushBatch({ workspaceId: input.workspaceId, crm: input.crm, connection: s.connection, syncUserId: input.syncUserId, push: s.settings.push, fieldMapping: s.settings.fieldMapping, lane: index, lanes });
        push.failure = null;
        push.lastBatchAt = Date.now();
        push.due = r.due;
        push.deferred = r.deferred;
        for (const k of PUSH_TOTAL_KEYS) push.totals[k] += r[k];
        if (r.handled === 0 || r.due === 0 || disconnectRequested) return;
        if (historyIsLong()) {
          push.wanted = true;
          return;
        }
      }
    };
    try {
      // Every lane ends (settles) before the drain does, so no batch runs on behind a failure.
      const settled = await Promise.allSettled(Array.from({ length: lanes }, (_, i) => lane(i)));
      const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed) throw failed.reason;
      return 'ok';
    } catch (err) {
      push.failure = failureMessage(err);
      push.wanted = true;
      if (failureType(err) === 'CrmDailyLimit') return (await waitOutDailyLimit(err)) ? 'disconnected' : 'ok';
      if (failureType(err) === 'CrmAuth') {
        if (!(await waitForReauthorize(failureMessage(err)))) return 'disconnected';
        if (!(await connectUntilAuthorized())) return 'disconnected';
        setPhase('syncing');
        return 'ok';
      }
      // Not retryable and not the CRM's per-record answer: kept in status; the sweep tries again.
      return 'ok';
    } finally {
      pushing = false;
    }
  }

  function historyIsLong(): boolean {
    return workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS;
  }

  /**
   * The CRM's daily allowance (less the reserve) is spent: wait on a timer, shown in status, rather
   * than retry. True if the integration was disconnected meanwhile.
   */
  async function waitOutDailyLimit(err: unknown): Promise<boolean> {
    const waitMs = dailyLimitWaitMs(err);
    pause = { until: iso(Date.now() + waitMs)!, reason: failureMessage(err) };
    const disconnected = await condition(() => disconnectRequested, waitMs);
    pause = null;
    return disconnected;
  }

  /** Verifies the connection; on bad credentials waits for `reauthorize`. False if disconnected meanwhile. */
  async function connectUntilAuthorized(): Promise<boolean> {
    for (;;) {
      try {
        await connect({ workspaceId: input.workspaceId, crm: input.crm, connection: s.connection, syncUserId: input.syncUserId, plan: input.plan });
        needsReauthReason = null;
        return true;
      } catch (err) {
        if (failureType(err) === 'CrmDailyLimit') {
          if (await waitOutDailyLimit(err)) return false;
          continue;
        }
        if (failureType(err) !== 'CrmAuth') throw err;
        if (!(await waitForReauthorize(failureMessage(err)))) return false;
      }
    }
  }

  async function waitForReauthorize(reason: string): Promise<boolean> {
    needsReauthReason = reason;
    reauthorizeRequested = false;
    setPhase('needsReauth');
    await condition(() => reauthorizeRequested || disconnectRequested);
    if (disconnectRequested) return false;
    setPhase('connecting');
    return true;
  }

  /** Runs one pull as a child workflow. Returns false if it failed on credentials and we were disconnected while waiting. */
  async function runPull(kind: PullKind): Promise<'ok' | 'failed' | 'disconnected'> {
    const seq = ++s.pullSeq;
    const startedAt = Date.now();
    pullInProgress = kind;
    progress = kind === 'initial' ? { done: 0, total: null } : progress;
    try {
      const totals = await executeChild(pullWorkflow, {
        workflowId: `${workflowInfo().workflowId}/pull-${seq}`,
        args: [{
          workspaceId: input.workspaceId,
          crm: input.crm,
          connection: s.connection,
          syncUserId: input.syncUserId,
          kind,
          fieldMapping: s.settings.fieldMapping,
          parentId: workflowInfo().workflowId,
        }],
      });
      s.lastPull = { kind, startedAt: iso(startedAt)!, finishedAt: iso(Date.now()), seen: totals.seen, created: totals.created, updated: totals.updated, ownerChanges: totals.ownerChanges };
      s.errors.ownerSync += totals.errors;
      s.potentialDuplicates = totals.potentialDuplicates;
      return 'ok';
    } catch (err) {
      s.lastPull = { kind, startedAt: iso(startedAt)!, finishedAt: iso(Date.now()), seen: 0, created: 0, updated: 0, ownerChanges: 0, failure: failureMessage(err) };
      s.errors.failedPulls++;
      if (failureType(err) === 'CrmAuth') {
        const phase = s.phase;
        if (!(await waitForReauthorize(failureMessage(err)))) return 'disconnected';
        if (!(await connectUntilAuthorized())) return 'disconnected';
        setPhase(phase);
      }
      return 'failed';
    } finally {
      pullInProgress = null;
      pause = null;
    }
  }

  // --- connect ---
  if (s.phase === 'connecting' || s.phase === 'needsReauth') {
    if (s.phase === 'needsReauth' && !(await waitForReauthorize(needsReauthReason ?? 'credentials were rejected'))) return finish();
    if (!(await connectUntilAuthorized())) return finish();
    s.connectedAt ??= Date.now();
    s.windowEndsAt = configurationWindowEnd(input.plan, s.connectedAt);
    setPhase(s.windowEndsAt !== null && !s.initialPullDone ? 'configuring' : s.initialPullDone ? 'syncing' : 'initialPull');
  }

  // --- configuration window: settings may change, manual pull is refused; sync starts by itself at the end ---
  if (s.phase === 'configuring') {
    await condition(() => startSyncRequested || disconnectRequested, Math.max(0, (s.windowEndsAt ?? 0) - Date.now()));
    if (disconnectRequested) return finish();
    setPhase('initialPull');
  }

  // --- initial pull: every record; manual push stays unavailable until it is done ---
  while (!s.initialPullDone) {
    setPhase('initialPull');
    const r = await runPull('initial');
    if (r === 'disconnected') return finish();
    if (r === 'ok') s.initialPullDone = true;
    // A failed initial pull is tried again after one interval (already-written pages are kept).
    else if (await condition(() => disconnectRequested, minutes(s.settings.pullIntervalMinutes))) return finish();
  }
  if (s.nextPullAt === null) {
    s.nextPullAt = Date.now() + minutes(s.settings.pullIntervalMinutes);
    // Writes made before the initial pull finished waited in the outbox: push them now.
    push.wanted = true;
  }
  setPhase('syncing');

  // --- syncing: a pull every interval, or now when asked; pushes as soon as the workspace writes ---
  let nextSweepAt = Date.now() + PUSH_SWEEP_MS;
  for (;;) {
    if (historyIsLong()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof integrationWorkflow>({ ...input, carried: s });
    }
    settingsChanged = false;
    await condition(
      () => s.manualPullQueued || disconnectRequested || settingsChanged || push.wanted || requeueRejected,
      Math.max(0, Math.min(s.nextPullAt!, nextSweepAt) - Date.now()),
    );
    if (disconnectRequested) return finish();
    if (requeueRejected) {
      requeueRejected = false;
      await requeueFailedPushes({ workspaceId: input.workspaceId, crm: input.crm, cause: 'rejected', manual: false });
      push.wanted = true;
    }
    if (push.wanted || Date.now() >= nextSweepAt) {
      if ((await drainPush()) === 'disconnected') return finish();
      nextSweepAt = Date.now() + PUSH_SWEEP_MS;
    }
    if (!s.manualPullQueued && Date.now() < s.nextPullAt!) continue;

    const kind: PullKind = s.manualPullQueued ? 'manual' : 'recurring';
    s.manualPullQueued = false;
    const r = await runPull(kind);
    if (r === 'disconnected') return finish();
    if (kind === 'recurring') {
      // Fixed cadence from the first pull time, skipping slots a long pull overran.
      const every = minutes(s.settings.pullIntervalMinutes);
      while (s.nextPullAt! <= Date.now()) s.nextPullAt! += every;
    }
  }

  function finish(): { phase: Phase } {
    setPhase('disconnected');
    return { phase: s.phase };
  }
}

function minutes(n: number): number {
  return n * 60_000;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
