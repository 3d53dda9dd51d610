import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { NOT_RETRIED_BY_ACTIVITIES, NOT_RETRIED_BY_CONNECT } from '../../domain/failure-types';
import { ACTIVITY_ATTEMPTS } from '../retry-transient';

/**
 * The integration's activities with their timeouts and retry policies. Summaries label each
 * scheduled activity in the Temporal UI's history, so it reads as the lifecycle.
 */

export const { connect } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // It heartbeats on a timer while it waits on the CRM: a dead worker's attempt is retried within
  // 30 s rather than 2 minutes, and a cancelled one hears of it.
  heartbeatTimeout: '30 seconds',
  // Bad credentials are not retried: the workflow waits for `reauthorize` instead of hammering the CRM.
  retry: { initialInterval: '2s', maximumInterval: '5 minutes', nonRetryableErrorTypes: [...NOT_RETRIED_BY_CONNECT] },
  summary: 'verify the CRM connection',
});

export const { pushBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  // It heartbeats (on a timer, once push.ts uses heartbeatingActivity): a dead worker's batch is
  // pushed again (idempotently) within 30 s.
  heartbeatTimeout: '30 seconds',
  // 429s wait for the CRM's Retry-After (nextRetryDelay), outages back off; after
  // ACTIVITY_ATTEMPTS the drain shows the cause in status and calls again (retryTransient).
  retry: {
    initialInterval: '1s',
    maximumInterval: '5 minutes',
    maximumAttempts: ACTIVITY_ATTEMPTS,
    nonRetryableErrorTypes: [...NOT_RETRIED_BY_ACTIVITIES],
  },
  summary: 'push a batch of workspace changes',
});

const shortCall: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: [...NOT_RETRIED_BY_ACTIVITIES],
  },
};

export const { enqueueManualPush } = proxyActivities<Activities>({ ...shortCall, summary: 'queue a manual push' });
// One page run of a manual push of every unlinked record: it returns within its budget (15 s) and
// heartbeats its cursor, so a lost worker's run resumes where its last page ended.
export const { enqueueManualPush: enqueueManualPushPage } = proxyActivities<Activities>({
  ...shortCall,
  heartbeatTimeout: '30 seconds',
  summary: 'queue a page of a manual push',
});
export const { requeueFailedPushes } = proxyActivities<Activities>({
  ...shortCall,
  summary: 'queue failed pushes again',
});
export const { checkSourceField } = proxyActivities<Activities>({
  ...shortCall,
  summary: 'check the source field with the CRM',
});
export const { checkFieldMapping } = proxyActivities<Activities>({
  ...shortCall,
  // Heartbeats on a timer (heartbeat.ts): a dead worker's check is retried within 20 s.
  heartbeatTimeout: '20 seconds',
  summary: 'check the field mapping with the CRM',
});
