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

/** Lets running handlers finish, then starts the next run with the carried state. Never returns. */
export async function continueWithCarriedState(x: Integration): Promise<never> {
  await condition(allHandlersFinished);
  return continueAsNew<typeof integrationWorkflow>({ ...x.input, carried: x.s });
}
