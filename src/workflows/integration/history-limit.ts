import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { Integration } from './state';
import type { integrationWorkflow } from './index';

/** Continue as new after this many history events even if the server has not suggested it yet. */
export const MAX_HISTORY_EVENTS = 2_000;

/**
 * Every signal is an event, and each workspace write signals `pushPending`: the history grows with
 * the workspace's writes whatever phase the integration is in, so each long wait checks this.
 */
export function historyIsLong(): boolean {
  return workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS;
}

/**
 * Lets running handlers finish, then starts the next run with the carried state. Never returns. A
 * pull that runs on takes what status shows of it along, since its next report may be hours away
 * (a pause for the daily allowance).
 */
export async function continueWithCarriedState(x: Integration): Promise<never> {
  await condition(allHandlersFinished);
  const { s, session } = x;
  if (s.pull)
    s.pull.shown = {
      progress: session.progress,
      pause: session.pause,
      retrying: Object.entries(session.retrying)
        .filter(([key]) => key.startsWith('pull:'))
        .map(([, r]) => r),
    };
  return continueAsNew<typeof integrationWorkflow>({ ...x.input, carried: s });
}
