import type { Connection, WorkflowClient, WorkflowHandle } from '@temporalio/client';
import { runsOf } from './runs';

/**
 * A fault of the Java time-skipping test server (temporal-test-server, TestWorkflowMutableStateImpl),
 * not of the product: a query that reaches a run while the workflow task continuing it as new is in
 * flight is buffered with that task. The completion then finds the buffer non-empty and schedules a
 * workflow task on the run it has just closed (its `completed` check leaves out CONTINUED_AS_NEW),
 * which throws. The request's changes are dropped but its side effects stay: the next run exists and
 * goes on, the closed run's history lacks the task's completion and the continued-as-new event, the
 * query is never answered, and the task's hold on time skipping is never released, so from then on
 * every timer of the server waits in real time (`env.sleep('15m')` takes 15 minutes). The real
 * server, which `npm start` runs, fails such a query or answers it from the closed run.
 *
 * Tests poll `status` all the time, so they hit it now and then around a continue-as-new. This
 * finds the runs it left behind and gives back each one's hold (the server counts holds), so the
 * test goes on as the server meant to. Only on the time-skipping server; a no-op elsewhere.
 */
const healed = new Set<string>();

/** True when it found (and released) a hold left by a lost continue-as-new of this workflow id. */
export async function healLostContinueAsNew(workflows: WorkflowClient, workflowId: string): Promise<boolean> {
  const testService = (workflows.connection as Partial<Connection>).testService;
  if (!testService) return false;
  let found = false;
  const runs = await runsOf(workflows, workflowId);
  for (const run of runs.slice(0, -1)) {
    if (healed.has(run.runId)) continue;
    if (run.events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes) continue;
    healed.add(run.runId);
    await testService.unlockTimeSkipping({});
    process.stderr.write(
      `lost-continue-as-new: run ${run.runId} of ${workflowId} continued as new without its events; released its time-skipping hold\n`,
    );
    found = true;
  }
  return found;
}

/**
 * The handle, with `result()` read from the workflow's latest run. A started workflow's handle
 * waits on its first run and follows each continued-as-new event to the next; a run this fault
 * left without that event would keep it waiting for ever.
 */
export function resultFromLatestRun<H extends WorkflowHandle>(workflows: WorkflowClient, handle: H): H {
  const latest = workflows.getHandle(handle.workflowId);
  return Object.assign(handle, { result: () => latest.result() });
}
