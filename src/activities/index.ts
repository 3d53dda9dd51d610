import { connectActivity, refreshOwnersActivity } from './connect';
import type { ActivityDeps } from './deps';
import { checkFieldMappingActivity } from './mapping-check';
import { beginPullActivity, pullChunkActivity } from './pull';
import { checkSourceFieldActivity, enqueueManualPushActivity, pushBatchActivity, requeueFailedActivity } from './push';

export type { ActivityDeps } from './deps';

/** The worker registers these; workflows import only the type. */
export function createActivities(deps: ActivityDeps) {
  // What a user waits on (a push, a manual push request) goes ahead of pull pages at the database.
  const interactive: ActivityDeps = { ...deps, db: deps.interactiveDb ?? deps.db };
  return {
    connect: connectActivity(deps),
    refreshOwners: refreshOwnersActivity(deps),
    beginPull: beginPullActivity(deps),
    pullChunk: pullChunkActivity(deps),
    pushBatch: pushBatchActivity(interactive),
    enqueueManualPush: enqueueManualPushActivity(interactive),
    requeueFailedPushes: requeueFailedActivity(interactive),
    checkSourceField: checkSourceFieldActivity(deps),
    checkFieldMapping: checkFieldMappingActivity(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
