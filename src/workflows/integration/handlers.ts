import { ApplicationFailure, TemporalFailure, log, patched, setHandler } from '@temporalio/workflow';
import {
  manualPushRefusal,
  pullNowRefusal,
  retryFailedRefusal,
  startSyncNowRefusal,
  type CommandContext,
} from '../../domain/command-refusals';
import { FAILURE_TYPE } from '../../domain/failure-types';
import { accountSourceOf } from '../../domain/push-settings';
import { OBJECT_KINDS } from '../../domain/types';
import { pushRecordsSchema, retryFailedSchema } from '../../domain/push-request';
import { applySettingsPatch, parseOrThrow, pushRulesChanged } from '../../domain/settings';
import {
  noArgsSchema,
  noArgsUpdateSchema,
  parseSignal,
  pullProgressSchema,
  reauthorizeArgsSchema,
} from '../../domain/signal-args';
import {
  DESCRIPTIONS,
  disconnectSignal,
  pullNowUpdate,
  pullProgressSignal,
  reconcileNowUpdate,
  pushPendingSignal,
  pushRecordsUpdate,
  reauthorizeSignal,
  retryFailedUpdate,
  settingsQuery,
  startSyncNowUpdate,
  statusQuery,
  updateSettingsUpdate,
} from '../contract';
import {
  checkFieldMapping,
  checkSourceField,
  enqueueManualPush,
  enqueueManualPushPage,
  requeueFailedPushes,
} from './activity-proxies';
import { rescheduleOnIntervalChange } from './pull-schedule';
import { iso, type Integration } from './state';
import { statusOf } from './status';

/**
 * Every query, update and signal of the contract. Updates refuse in their (synchronous) validators,
 * so a refused command leaves no trace in history; the sentences come from the domain.
 */
export function installHandlers(x: Integration): void {
  const { input, s, session } = x;
  const push = s.push;
  const refuse = (reason: string | null) => {
    if (reason) throw new Error(reason);
  };
  const commandContext = (): CommandContext => ({
    phase: s.phase,
    windowEndsAt: iso(s.windowEndsAt),
    progress: session.progress,
    needsReauthReason: session.needsReauthReason,
  });

  setHandler(statusQuery, () => statusOf(x), { description: DESCRIPTIONS.status });
  setHandler(settingsQuery, () => s.settings, { description: DESCRIPTIONS.settings });

  setHandler(
    updateSettingsUpdate,
    refusingUpdate(async (patch) => {
      let next = applySettingsPatch(input.crm, s.settings, patch);
      const changedKinds = OBJECT_KINDS.filter(
        (k) => JSON.stringify(next.fieldMapping[k]) !== JSON.stringify(s.settings.fieldMapping[k]),
      );
      // A new mapping is checked against the CRM (fields exist, are writable, picklist values fit).
      // Integrations whose history predates the check replay without it.
      if (changedKinds.length && s.connectedAt !== null && patched('mapping-check')) {
        const { problems } = await checkFieldMapping({
          workspaceId: input.workspaceId,
          crm: input.crm,
          connection: s.connection,
          mapping: Object.fromEntries(changedKinds.map((k) => [k, next.fieldMapping[k]])),
        });
        if (problems.length)
          throw ApplicationFailure.nonRetryable(
            `invalid settings: ${problems.join('; ')}`,
            FAILURE_TYPE.InvalidSettings,
          );
        next = applySettingsPatch(input.crm, s.settings, patch);
      }
      const src = next.push.source;
      const accountSource = accountSourceOf(input.crm, next.push);
      const accountSourceBefore = accountSourceOf(input.crm, s.settings.push);
      const srcChanged =
        src.field !== s.settings.push.source.field ||
        src.value !== s.settings.push.source.value ||
        next.push.createPeopleAs !== s.settings.push.createPeopleAs ||
        accountSource.field !== accountSourceBefore.field ||
        accountSource.value !== accountSourceBefore.value;
      if (srcChanged && s.connectedAt !== null) {
        // A picklist source value must be one the CRM allows: asked of the CRM, so not in the validator.
        const { problem } = await checkSourceField({
          connection: s.connection,
          field: src.field,
          value: src.value,
          createPeopleAs: next.push.createPeopleAs,
          accountSource,
        });
        if (problem)
          throw ApplicationFailure.nonRetryable(`invalid settings: ${problem}`, FAILURE_TYPE.InvalidSettings);
        // Settings may have changed while the CRM was asked: apply the patch to what is current now.
        next = applySettingsPatch(input.crm, s.settings, patch);
      }
      // Records the CRM rejected are pushed again by themselves once the rules they failed on change.
      if (pushRulesChanged(input.crm, s.settings, next)) session.requeueRejected = true;
      const before = s.settings;
      s.settings = next;
      rescheduleOnIntervalChange(x, before);
      session.settingsChanged = true;
      return s.settings;
    }),
    {
      // Validators must be synchronous: they throw to reject, and a rejected update leaves no history.
      validator: (patch) => void applySettingsPatch(input.crm, s.settings, patch),
      description: DESCRIPTIONS.updateSettings,
    },
  );

  setHandler(
    pushRecordsUpdate,
    refusingUpdate(async (req) => {
      const request = {
        workspaceId: input.workspaceId,
        crm: input.crm,
        kind: req.objectKind,
        ids: req.ids,
        allUnlinked: req.all === true,
        requestedBy: req.userId ?? null,
      };
      // Every unlinked record: bounded pages (a time-budgeted activity each, resumed by a cursor), so
      // any workspace size fits; each page is pushed while the next is queued. Older runs queued
      // them in one activity and replay that way.
      if (req.all === true && patched('manual-push-pages')) {
        let queued = 0;
        let after: string | null = null;
        do {
          const page: { queued: number; next?: string | null } = await enqueueManualPushPage({
            ...request,
            page: { after },
          });
          queued += page.queued;
          after = page.next ?? null;
          if (page.queued) push.wanted = true;
        } while (after !== null);
        return { queued };
      }
      const { queued } = await enqueueManualPush(request);
      push.wanted = true;
      return { queued };
    }),
    {
      validator: (req) => {
        const kind = parseOrThrow(pushRecordsSchema, req ?? {}, 'push request').objectKind;
        const enabled = kind === 'contact' ? s.settings.push.contacts.enabled : s.settings.push.accounts.enabled;
        refuse(manualPushRefusal(commandContext(), kind, enabled));
      },
      description: DESCRIPTIONS.pushRecords,
    },
  );

  setHandler(
    retryFailedUpdate,
    refusingUpdate(async (req) => {
      const { queued } = await requeueFailedPushes({
        workspaceId: input.workspaceId,
        crm: input.crm,
        ids: req?.ids,
        manual: true,
      });
      push.wanted = true;
      return { queued };
    }),
    {
      validator: (req) => {
        parseOrThrow(retryFailedSchema, req ?? {}, 'retry request');
        refuse(retryFailedRefusal(commandContext()));
      },
      description: DESCRIPTIONS.retryFailed,
    },
  );

  setHandler(
    pushPendingSignal,
    (raw) => {
      if (accept('pushPending', noArgsSchema, raw)) push.wanted = true;
    },
    { description: DESCRIPTIONS.pushPending },
  );

  setHandler(
    pullNowUpdate,
    (_args) => {
      s.manualPullQueued = true;
      return { accepted: true as const, kind: 'manual' as const };
    },
    {
      validator: (args) => {
        parseOrThrow(noArgsUpdateSchema, args ?? {}, 'pullNow argument');
        refuse(pullNowRefusal(commandContext()));
      },
      description: DESCRIPTIONS.pullNow,
    },
  );

  setHandler(
    reconcileNowUpdate,
    (_args) => {
      // The recurring pull comes due now; the sync loop wakes (as for a settings change) and starts it.
      s.reconcileQueued = true;
      if (!session.pullInProgress) s.nextPullAt = Math.min(s.nextPullAt ?? Date.now(), Date.now());
      session.settingsChanged = true;
      return { accepted: true as const, startsAt: iso(Math.max(Date.now(), s.nextPullAt ?? Date.now()))! };
    },
    {
      validator: (args) => {
        parseOrThrow(noArgsUpdateSchema, args ?? {}, 'reconcileNow argument');
        refuse(pullNowRefusal(commandContext())?.replace(/^manual pull/, 'reconciliation') ?? null);
      },
      description: DESCRIPTIONS.reconcileNow,
    },
  );

  setHandler(
    startSyncNowUpdate,
    (_args) => {
      session.startSyncRequested = true;
      return { phase: s.phase };
    },
    {
      validator: (args) => {
        parseOrThrow(noArgsUpdateSchema, args ?? {}, 'startSyncNow argument');
        refuse(startSyncNowRefusal(commandContext()));
      },
      description: DESCRIPTIONS.startSyncNow,
    },
  );

  setHandler(
    reauthorizeSignal,
    (raw) => {
      const args = accept('reauthorize', reauthorizeArgsSchema, raw);
      if (!args) return;
      if (args.connection) s.connection = args.connection;
      session.reauthorizeRequested = true;
    },
    { description: DESCRIPTIONS.reauthorize },
  );
  setHandler(
    disconnectSignal,
    (raw) => {
      if (accept('disconnect', noArgsSchema, raw)) session.disconnectRequested = true;
    },
    { description: DESCRIPTIONS.disconnect },
  );
  setHandler(
    pullProgressSignal,
    (raw) => {
      const p = accept('pullProgress', pullProgressSchema, raw);
      if (!p) return;
      session.progress = { done: p.seen, total: p.total };
      if (p.pausedUntil !== undefined)
        session.pause = p.pausedUntil ? { until: p.pausedUntil, reason: p.pauseReason ?? '' } : null;
      if (p.retrying) session.retrying[`pull:${p.retrying.activity}`] = p.retrying;
      if (p.retried) delete session.retrying[`pull:${p.retried}`];
    },
    { description: DESCRIPTIONS.pullProgress },
  );

  /** A signal's argument, or null when it is malformed: dropped, with the reason in status and the log. */
  function accept<T>(name: string, schema: Parameters<typeof parseSignal<T>>[1], raw: unknown): T | null {
    const r = parseSignal(name, schema, raw);
    if (r.ok) return r.value;
    session.lastIgnoredSignal = r.reason;
    s.ignoredSignals = (s.ignoredSignals ?? 0) + 1;
    log.warn(r.reason);
    return null;
  }
}

/**
 * An update handler that can only refuse. A plain Error thrown by an update handler (unlike one from
 * its validator) fails the workflow task, retried forever; as an ApplicationFailure it is the
 * caller's refusal, with the same sentence, and the integration goes on.
 */
function refusingUpdate<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof TemporalFailure) throw err;
      throw ApplicationFailure.nonRetryable(
        err instanceof Error ? err.message : String(err),
        FAILURE_TYPE.InvalidRequest,
      );
    }
  };
}
