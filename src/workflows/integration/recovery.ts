import { condition } from '@temporalio/workflow';
import { FAILURE_TYPE } from '../../domain/failure-types';
import type { Phase } from '../../domain/phase';
import { dailyLimitWaitMs, failureMessage, failureType } from '../failure-type';
import { connect } from './activity-proxies';
import { noteSetup } from './setup';
import { iso, type Integration } from './state';

/**
 * How an integration waits out what it cannot retry its way through: spent daily allowance (a
 * timer, shown in status) and rejected credentials (the `reauthorize` signal, then a fresh
 * verification). Every function here answers the same way: 'ok' to go on, 'disconnected' when the
 * operator disconnected meanwhile (and recoverFrom 'uncured' for a cause it does not wait for).
 */
export type Resumed = 'ok' | 'disconnected';

/**
 * After a failed pull or push: waits until going on makes sense; other failures are the caller's to
 * report. 'uncured': nothing here waits for this cause to pass (the CRM refused the call, the
 * database refused the batch, a fault), so calling again at once may well fail the same way.
 */
export async function recoverFrom(x: Integration, err: unknown, phaseAfter: Phase): Promise<Resumed | 'uncured'> {
  switch (failureType(err)) {
    case FAILURE_TYPE.CrmDailyLimit:
      return waitOutDailyLimit(x, err);
    case FAILURE_TYPE.CrmAuth:
      // A pull and a push drain may both meet the rejected credentials: they wait for one
      // reauthorization together rather than verify the connection twice.
      x.session.reauthorizing ??= (async () => {
        try {
          if ((await waitForReauthorize(x, failureMessage(err))) === 'disconnected') return 'disconnected';
          if ((await connectUntilAuthorized(x)) === 'disconnected') return 'disconnected';
          x.setPhase(phaseAfter);
          return 'ok';
        } finally {
          x.session.reauthorizing = null;
        }
      })();
      return x.session.reauthorizing;
    default:
      return 'uncured';
  }
}

/** The CRM's daily allowance (less the reserve) is spent: wait on a timer rather than retry. */
export async function waitOutDailyLimit(x: Integration, err: unknown): Promise<Resumed> {
  const waitMs = dailyLimitWaitMs(err);
  x.session.pause = { until: iso(Date.now() + waitMs)!, reason: failureMessage(err) };
  const disconnected = await condition(() => x.session.disconnectRequested, waitMs, {
    summary: 'wait for the daily API allowance',
  });
  x.session.pause = null;
  return disconnected ? 'disconnected' : 'ok';
}

/** Verifies the connection; on bad credentials waits for `reauthorize` and tries again. */
export async function connectUntilAuthorized(x: Integration): Promise<Resumed> {
  const { input, s, session } = x;
  for (;;) {
    try {
      const r = await connect({
        workspaceId: input.workspaceId,
        crm: input.crm,
        connection: s.connection,
        syncUserId: input.syncUserId,
        plan: input.plan,
        push: s.settings.push,
      });
      session.needsReauthReason = null;
      if (r.setup) noteSetup(x, r.setup, r.setupCreated);
      return 'ok';
    } catch (err) {
      if (failureType(err) === FAILURE_TYPE.CrmDailyLimit) {
        if ((await waitOutDailyLimit(x, err)) === 'disconnected') return 'disconnected';
        continue;
      }
      if (failureType(err) !== FAILURE_TYPE.CrmAuth) throw err;
      if ((await waitForReauthorize(x, failureMessage(err))) === 'disconnected') return 'disconnected';
    }
  }
}

/** Shows why in status and waits, without calling the CRM, until the operator says credentials are fixed. */
export async function waitForReauthorize(x: Integration, reason: string): Promise<Resumed> {
  x.session.needsReauthReason = reason;
  x.session.reauthorizeRequested = false;
  x.setPhase('needsReauth');
  await condition(() => x.session.reauthorizeRequested || x.session.disconnectRequested);
  if (x.session.disconnectRequested) return 'disconnected';
  x.setPhase('connecting');
  return 'ok';
}
