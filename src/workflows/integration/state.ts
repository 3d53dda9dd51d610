import { patched } from '@temporalio/workflow';
import type { IntegrationInput } from '../../domain/integration-input';
import type { Phase } from '../../domain/phase';
import { defaultPushSettings } from '../../domain/push-settings';
import { noPushTotals, type PushTotals } from '../../domain/push-totals';
import { applySettingsPatch, defaultSettings, type IntegrationSettings } from '../../domain/settings';
import type { PullKind } from '../../domain/types';
import type { PullSummary, Retrying } from '../contract';
import type { PullHandOff } from './pull-segments';
import type { SetupProblem } from '../../domain/crm-setup';

/**
 * What one integration carries across continue-as-new: small, and no record data (records live in
 * the database). Fields added after the first release are optional, since older runs carried none.
 */
export interface CarriedState {
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
  push?: PushState;
  /** Signals dropped for a malformed argument, over the integration's life; absent: none yet. */
  ignoredSignals?: number;
  /** A pull the previous run handed to this one, to go on with at once (pull-segments.ts). */
  pullHandOff?: PullHandOff;
  /** What the CRM lacks for pushes, as the last set-up check found it (setup.ts); absent: none known. */
  setup?: SetupProblem[];
  /** What set-up checks created themselves (HubSpot properties); absent: nothing. */
  setupCreated?: string[];
  /** The operator asked for a reconciliation: the next recurring pull does one (absent: not asked). */
  reconcileQueued?: boolean;
  /** What deletion and merge sync did since connect, as the last pull or push read it; absent: nothing yet. */
  removals?: { deleted: number; unlinked: number; merged: number };
}

/**
 * What a run may be started with as `carried` (domain/carried-state.ts checks it): runs before push
 * carried settings without `push`, which initialState fills in.
 */
export type CarriedInput = Omit<CarriedState, 'settings'> & {
  settings: Omit<IntegrationSettings, 'push'> & Partial<Pick<IntegrationSettings, 'push'>>;
};

export interface PushState {
  wanted: boolean;
  totals: PushTotals;
  due: number;
  deferred: number;
  lastBatchAt: number | null;
  failure: string | null;
  /** The failure type of `failure`; absent in state carried by older runs. */
  failureType?: string | null;
  /**
   * Push batches in flight at once, fixed at the integration's first drain: it decides how many
   * pushBatch commands a drain issues, so it must not change under a running integration.
   */
  lanes?: number;
  /**
   * When the drain after a failed one may run (epoch ms): drains that failed on a cause nothing waits
   * out back off (syncing.ts). Null or absent: no wait (absent in state carried by older runs).
   */
  retryAt?: number | null;
  /** Drains in a row that failed that way, which sets the next wait; reset by a drain that goes through. */
  failedDrains?: number;
}

/** What an execution knows only while it runs: operators' requests since the last look, progress. */
export interface Session {
  startSyncRequested: boolean;
  reauthorizeRequested: boolean;
  disconnectRequested: boolean;
  /** Wakes the syncing loop, so a rescheduled pull gets its new timer. */
  settingsChanged: boolean;
  requeueRejected: boolean;
  needsReauthReason: string | null;
  pullInProgress: PullKind | null;
  progress: { done: number; total: number | null } | null;
  pause: { until: string; reason: string } | null;
  pushing: boolean;
  /** Why the last malformed signal was dropped (signals cannot be refused). */
  lastIgnoredSignal: string | null;
  /**
   * Activities retried through an outage now, by who retries them: `pull:<activity>` (reported by
   * the pull child), `push:<lane>`.
   */
  retrying: Record<string, Retrying>;
  /** The one wait for reauthorization a pull and a push drain share (recovery.ts). */
  reauthorizing: Promise<'ok' | 'disconnected'> | null;
}

/** The integration as its parts see it: input, carried state, session, and the one way to move phase. */
export interface Integration {
  input: IntegrationInput;
  s: CarriedState & { push: PushState };
  session: Session;
  setPhase(phase: Phase): void;
}

export function initialState(
  input: IntegrationInput,
  carried: CarriedInput | undefined,
): CarriedState & { push: PushState } {
  const s: CarriedInput = carried ?? {
    phase: 'connecting',
    connection: input.connection,
    settings: input.settings
      ? applySettingsPatch(input.crm, defaultsOfThisRun(input.crm), input.settings)
      : defaultsOfThisRun(input.crm),
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
  if (!s.settings.direction) s.settings = { ...s.settings, direction: 'bidirectional' };
  s.push ??= { wanted: false, totals: noPushTotals(), due: 0, deferred: 0, lastBatchAt: null, failure: null };
  return s as CarriedState & { push: PushState };
}

/**
 * The default settings a new integration starts with. Guessed emails became opt-in (seed 004);
 * integrations whose history began before that replay with the default they started with.
 */
function defaultsOfThisRun(crm: IntegrationInput['crm']): IntegrationSettings {
  const d = defaultSettings(crm);
  if (!patched('guessed-emails-opt-in')) d.push = { ...d.push, pushGuessedEmails: true };
  return d;
}

export function newSession(): Session {
  return {
    startSyncRequested: false,
    reauthorizeRequested: false,
    disconnectRequested: false,
    settingsChanged: false,
    requeueRejected: false,
    needsReauthReason: null,
    pullInProgress: null,
    progress: null,
    pause: null,
    pushing: false,
    lastIgnoredSignal: null,
    reauthorizing: null,
    retrying: {},
  };
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function minutes(n: number): number {
  return n * 60_000;
}
