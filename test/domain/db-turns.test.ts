import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Db } from '../../src/store/db';
import { DbTurns } from '../../src/store/db-turns';

/** A database whose queries take `ms` each; only the timing matters here. */
function slowDb(ms: number): Db {
  const wait = () =>
    new Promise<{ rows: never[]; affectedRows: number }>((r) => setTimeout(() => r({ rows: [], affectedRows: 0 }), ms));
  return {
    kind: 'postgres',
    query: wait,
    transaction: async (fn) => fn({ query: wait }),
    exec: async () => undefined,
    close: async () => undefined,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('database turns: pushes before pull pages', () => {
  it('bulk work goes at once when nothing interactive runs', async () => {
    const turns = new DbTurns(15, 250);
    const t0 = Date.now();
    await turns.bulkTurn();
    assert.ok(Date.now() - t0 < 10);
  });

  it('bulk work waits while interactive queries run, and for the linger after the last one', async () => {
    const turns = new DbTurns(30, 2_000);
    const db = turns.interactive(slowDb(40));
    const push = (async () => {
      await db.query('SELECT 1');
      await db.transaction(async (tx) => tx.query('SELECT 2'));
      return Date.now();
    })();
    await sleep(5);
    await turns.bulkTurn();
    const bulkAt = Date.now();
    const pushEnded = await push;
    assert.ok(bulkAt >= pushEnded + 25, `bulk went ${bulkAt - pushEnded} ms after the push's last query`);
  });

  it('bulk work is not held longer than the cap by a stream of interactive queries', async () => {
    const turns = new DbTurns(15, 100);
    const db = turns.interactive(slowDb(10));
    let stop = false;
    const stream = (async () => {
      while (!stop) await db.query('SELECT 1');
    })();
    await sleep(5);
    const t0 = Date.now();
    await turns.bulkTurn();
    const waited = Date.now() - t0;
    stop = true;
    await stream;
    assert.ok(waited >= 90 && waited < 1_000, `waited ${waited} ms`);
  });

  it('a bulk waiter within the linger of ended work is released by the linger, not the cap', async () => {
    const turns = new DbTurns(20, 5_000);
    await turns.interactive(slowDb(1)).query('SELECT 1');
    const t0 = Date.now();
    await turns.bulkTurn();
    assert.ok(Date.now() - t0 < 1_000);
  });
});
