import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../src/dev/processes';
import { openDb, type Db } from '../src/store/db';
import { servePglite } from '../src/store/serve';

/**
 * The worker and the CLI reach the embedded database through pglite-socket at the same time. Their
 * writes stay correct because the server gives PGlite's one session to one transaction at a time;
 * this pins that behaviour of the pinned pglite-socket version (see DbOptions.poolMax for what it
 * does not isolate).
 */
describe('pglite-socket runs one transaction at a time across connections', () => {
  let embedded: Db;
  let served: { url: string; stop(): Promise<void> };
  let a: Db;
  let b: Db;
  before(async () => {
    embedded = await openDb();
    served = await servePglite(embedded, await freePort());
    await embedded.exec('CREATE TABLE socket_probe (v text)');
    a = await openDb({ databaseUrl: served.url, poolMax: 1 });
    b = await openDb({ databaseUrl: served.url, poolMax: 1 });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await served?.stop();
    await embedded?.close();
  });

  it('a query on another connection waits for an open transaction and never sees its uncommitted rows', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const started = new Promise<void>((r) => (inside = r));
    const tx = a
      .transaction(async (t) => {
        await t.query(`INSERT INTO socket_probe VALUES ('rolled back')`);
        inside();
        await held;
        throw new Error('roll back');
      })
      .catch(() => 'rolled back');
    await started;
    let answered = false;
    const other = b.query<{ n: number }>('SELECT count(*)::int AS n FROM socket_probe').then((r) => {
      answered = true;
      return r.rows[0].n;
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(answered, false, 'the other connection waits while the transaction is open');
    release();
    assert.equal(await tx, 'rolled back');
    assert.equal(await other, 0);
  });

  it("both connections' committed writes land", async () => {
    await Promise.all([
      a.transaction(async (t) => {
        await t.query(`INSERT INTO socket_probe VALUES ('a1')`);
        await t.query(`INSERT INTO socket_probe VALUES ('a2')`);
      }),
      b.query(`INSERT INTO socket_probe VALUES ('b')`),
    ]);
    const { rows } = await a.query<{ v: string }>('SELECT v FROM socket_probe ORDER BY v');
    assert.deepEqual(
      rows.map((r) => r.v),
      ['a1', 'a2', 'b'],
    );
  });
});
