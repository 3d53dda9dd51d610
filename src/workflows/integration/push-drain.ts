import { condition, patched } from '@temporalio/workflow';
import { PUSH_TOTAL_KEYS } from '../../domain/push-totals';
import type { CrmName } from '../../domain/types';
import { failureMessage } from '../failure-type';
import { isPassing, retryTransient, shownFailureType } from '../retry-transient';
import { pushBatch } from './activity-proxies';
import { historyIsLong } from './history-limit';
import { recoverFrom } from './recovery';
import { noteSetup, setupProblemsOf } from './setup';
import type { Integration } from './state';

/**
 * Push batches in flight at once for a new integration, each on its own share of the outbox.
 * HubSpot's batches are bounded by its rate limit, which two lanes reach; Salesforce's by the round
 * trips of each batch (lookups, then upserts), which more lanes overlap, well inside its
 * concurrent-request limit. An integration keeps the count it started with (PushState.lanes).
 */
export const PUSH_LANES: Record<CrmName, number> = { hubspot: 2, salesforce: 4 };

/**
 * How a drain ended. 'drained': no row is due (or the rest waits for the next run). 'recovered': it
 * stopped on a failure that was waited out (the daily allowance renewed, credentials fixed; or an
 * outage whose retries a disconnect or a long history cut short), so the next drain may run at once.
 * 'failed': it stopped on a failure nothing waited out (the CRM refused the call, the database
 * refused the batch, a fault), which the same call made again now would most likely meet again.
 */
export type Drained = 'drained' | 'recovered' | 'failed' | 'disconnected';

/**
 * Pushes due outbox rows batch after batch until none is due. Stops early to let the workflow
 * continue as new (the rest stays in the outbox and `wanted` stays set).
 */
export async function drainPush(x: Integration): Promise<Drained> {
  const { input, s, session } = x;
  const push = s.push;
  push.wanted = false;
  session.pushing = true;
  // Older runs pushed in one lane and replay that way.
  const lanes = (push.lanes ??= patched('push-lanes') ? PUSH_LANES[input.crm] : 1);
  const lane = async (index: number) => {
    for (;;) {
      const r = await retryTransient(
        'pushBatch',
        () =>
          pushBatch({
            workspaceId: input.workspaceId,
            crm: input.crm,
            connection: s.connection,
            syncUserId: input.syncUserId,
            push: s.settings.push,
            fieldMapping: s.settings.fieldMapping,
            direction: s.settings.direction,
            lane: index,
            lanes,
            // While status shows the set-up incomplete, every drain looks again, rows due or not.
            ...(s.setup?.length ? { checkSetup: true } : {}),
            ...(s.settings.deletion ? { deletion: s.settings.deletion } : {}),
          }),
        {
          show(v) {
            if (v) session.retrying[`push:${index}`] = v;
            else delete session.retrying[`push:${index}`];
          },
          // A disconnect ends the wait and the drain. So does a long history when no pull runs, so
          // the integration continues as new; the next run drains again.
          wait: async (ms) =>
            !(await condition(() => session.disconnectRequested || (historyIsLong() && !session.pullInProgress), ms, {
              summary: 'wait out the failures of pushBatch',
            })),
        },
      );
      push.failure = null;
      push.failureType = null;
      if (r.setupComplete && s.setup?.length) noteSetup(x, []);
      push.lastBatchAt = Date.now();
      push.due = r.due;
      push.deferred = r.deferred;
      if (r.removals) s.removals = r.removals;
      for (const k of PUSH_TOTAL_KEYS) push.totals[k] += r[k];
      if (r.handled === 0 || r.due === 0 || session.disconnectRequested) return;
      if (historyIsLong()) {
        push.wanted = true;
        return;
      }
    }
  };
  try {
    // Every lane ends (settles) before the drain does, so no batch runs on behind a failure.
    const settled = await Promise.allSettled(Array.from({ length: lanes }, (_, i) => lane(i)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return 'drained';
  } catch (err) {
    // Kept in status; the drain runs again after recovery, or after the sync loop's backoff.
    push.failure = failureMessage(err);
    push.failureType = shownFailureType(err);
    push.wanted = true;
    // Set-up problems wait like other refusals (the drain backs off and looks again), listed in status.
    const setup = setupProblemsOf(err);
    if (setup) noteSetup(x, setup);
    const r = await recoverFrom(x, err, 'syncing');
    if (r === 'disconnected') return 'disconnected';
    return r === 'uncured' && !isPassing(err) ? 'failed' : 'recovered';
  } finally {
    session.pushing = false;
  }
}
