import type { CrmPort } from '../crm/port';
import type { PullRun } from '../store/pull-store';
import { applyIdsPage, RECONCILE_PREFIX } from '../store/reconcile';
import type { RemovalRules } from '../store/removals';
import type { ActivityDeps } from './deps';
import { stopIfAbandoned } from './heartbeat';

/**
 * A pull chunk of an `ids:<stream>` run (store/reconcile.ts): pages of live CRM ids for a bounded
 * time, each kept with the run's cursor in one transaction, the next page fetched while one is
 * written. The last page applies the linked records the CRM no longer has as deletions. Returns the
 * pages applied; the run's row says whether it is done.
 */
export async function reconcileChunk(
  deps: ActivityDeps,
  crm: CrmPort,
  start: PullRun,
  rules: RemovalRules,
  beat: (details: unknown) => void,
): Promise<number> {
  const budget = deps.chunkBudgetMs ?? 30_000;
  const started = Date.now();
  const stream = start.stream.slice(RECONCILE_PREFIX.length);
  let cursor = start.cursor;
  let pages = 0;
  if (start.done) return 0;
  let pending = crm.listIds(stream, cursor);
  for (;;) {
    const page = await pending;
    const more = page.nextCursor !== null && Date.now() - started < budget;
    if (more) {
      pending = crm.listIds(stream, page.nextCursor);
      pending.catch(() => undefined);
    }
    stopIfAbandoned();
    const applied = await applyIdsPage(deps.db, {
      runId: start.id,
      expectedCursor: cursor,
      ids: page.ids,
      nextCursor: page.nextCursor,
      rules,
    });
    // Another attempt moved the cursor first: this attempt stops; the workflow calls again.
    if (applied === 'stale') return pages;
    pages++;
    cursor = page.nextCursor;
    beat({ pages });
    if (applied.missing)
      deps.logger.info(
        { workspaceId: start.workspaceId, crm: start.crm, stream, missing: applied.missing },
        'reconciliation: linked records the CRM no longer has',
      );
    if (!more) return pages;
  }
}
