/** Just enough of a connection (PGlite's own or the store's). */
interface Analyzable {
  query<T>(sql: string): Promise<{ rows: T[] }>;
}

/**
 * Planner statistics for an embedded database. PGlite runs no autovacuum, so nothing ever ANALYZEs
 * its tables: the planner then guesses a handful of rows per table and picks nested loops that
 * rescan ten thousand links per record (a 100-contact push batch's load took 270 ms instead of 9).
 * This stands in for autovacuum's analyze: every table at open, then, on a timer, the tables whose
 * size on disk moved by more than a tenth since their last analyze (PGlite keeps no modification
 * counters to go by). PostgreSQL proper does this itself and never runs this.
 */
export function keepStatistics(db: Analyzable, everyMs = 15_000): { ready: Promise<void>; stop(): Promise<void> } {
  // The planner needs row counts and how many workspaces share a table, not fine histograms: a
  // 3,000-row sample (target 10) gives those at a tenth of the default's cost (11 vs 120 ms on 50,000
  // contacts), which matters while a pull grows the tables and the analyze holds the one session.
  const analyze = async (tables = '') => {
    await db.query('SET default_statistics_target = 10');
    await db.query(`ANALYZE ${tables}`);
  };
  const analyzeGrown = async () => {
    const { rows } = await db.query<{ name: string }>(
      `SELECT quote_ident(c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND abs(pg_relation_size(c.oid) / 8192 - c.relpages) > greatest(2, c.relpages / 10)`,
    );
    if (rows.length) await analyze(rows.map((r) => r.name).join(', '));
  };
  // Errors are dropped: a client's transaction can interleave on PGlite's one session (and be in a
  // failed state); the next tick simply tries again.
  let running = analyze().catch(() => undefined);
  const timer = setInterval(() => {
    running = running.then(analyzeGrown).catch(() => undefined);
  }, everyMs);
  timer.unref();
  return {
    ready: running,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
