import { continueAsNew, getExternalWorkflowHandle, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { FieldMapping } from '../domain/field-mapping';
import type { CrmName, PullKind } from '../domain/types';
import type { Activities } from '../activities';
import type { BeganRun, RunCounts } from '../activities/pull';
import { pullProgressSignal } from './contract';

/**
 * One pull of every CRM stream, as a child of the integration workflow. Records never pass through
 * here: activities page and write them and return counts. The runs' cursors live in the database,
 * so continue-as-new needs to carry only the run ids.
 */

export interface PullWorkflowInput {
  workspaceId: string;
  crm: CrmName;
  connection: string;
  syncUserId: string;
  kind: PullKind;
  fieldMapping: FieldMapping;
  /** Workflow to report progress to. */
  parentId?: string;
  /** Set by continue-as-new. */
  carried?: { runs: CarriedRun[] };
}

type CarriedRun = BeganRun & { done: boolean; counts: RunCounts };

/** The pull's counts: the sum of its runs' database counts, so retried chunks never count twice. */
export type PullTotals = RunCounts;

const ZERO: RunCounts = { seen: 0, created: 0, updated: 0, ownerChanges: 0, errors: 0 };

function sum(runs: CarriedRun[]): PullTotals {
  const t = { ...ZERO };
  for (const { counts } of runs) for (const k of Object.keys(t) as (keyof RunCounts)[]) t[k] += counts[k];
  return t;
}

/** Chunks per run of this workflow before it continues as new: about 6 events each, so < 1,000 events. */
export const MAX_CHUNKS_PER_EXECUTION = 150;

const { beginPull, refreshOwners } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['CrmAuth', 'CrmInvalid'] },
});
const { pullChunk } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // Each page heartbeats; a dead worker's attempt is retried elsewhere after this much silence.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['CrmAuth', 'CrmInvalid'] },
});

export async function pullWorkflow(input: PullWorkflowInput): Promise<PullTotals> {
  let runs = input.carried?.runs;
  if (!runs) {
    await refreshOwners({ workspaceId: input.workspaceId, crm: input.crm, connection: input.connection });
    const began = await beginPull({ workspaceId: input.workspaceId, crm: input.crm, connection: input.connection, kind: input.kind, runKey: workflowInfo().workflowId });
    runs = began.runs.map((r) => ({ ...r, done: false, counts: { ...ZERO } }));
  }
  const total = runs.every((r) => r.total !== null) ? runs.reduce((n, r) => n + (r.total ?? 0), 0) : null;
  const parent = input.parentId ? getExternalWorkflowHandle(input.parentId) : undefined;

  let chunks = 0;
  for (const run of runs) {
    while (!run.done) {
      if (chunks >= MAX_CHUNKS_PER_EXECUTION || workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof pullWorkflow>({ ...input, carried: { runs } });
      }
      const r = await pullChunk({ runId: run.runId, connection: input.connection, syncUserId: input.syncUserId, mapping: input.fieldMapping[run.objectKind] });
      chunks++;
      run.done = r.done;
      run.counts = r.run;
      // Progress is a courtesy: a parent that cannot take it must not fail the pull.
      await parent?.signal(pullProgressSignal, { seen: sum(runs).seen, total }).catch(() => undefined);
    }
  }
  return sum(runs);
}
