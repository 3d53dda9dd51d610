import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../src/store/db';
import { applyPullPage, beginPullRun, getPullRun, type PulledRecord } from '../src/store/pull-store';
import { PULL_RUNS_KEPT, RESOLVED_ERRORS_KEPT_DAYS } from '../src/store/retention';
import { linkCrmOwner, ensureWorkspace, upsertUser } from '../src/store/workspace-store';

/**
 * The error log and pull history stay bounded: a record the CRM keeps sending with the same problem
 * has one open entry, resolved when a pull finds it without the problem; old runs and resolved
 * entries are pruned when a run opens (issue 12, item 7).
 */
describe('pull error log and history retention (PGlite)', () => {
  let db: Db;
  let seq = 0;
  const ws = 'el';
  before(async () => {
    db = await openDb();
    await ensureWorkspace(db, ws, 'paid');
    await upsertUser(db, {
      id: 'el-sync',
      workspaceId: ws,
      email: 'sync@el.example',
      name: 'Sync',
      permissions: ['assign contact owner'],
    });
    await upsertUser(db, { id: 'el-rep', workspaceId: ws, email: 'rep@el.example', name: 'Rep' });
  });
  after(async () => db?.close());

  const contact = (crmId: string, owner: string | null, email = `${crmId}@el.example`): PulledRecord => ({
    crmId,
    crmObject: 'contacts',
    columns: { email },
    custom: {},
    crmOwnerId: owner,
    parentCrmId: null,
    modifiedAt: `2026-01-01T00:00:0${seq % 10}.000Z`,
  });
  async function pull(records: PulledRecord[]) {
    const run = await beginPullRun(db, {
      runKey: `el-${++seq}`,
      workspaceId: ws,
      crm: 'hubspot',
      kind: 'manual',
      objectKind: 'contact',
      stream: 'contacts',
      nowMs: Date.now(),
    });
    const counts = await applyPullPage(db, {
      runId: run.id,
      expectedCursor: null,
      records,
      nextCursor: null,
      syncUserId: 'el-sync',
    });
    assert.notEqual(counts, 'stale');
    return run.id;
  }
  const open = async () =>
    (
      await db.query<{ crm_id: string; error_code: string; message: string }>(
        `SELECT crm_id, error_code, message FROM error_log WHERE workspace_id = $1 AND resolved_at IS NULL ORDER BY crm_id`,
        [ws],
      )
    ).rows;
  const all = async () =>
    Number(
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM error_log WHERE workspace_id = $1', [ws])).rows[0]
        .n,
    );

  it('a problem repeated by every pull stays one open entry; each run still counts what it saw', async () => {
    const records = [contact('1', 'o-unlinked'), contact('2', 'o-unlinked'), contact('3', null)];
    let runId = '';
    for (let i = 0; i < 3; i++) runId = await pull(records);
    assert.deepEqual(
      (await open()).map((e) => `${e.crm_id} ${e.error_code}`),
      ['1 OWNER_NOT_LINKED', '2 OWNER_NOT_LINKED'],
    );
    assert.equal(await all(), 2, 'no row per pull');
    assert.equal((await getPullRun(db, runId)).errors, 2, "the run's own count is unchanged");
  });

  it('an entry is resolved when a pull finds the record without the problem, and reopens if it comes back', async () => {
    await linkCrmOwner(db, ws, 'hubspot', 'o-unlinked', 'el-rep');
    await pull([contact('1', 'o-unlinked')]);
    assert.deepEqual(
      (await open()).map((e) => e.crm_id),
      ['2'],
      "record 1's entry is resolved; record 2 was not in the page, so its entry stays",
    );
    await pull([contact('1', 'o-other')]);
    assert.deepEqual(
      (await open()).map((e) => `${e.crm_id} ${e.error_code}`),
      ['1 OWNER_NOT_LINKED', '2 OWNER_NOT_LINKED'],
    );
    assert.match((await open())[0].message, /o-other/);
  });

  it('a changed problem of the same kind updates the open entry rather than adding one', async () => {
    await pull([contact('4', null, 'not-an-email')]);
    await pull([contact('4', null, 'still not an email')]);
    const entries = (await open()).filter((e) => e.crm_id === '4');
    assert.equal(entries.length, 1);
    assert.equal(entries[0].error_code, 'INVALID_EMAIL');
    assert.match(entries[0].message, /still not an email/);
  });

  it(`keeps the newest ${PULL_RUNS_KEPT} finished runs per stream and resolved entries for ${RESOLVED_ERRORS_KEPT_DAYS} days`, async () => {
    await db.query(
      `INSERT INTO pull_runs (id, run_key, workspace_id, crm, kind, object_kind, stream, until_ms, done, started_at)
       SELECT gen_random_uuid(), 'old-' || n, $1, 'hubspot', 'recurring', 'contact', 'contacts', 0, true,
              now() - make_interval(days => 400) + make_interval(mins => n)
         FROM generate_series(1, $2::int) n`,
      [ws, PULL_RUNS_KEPT + 50],
    );
    await db.query(
      `INSERT INTO error_log (workspace_id, crm, job_type, object_kind, crm_id, error_code, message, resolved_at)
       VALUES ($1, 'hubspot', 'owner-sync', 'contact', 'gone', 'OWNER_NOT_LINKED', 'm', now() - make_interval(days => $2::int + 1)),
              ($1, 'hubspot', 'owner-sync', 'contact', 'recent', 'OWNER_NOT_LINKED', 'm', now() - make_interval(days => 1))`,
      [ws, RESOLVED_ERRORS_KEPT_DAYS],
    );
    const openBefore = await open();
    const newest = await pull([contact('1', 'o-other')]);
    const { rows } = await db.query<{ n: number; newest: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE id = $2)::int AS newest FROM pull_runs
        WHERE workspace_id = $1 AND stream = 'contacts' AND done`,
      [ws, newest],
    );
    assert.equal(rows[0].n, PULL_RUNS_KEPT + 1, 'the kept runs, and the one just finished');
    assert.equal(rows[0].newest, 1);
    const ids = (
      await db.query<{ crm_id: string }>('SELECT crm_id FROM error_log WHERE workspace_id = $1', [ws])
    ).rows.map((r) => r.crm_id);
    assert.ok(!ids.includes('gone') && ids.includes('recent'));
    assert.deepEqual(await open(), openBefore, 'open entries are never pruned');
  });
});
