import { connectActivity, refreshOwnersActivity } from './connect';
import type { ActivityDeps } from './deps';
import { beginPullActivity, pullChunkActivity } from './pull';

export type { ActivityDeps } from './deps';

/** The worker registers these; workflows import only the type. */
export function createActivities(deps: ActivityDeps) {
  return {
    connect: connectActivity(deps),
    refreshOwners: refreshOwnersActivity(deps),
    beginPull: beginPullActivity(deps),
    pullChunk: pullChunkActivity(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
