import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SetupProblem } from '../domain/crm-setup';
import type { PushRecordsRequest, RetryFailedRequest } from '../domain/push-request';
import type { PushTotals } from '../domain/push-totals';
import type { IntegrationSettings, SettingsPatch } from '../domain/settings';
import type { PullKind } from '../domain/types';

/**
 * The operator contract of integrationWorkflow: every message, its argument and result, in one place.
 * The client and the CLI import these; the Temporal UI lists them with their descriptions. Each takes
 * ONE object argument because the UI sends exactly one JSON value.
 */

export const TASK_QUEUE = 'crm-sync';

/** Commands without parameters still take one JSON object, `{}`, as the UI sends. */
export type NoArgs = Record<string, unknown>;

export { PHASES, type Phase } from '../domain/phase';
import type { Phase } from '../domain/phase';

export interface PullSummary {
  kind: PullKind;
  startedAt: string;
  finishedAt: string | null;
  seen: number;
  created: number;
  updated: number;
  ownerChanges: number;
  /** One-line reason when the pull failed. */
  failure?: string;
  /** Its failure type (domain/failure-types.ts, or "Timeout"), beside `failure`. */
  failureType?: string;
}

/**
 * An activity that failed for a passing cause (an outage, a rate limit, a lost database) more
 * often than its own retries allow, and that the workflow calls again after a wait.
 */
export interface Retrying {
  activity: string;
  /** The last failure's message: one line, without credentials. */
  cause: string;
  failureType: string;
  /** Activity attempts that failed since `since`. */
  attempts: number;
  /** When the first failing call was made, ISO time. */
  since: string;
}

export interface IntegrationStatus {
  workspaceId: string;
  crm: string;
  phase: Phase;
  connectedAt: string | null;
  /** End of the 6-hour configuration window (paid plans), ISO time. */
  windowEndsAt: string | null;
  initialPull: { done: number; total: number | null; finished: boolean } | null;
  pullInProgress: PullKind | null;
  lastPull: PullSummary | null;
  nextPullAt: string | null;
  /** Manual push needs a finished initial pull (seed 001); the push issue reads this. */
  manualPushAvailable: boolean;
  needsReauthReason: string | null;
  /**
   * Set while a pull waits for the CRM's daily API allowance (less the reserve kept for other
   * integrations) to renew: when it looks again, and why.
   */
  pausedUntil: string | null;
  pauseReason: string | null;
  /**
   * Set while an activity is retried through an outage (the one retried longest, when several
   * are); null once it goes through.
   */
  retrying: Retrying | null;
  /** Workspace records flagged as potential duplicates (the CRM holds the same email / domain twice). */
  potentialDuplicates: number;
  errors: { ownerSync: number; failedPulls: number };
  /**
   * What the CRM lacks for pushes (a key field, a property the token may not create, a picklist
   * value), each with its fix in one sentence; pushes wait while it is not empty and go on by
   * themselves once a later check (every push drain, at most 5 minutes apart) finds it fixed.
   */
  setup: SetupProblem[];
  /** What set-up checks created themselves (HubSpot properties), one sentence each. */
  setupCreated: string[];
  /**
   * What deletion and merge sync did since connect (settings `deletion`, `merge`): workspace records
   * deleted, unlinked (kept, marked as removed in the CRM) and merged.
   */
  removals: { deleted: number; unlinked: number; merged: number };
  /** Why the last malformed signal was dropped, e.g. "reauthorize signal ignored: connection: ...". */
  lastIgnoredSignal: string | null;
  /** How many signals were dropped that way (carried across continue-as-new). */
  ignoredSignals: number;
  push: PushStatus;
}

export type { PushTotals } from '../domain/push-totals';

export interface PushStatus {
  pushing: boolean;
  /** Outbox rows due now, and rows waiting out a transient-failure backoff. */
  due: number;
  deferred: number;
  lastBatchAt: string | null;
  totals: PushTotals;
  /** One-line reason when the last push stopped on an error it could not retry. */
  failure: string | null;
  /** Its failure type, beside `failure`. */
  failureType: string | null;
  /**
   * When the push is tried again after a failure that waiting on the CRM cannot cure (e.g. the CRM
   * refused the call): failed drains back off, 1 minute doubling to the 5-minute push sweep. ISO
   * time; null when no drain waits so (a settings change ends the wait early).
   */
  nextAttemptAt: string | null;
}

export const statusQuery = defineQuery<IntegrationStatus>('status');
export const settingsQuery = defineQuery<IntegrationSettings>('settings');

export const updateSettingsUpdate = defineUpdate<IntegrationSettings, [SettingsPatch]>('updateSettings');
export const pullNowUpdate = defineUpdate<{ accepted: true; kind: 'manual' }, [NoArgs]>('pullNow');
/** Reconcile now: the next recurring pull starts at once and lists every CRM id (issue 14 item 6). */
export const reconcileNowUpdate = defineUpdate<{ accepted: true; startsAt: string }, [NoArgs]>('reconcileNow');
export const startSyncNowUpdate = defineUpdate<{ phase: Phase }, [NoArgs]>('startSyncNow');
export const pushRecordsUpdate = defineUpdate<{ queued: number }, [PushRecordsRequest]>('pushRecords');
export const retryFailedUpdate = defineUpdate<{ queued: number }, [RetryFailedRequest]>('retryFailed');
/** Sent after each workspace write (src/client); a lost one is caught by the periodic sweep. */
export const pushPendingSignal = defineSignal<[NoArgs?]>('pushPending');

export interface ReauthorizeArgs {
  /** A different connection name, when the operator configured new credentials under a new name. */
  connection?: string;
}
export const reauthorizeSignal = defineSignal<[ReauthorizeArgs?]>('reauthorize');
export const disconnectSignal = defineSignal<[NoArgs?]>('disconnect');

/** Sent by the child pull workflow to its parent after each chunk; not for operators. */
export interface PullProgress {
  seen: number;
  total: number | null;
  /** Set while the pull is paused on the CRM's daily allowance; null once it goes on. */
  pausedUntil?: string | null;
  pauseReason?: string | null;
  /** Set while one of the pull's activities is retried through an outage. */
  retrying?: Retrying;
  /** The activity that went through after a retry (its `retrying` clears). */
  retried?: string;
}
export const pullProgressSignal = defineSignal<[PullProgress]>('pullProgress');

export const DESCRIPTIONS = {
  status: 'Phase, configuration-window end, initial pull progress, last and next pull, error counts.',
  settings: 'The integration settings now in force (pull interval, field mapping).',
  updateSettings:
    'Change settings, e.g. {"pullIntervalMinutes": 30} or a fieldMapping; invalid input is rejected with the reason.',
  pullNow:
    'Re-pull every record from the CRM now. Refused during the configuration window and the initial pull. Argument: {}.',
  reconcileNow:
    "Look for records deleted in the CRM beyond its recycle bin: a recurring pull starts now and compares every linked record with the CRM's id list (also weekly by itself). Refused when a manual pull would be. Argument: {}.",
  startSyncNow: 'End the configuration window early and start the initial pull. Argument: {}.',
  reauthorize: 'Credentials were fixed: verify the connection again and resume. Optional {"connection": "<name>"}.',
  disconnect: 'Stop syncing and end this integration. Argument: {}.',
  pushRecords:
    'Push records now, overriding the push conditions: {"objectKind":"contact","ids":["<uuid>"]} or {"objectKind":"account","all":true}; optional "userId" (whose CRM owner). Refused before the initial pull finishes or when push is disabled.',
  retryFailed:
    'Push again the records whose push failed (all, or {"ids":[...]}), e.g. after fixing the mapping or the data. Argument: {}.',
  pushPending: 'The workspace wrote records: push them now. Argument: {}.',
  pullProgress: 'Internal: progress reports from the child pull workflow.',
} as const;
