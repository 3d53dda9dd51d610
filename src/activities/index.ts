import { connectActivity, refreshOwnersActivity } from './connect';
import type { ActivityDeps } from './deps';
import { checkFieldMappingActivity } from './mapping-check';
import { beginPullActivity, pullChunkActivity } from './pull';
import { checkSourceFieldActivity, enqueueManualPushActivity, pushBatchActivity, requeueFailedActivity } from './push';

export type { ActivityDeps } from './deps';

/** The worker registers these; workflows import only the type. */
export function createActivities(deps: ActivityDeps) {
  return {
    connect: connectActivity(deps),
    refreshOwners: refreshOwnersActivity(deps),
    beginPull: beginPullActivity(deps),
    pullChunk: pullChunkActivity(deps),
    pushBatch: pushBatchActivity(deps),
    enqueueManualPush: enqueueManualPushActivity(deps),
    requeueFailedPushes: requeueFailedActivity(deps),
    checkSourceField: checkSourceFieldActivity(deps),
    checkFieldMapping: checkFieldMappingActivity(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
