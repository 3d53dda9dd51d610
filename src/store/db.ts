import { PGlite } from '@electric-sql/pglite';
import { Pool, types } from 'pg';
import { migrate } from './migrations';
import { keepStatistics } from './statistics';

/** What store code needs from a connection: parameterised queries, nothing driver-specific. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows: number }>;
}

export interface Db extends Queryable {
  /** Runs `fn` in one transaction; a throw rolls everything back. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'pglite' | 'postgres';
}

export interface DbOptions {
  /** postgres://… selects PostgreSQL through `pg`; otherwise PGlite is embedded. */
  databaseUrl?: string;
  /** PGlite data directory; omitted means in memory. */
  dataDir?: string;
  /**
   * Pool size for `pg`. 1 against pglite-socket: it multiplexes its connections onto PGlite's one
   * session. A connection's open transaction holds the session until it ends, but outside
   * transactions the connections' protocol messages interleave, so two queries sent at once can
   * replace each other's unnamed prepared statement ("26000" errors, seen with a second worker
   * connection). One process therefore keeps to one connection; pushes get ahead of pull pages
   * by store/db-turns.ts instead. Another process (the CLI) beside the worker shares that risk.
   */
  poolMax?: number;
}

// int8 (counts, sums) as numbers, as PGlite returns them, so both drivers give the same rows.
types.setTypeParser(20, (v) => Number(v));

export async function openDb(opts: DbOptions = {}): Promise<Db> {
  const db = opts.databaseUrl ? postgresDb(opts.databaseUrl, opts.poolMax ?? 4) : await pgliteDb(opts.dataDir);
  await migrate(db);
  return db;
}

async function pgliteDb(dataDir?: string): Promise<Db> {
  const pg = await PGlite.create(dataDir ? { dataDir } : {});
  // No autovacuum in PGlite: see statistics.ts.
  const stats = keepStatistics(pg);
  await stats.ready;
  const wrap = (q: Pick<PGlite, 'query'>): Queryable => ({
    async query<T>(sql: string, params: unknown[] = []) {
      const r = await q.query<T>(sql, params);
      return { rows: r.rows, affectedRows: r.affectedRows ?? 0 };
    },
  });
  return {
    kind: 'pglite',
    ...wrap(pg),
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    exec: async (sql) => {
      await pg.exec(sql);
    },
    close: async () => {
      await stats.stop();
      await pg.close();
    },
    // The socket server in src/store/serve.ts needs the instance itself.
    pglite: pg,
  } as Db & { pglite: PGlite };
}

function postgresDb(url: string, max: number): Db {
  const pool = new Pool({ connectionString: url, max });
  const wrap = (c: Pick<Pool, 'query'>): Queryable => ({
    async query<T>(sql: string, params: unknown[] = []) {
      const r = await c.query(sql, params);
      return { rows: r.rows as T[], affectedRows: r.rowCount ?? 0 };
    },
  });
  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}

export function pgliteOf(db: Db): PGlite | undefined {
  return (db as Db & { pglite?: PGlite }).pglite;
}
