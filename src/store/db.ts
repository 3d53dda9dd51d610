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
  /**
   * Where the one line about a lost connection goes (default: stderr). The line names the error,
   * never the connection string or its password.
   */
  warn?: (line: string) => void;
}

// int8 (counts, sums) as numbers, as PGlite returns them, so both drivers give the same rows.
types.setTypeParser(20, (v) => Number(v));

export async function openDb(opts: DbOptions = {}): Promise<Db> {
  const db = opts.databaseUrl
    ? postgresDb(opts.databaseUrl, opts.poolMax ?? 4, opts.warn ?? ((line) => process.stderr.write(`${line}\n`)))
    : await pgliteDb(opts.dataDir);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
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

function postgresDb(url: string, max: number, warn: (line: string) => void): Db {
  const pool = new Pool({ connectionString: url, max });
  const secrets = [url, passwordOf(url)].filter((v): v is string => !!v);
  const lost = (where: string) => (err: Error) =>
    warn(
      `database connection lost ${where}: ${redact(oneLine(err), secrets)}; the pool opens a new one when next needed`,
    );
  // An idle connection the server drops (a restart, pg_terminate_backend, a proxy timeout) is
  // reported here and removed from the pool; without a listener the 'error' event ends the process.
  pool.on('error', lost('while idle'));
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
      // Between the statements of a transaction the client is checked out and the pool does not
      // listen to it: a connection dropped then fails the next statement (and the transaction) and
      // must not end the process. release() sees the broken client and discards it.
      // A dropped connection may emit twice (the server's message, then the socket's end): one line.
      let reported = false;
      const report = lost('in a transaction');
      const onError = (err: Error) => {
        if (!reported) report(err);
        reported = true;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.removeListener('error', onError);
        client.release();
      }
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}

function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

function oneLine(err: Error): string {
  const code = (err as Error & { code?: string }).code;
  return `${err.message.replace(/\s+/g, ' ').trim()}${code ? ` (${code})` : ''}`;
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((t, secret) => t.split(secret).join('[redacted]'), text);
}

export function pgliteOf(db: Db): PGlite | undefined {
  return (db as Db & { pglite?: PGlite }).pglite;
}
