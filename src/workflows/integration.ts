import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { configurationWindowEnd } from '../domain/config-window';
import { parseIntegrationInput, type IntegrationInput } from '../domain/integration-input';
import { applySettingsPatch, defaultSettings, type IntegrationSettings } from '../domain/settings';
import type { PullKind } from '../domain/types';
import type { Activities } from '../activities';
import {
  DESCRIPTIONS,
  disconnectSignal,
  pullNowUpdate,
  pullProgressSignal,
  reauthorizeSignal,
  settingsQuery,
  startSyncNowUpdate,
  statusQuery,
  updateSettingsUpdate,
  type IntegrationStatus,
  type Phase,
  type PullSummary,
} from './contract';
import { failureDetail, failureMessage, failureType } from './failure-type';
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
}

export type IntegrationWorkflowInput = IntegrationInput & { carried?: CarriedState };

/** Continue as new after this many history events even if the server has not suggested it yet. */
export const MAX_HISTORY_EVENTS = 2_000;

const { connect } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // Bad credentials are not retried: the workflow waits for `reauthorize` instead of hammering the CRM.
  retry: { initialInterval: '2s', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['CrmAuth', 'CrmInvalid', 'CrmDailyLimit', 'SyncUserUnknown'] },
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
    settings: input.settings ? applySettingsPatch(defaultSettings(input.crm), input.settings) : defaultSettings(input.crm),
    connectedAt: null,
    windowEndsAt: null,
    initialPullDone: false,
    pullSeq: 0,
    nextPullAt: null,
    lastPull: null,
    errors: { ownerSync: 0, failedPulls: 0 },
    manualPullQueued: false,
  };

  // Volatile, per execution: what operators asked for since the last look.
  let startSyncRequested = false;
  let reauthorizeRequested = false;
  let disconnectRequested = false;
  let settingsChanged = false;
  let needsReauthReason: string | null = null;
  let pullInProgress: PullKind | null = null;
  let progress: { done: number; total: number | null } | null = null;
  let pause: { until: string; reason: string } | null = null;

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
  }), { description: DESCRIPTIONS.status });

  setHandler(settingsQuery, () => s.settings, { description: DESCRIPTIONS.settings });

  setHandler(updateSettingsUpdate, (patch) => {
    s.settings = applySettingsPatch(s.settings, patch);
    settingsChanged = true;
    return s.settings;
  }, {
    // Validators must be synchronous: they throw to reject, and a rejected update leaves no history.
    validator: (patch) => void applySettingsPatch(s.settings, patch),
    description: DESCRIPTIONS.updateSettings,
  });

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

  /** Verifies the connection; on bad credentials waits for `reauthorize`. False if disconnected meanwhile. */
  async function connectUntilAuthorized(): Promise<boolean> {
    for (;;) {
      try {
        await connect({ workspaceId: input.workspaceId, crm: input.crm, connection: s.connection, syncUserId: input.syncUserId, plan: input.plan });
        needsReauthReason = null;
        return true;
      } catch (err) {
        if (failureType(err) === 'CrmDailyLimit') {
          // The CRM's daily allowance is spent (less the reserve): look again later, on a timer.
          const waitMs = failureDetail<{ retryAfterMs?: number }>(err)?.retryAfterMs ?? 3_600_000;
          pause = { until: iso(Date.now() + waitMs)!, reason: failureMessage(err) };
          const disconnected = await condition(() => disconnectRequested, waitMs);
          pause = null;
          if (disconnected) return false;
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
  if (s.nextPullAt === null) s.nextPullAt = Date.now() + minutes(s.settings.pullIntervalMinutes);
  setPhase('syncing');

  // --- syncing: a pull every interval, or now when asked ---
  for (;;) {
    settingsChanged = false;
    await condition(() => s.manualPullQueued || disconnectRequested || settingsChanged, Math.max(0, s.nextPullAt! - Date.now()));
    if (disconnectRequested) return finish();
    if (settingsChanged && !s.manualPullQueued && Date.now() < s.nextPullAt!) continue;

    const kind: PullKind = s.manualPullQueued ? 'manual' : 'recurring';
    s.manualPullQueued = false;
    const r = await runPull(kind);
    if (r === 'disconnected') return finish();
    if (kind === 'recurring') {
      // Fixed cadence from the first pull time, skipping slots a long pull overran.
      const every = minutes(s.settings.pullIntervalMinutes);
      while (s.nextPullAt! <= Date.now()) s.nextPullAt! += every;
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof integrationWorkflow>({ ...input, carried: s });
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
