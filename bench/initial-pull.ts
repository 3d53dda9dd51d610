import type { ConnectionConfig } from '../src/crm/connections';
import type { CrmName } from '../src/domain/types';
import { workspaceCounts, type WorkspaceCounts } from '../src/store/reports';
import { statusQuery } from '../src/workflows/contract';
import { BENCH_WORKSPACE, onStack, peakRssMb, releaseDb, until } from './stack';

/** What a scenario brings: its CRM sandbox, seeded, and the connection the worker uses. */
export interface CrmSide {
  connection: ConnectionConfig;
  /** Called once the pull is done; the scenario checks the workspace and computes its floor. */
  finish(counts: WorkspaceCounts): Promise<{ calls: number; floorS: number; notes: string }>;
}

export interface InitialPullMeasure {
  wallS: number;
  rssMb: number;
  dbRssMb: number;
  calls: number;
  floorS: number;
  notes: string;
}

/**
 * An initial pull end to end (see stack.ts). The clock starts once the worker polls, so its
 * start-up (bundling workflows) is not counted, and stops when status reports the initial pull done.
 */
export async function measureInitialPull(
  crm: CrmName,
  sandboxEntry: string,
  portEnv: string,
  setup: (sandboxUrl: string) => Promise<CrmSide>,
): Promise<InitialPullMeasure> {
  let side: CrmSide | undefined;
  const crmSetup = async (url: string) => (side = await setup(url)).connection;
  const m = await onStack({ crm, sandboxEntry, portEnv, crmSetup }, async (s) => {
    const t0 = Date.now();
    const status = await until(
      s.worker,
      () => s.handle.query(statusQuery),
      (x) => x.lastPull?.kind === 'initial',
    );
    if (status.lastPull?.failure) throw new Error(`initial pull failed: ${status.lastPull.failure}`);
    const wallS = (Date.now() - t0) / 1000;
    const rssMb = peakRssMb(s.worker.pid!);
    const dbRssMb = peakRssMb(s.dbProc.pid!);
    const db = await releaseDb(s);
    const counts = await workspaceCounts(db, BENCH_WORKSPACE, crm);
    await db.close();
    // Inside the stack: the floor reads the sandbox's counters (and may page through it), which
    // stops with the stack.
    return { wallS, rssMb, dbRssMb, ...(await side!.finish(counts)) };
  });
  return m;
}
