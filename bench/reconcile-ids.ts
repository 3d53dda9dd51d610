import { reconcileNowUpdate, statusQuery } from '../src/workflows/contract';
import { largePortal, LARGE_PORTAL } from './hubspot-initial-pull';
import type { BenchResult } from './result';
import { onStack, peakRssMb, until } from './stack';

/** Records purged (gone past the recycle bin) before the reconciliation, which must find each. */
const PURGED = Number(process.env.BENCH_RECONCILE_PURGED ?? 100);

/**
 * A reconciliation of the large portal (issue 14 item 6): after the initial pull, contacts are purged
 * (no archived listing shows them) and `reconcileNow` starts a recurring pull that lists every
 * contact and company id. The clock runs from the update to the end of that pull; its calls are
 * every request the portal saw meanwhile (the pull's own incremental pages included), and the floor
 * is those calls at the portal's rate limit. Deletion sync is off: the purged records are unlinked.
 */
export async function reconcileIds(): Promise<BenchResult> {
  const { contacts, companies, tenSecondMax } = LARGE_PORTAL;
  let admin: Awaited<ReturnType<typeof largePortal>>['admin'] | undefined;
  const m = await onStack(
    {
      crm: 'hubspot',
      sandboxEntry: 'sandbox/hubspot/main.js',
      portEnv: 'HUBSPOT_SANDBOX_PORT',
      crmSetup: async (url) => {
        // Imported a month ago, as a portal reconciled weekly mostly is: the recurring pull that
        // carries the reconciliation finds no changed record, so the line measures the ids alone.
        const portal = await largePortal(url, 990101, {
          importedAt: new Date(Date.now() - 30 * 86_400_000).toISOString(),
        });
        admin = portal.admin;
        return portal.connection;
      },
    },
    async (s) => {
      const initial = await until(
        s.worker,
        () => s.handle.query(statusQuery),
        (x) => x.lastPull?.kind === 'initial',
      );
      if (initial.lastPull?.failure) throw new Error(`initial pull failed: ${initial.lastPull.failure}`);
      const ids = (await admin!.ids('contacts')).ids.slice(0, PURGED);
      await admin!.purge('contacts', ids);
      const before = (await admin!.stats()).requests;
      const t0 = Date.now();
      await s.handle.executeUpdate(reconcileNowUpdate, { args: [{}] });
      const done = await until(
        s.worker,
        () => s.handle.query(statusQuery),
        (x) => x.lastPull?.kind === 'recurring' && Date.parse(x.lastPull.startedAt) >= t0 - 1000,
      );
      const wallS = (Date.now() - t0) / 1000;
      if (done.lastPull?.failure) throw new Error(`reconciliation failed: ${done.lastPull.failure}`);
      if (done.removals.unlinked !== ids.length)
        throw new Error(`reconciliation unlinked ${done.removals.unlinked} of ${ids.length} purged contacts`);
      const stats = await admin!.stats();
      const calls = stats.requests - before;
      return {
        calls,
        wallS,
        floorS: calls / (tenSecondMax / 10),
        rssMb: peakRssMb(s.worker.pid!),
        notes: `429s=${stats.throttled} ids=${contacts + companies} found=${done.removals.unlinked}`,
      };
    },
  );
  return { scenario: 'reconcile-ids', ...m };
}
