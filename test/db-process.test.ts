import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { openDb, type Db } from '../src/store/db';
import { migrate, SCHEMA_VERSION } from '../src/store/migrations';
import { ROOT } from './support/tools';

/**
 * Process-level behaviour of the store against a real PostgreSQL: a connection the server drops
 * does not end the process, and workers starting together migrate a fresh database once.
 */
describe('store process level (PostgreSQL)', () => {
  let pg: { url: string; dir: string } | undefined;
  let admin: Client;
  before(async () => {
    const out = execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh')], { encoding: 'utf8' }).trim();
    const env = Object.fromEntries(out.split(' ').map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
    pg = { url: env.DATABASE_URL, dir: env.PG_TEST_DIR };
    admin = new Client({ connectionString: pg.url });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    if (pg) execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh'), 'stop', pg.dir]);
  });

  /** A fresh database on the test server, with a password in its URL (trust auth ignores it). */
  async function freshDatabase(name: string): Promise<string> {
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(pg!.url);
    u.password = 'pw-SECRET-1';
    u.pathname = `/${name}`;
    return u.toString();
  }

  const terminate = (appName: string) =>
    admin.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1`,
      [appName],
    );

  it('the server dropping the pool’s idle connections: one line logged, the process lives, the next query works', async () => {
    const url = await freshDatabase('dropped_idle');
    // A process of its own, as the worker is: an unhandled 'error' event would end it.
    const script = `
      const { openDb } = require(${JSON.stringify(resolve(ROOT, 'lib/src/store/db.js'))});
      (async () => {
        const db = await openDb({ databaseUrl: process.env.URL + '?application_name=victim', poolMax: 2 });
        await Promise.all([db.query('SELECT 1'), db.query('SELECT 1')]); // two idle connections
        process.stdout.write('ready\\n');
        process.stdin.once('data', async () => {
          const { rows } = await db.query('SELECT count(*)::int AS n FROM schema_migrations');
          process.stdout.write('after ' + rows[0].n + '\\n');
          await db.close();
          process.stdin.destroy();
        });
      })();`;
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, URL: url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // A failed assertion must not leave the child holding the test process open.
    after(() => child.kill());
    const until = async (what: () => boolean, label: string) => {
      for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(what(), `${label}; stdout: ${stdout} stderr: ${stderr}`);
    };
    await until(() => stdout.includes('ready'), 'child opened the database');
    assert.equal((await terminate('victim')).rows[0].n, 2, 'both idle connections terminated');
    await until(() => stderr.split('\n').filter(Boolean).length >= 2, 'each lost connection logged');
    child.stdin.write('go\n');
    const code = await exited;
    assert.equal(code, 0, `the process ended by itself, not on the error; stderr: ${stderr}`);
    assert.match(stdout, new RegExp(`after ${SCHEMA_VERSION}\\n`), 'the next query ran on a new connection');
    const lines = stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 2, `one line per lost connection: ${stderr}`);
    for (const line of lines) {
      assert.match(line, /^database connection lost while idle: terminating connection due to administrator command/);
      assert.doesNotMatch(line, /SECRET|postgres:\/\//, 'no password, no connection string');
    }
  });

  it('a connection dropped inside a transaction fails that transaction only', async () => {
    const url = await freshDatabase('dropped_tx');
    const warnings: string[] = [];
    const db = await openDb({
      databaseUrl: `${url}?application_name=in_tx`,
      poolMax: 1,
      warn: (l) => warnings.push(l),
    });
    try {
      const tx = db.transaction(async (t) => {
        await t.query('SELECT 1');
        // The connection is checked out and idle between statements when the server drops it.
        assert.equal((await terminate('in_tx')).rows[0].n, 1);
        await new Promise((r) => setTimeout(r, 300));
        await t.query('SELECT 2');
      });
      await assert.rejects(tx);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], /^database connection lost in a transaction: /);
      assert.doesNotMatch(warnings[0], /SECRET/);
      assert.deepEqual((await db.query('SELECT 3 AS n')).rows, [{ n: 3 }], 'the pool took a new connection');
    } finally {
      await db.close();
    }
  });

  it('two workers migrating a fresh database at once: both start, every migration applied once', async () => {
    for (let round = 0; round < 3; round++) {
      const url = await freshDatabase(`race_${round}`);
      const opened = await Promise.allSettled([1, 2, 3].map(() => openDb({ databaseUrl: url, poolMax: 2 })));
      const dbs = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      try {
        const failed = opened.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
        assert.deepEqual(failed, [], `round ${round}: every migrator started`);
        const { rows } = await dbs[0].query<{ version: number; n: number }>(
          'SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version',
        );
        assert.deepEqual(
          rows,
          Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1, n: 1 })),
        );
      } finally {
        await Promise.all(dbs.map((d: Db) => d.close()));
      }
    }
  });

  it('a schema newer than this release knows: refused with one sentence, nothing changed', async () => {
    const url = await freshDatabase('newer_schema');
    const db = await openDb({ databaseUrl: url });
    await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
      SCHEMA_VERSION + 1,
      'from the future',
    ]);
    await db.close();
    await assert.rejects(openDb({ databaseUrl: url }), (err: Error) => {
      assert.equal(
        err.message,
        `the database schema is at version ${SCHEMA_VERSION + 1}, newer than this release knows (${SCHEMA_VERSION}): run the newer release, or a database of its own`,
      );
      return true;
    });
  });
});

describe('store process level (PGlite)', () => {
  it('concurrent migrations of one embedded database apply each migration once; a newer schema is refused', async () => {
    const db = await openDb();
    try {
      await db.query('DELETE FROM schema_migrations WHERE version = 7');
      // Version 7 is applied again; its index exists after the first apply, so a second one would fail.
      await db.query('DROP INDEX error_log_open_pull');
      await Promise.all([migrate(db), migrate(db)]);
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      assert.equal(rows[0].n, SCHEMA_VERSION);
      await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [SCHEMA_VERSION + 1, 'x']);
      await assert.rejects(migrate(db), /newer than this release knows/);
    } finally {
      await db.close();
    }
  });
});
