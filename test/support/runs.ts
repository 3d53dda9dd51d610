import type { WorkflowClient } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export interface Run {
  runId: string;
  events: temporal.api.history.v1.IHistoryEvent[];
  /** A later run exists: this one continued as new. */
  continuedAsNew: boolean;
}

/**
 * Every run of a workflow id, oldest first, with its history. The chain is walked back from the
 * latest run by each run's `continuedExecutionRunId`, not forward by the continued-as-new events,
 * which the time-skipping test server can leave out of a run's history (lost-continue-as-new.ts).
 */
export async function runsOf(workflows: WorkflowClient, workflowId: string): Promise<Run[]> {
  const out: Run[] = [];
  let runId: string | undefined = (await workflows.getHandle(workflowId).describe()).runId;
  while (runId) {
    const events: Run['events'] = (await workflows.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    out.unshift({ runId, events, continuedAsNew: out.length > 0 });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return out;
}
