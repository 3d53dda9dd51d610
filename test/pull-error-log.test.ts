import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../src/store/db';
import { migrate } from '../src/store/migrations';
import { applyPullPage, beginPullRun, getPullRun, type PulledRecord } from '../src/store/pull-store';
import { errorLog, unlinkedOwnerRecords } from '../src/store/reports';
import { PULL_RUNS_KEPT, RESOLVED_ERRORS_KEPT_DAYS } from '../src/store/retention';
import { linkCrmOwner, ensureWorkspace, upsertUser } from '../src/store/workspace-store';

/**
 * The error log and pull history stay bounded: a record the CRM keeps sending with the same problem
 * has one open entry, resolved when a pull finds it without the problem, and a CRM owner linked to
 * no workspace user has one for all its records; old runs and resolved entries are pruned when a
 * run opens (issue 12, item 7).
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
      await db.query<{ crm_id: string | null; crm_owner_id: string | null; error_code: string; message: string }>(
        `SELECT crm_id, crm_owner_id, error_code, message FROM error_log WHERE workspace_id = $1 AND resolved_at IS NULL
          ORDER BY crm_id, crm_owner_id`,
        [ws],
      )
    ).rows;
  const all = async () =>
    Number(
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM error_log WHERE workspace_id = $1', [ws])).rows[0]
        .n,
    );
  const ownerEntries = async () =>
    (await open()).filter((e) => e.error_code === 'OWNER_NOT_LINKED').map((e) => e.crm_owner_id);

  it('an owner linked to no user is one open entry for all its records, whatever the pulls; each run counts its records', async () => {
    const records = [contact('1', 'o-unlinked'), contact('2', 'o-unlinked'), contact('3', null)];
    let runId = '';
    for (let i = 0; i < 3; i++) runId = await pull(records);
    assert.deepEqual(
      (await open()).map((e) => `${e.crm_id ?? '-'} ${e.crm_owner_id} ${e.error_code}`),
      ['- o-unlinked OWNER_NOT_LINKED'],
    );
    assert.match((await open())[0].message, /^CRM owner o-unlinked is linked to no workspace user/);
    assert.equal(await all(), 1, 'no row per record, nor per pull');
    const [entry] = await errorLog(db, ws, 'hubspot', { jobType: 'owner-sync' });
    assert.deepEqual([entry.crmOwnerId, entry.records, entry.crmId, entry.localId], ['o-unlinked', 2, null, null]);
    assert.deepEqual(
      (await unlinkedOwnerRecords(db, ws, 'hubspot', 'contact', 'o-unlinked')).map((r) => r.crmId),
      ['1', '2'],
      'the records are the links carrying the owner',
    );
    assert.equal((await getPullRun(db, runId)).errors, 2, 'the run counts the records it could not give an owner');
  });

  it("an owner's entry is resolved when a pull finds the owner linked or no record carries it, and reopens if it comes back", async () => {
    await linkCrmOwner(db, ws, 'hubspot', 'o-unlinked', 'el-rep');
    await pull([contact('1', 'o-unlinked')]);
    assert.deepEqual(await ownerEntries(), [], 'the owner is linked now');
    await pull([contact('1', 'o-other')]);
    assert.deepEqual(await ownerEntries(), ['o-other']);
    assert.match((await open())[0].message, /o-other/);
    await pull([contact('1', null)]);
    assert.deepEqual(await ownerEntries(), [], 'no record has that owner any more');
    await pull([contact('1', 'o-other')]);
    assert.deepEqual(await ownerEntries(), ['o-other']);
    assert.equal((await errorLog(db, ws, 'hubspot', { jobType: 'owner-sync' }))[0].records, 1);
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

describe('migration 9: per-record unlinked-owner entries become one per owner (PGlite)', () => {
  it('opens one entry per owner, since its oldest record entry, and closes the record entries', async () => {
    const db = await openDb();
    try {
      // Back to schema 8, with the rows a version-8 pull left.
      await db.query('DROP INDEX error_log_open_owner');
      await db.query('ALTER TABLE error_log DROP COLUMN crm_owner_id');
      await db.query('DELETE FROM schema_migrations WHERE version = 9');
      await db.query(
        `INSERT INTO crm_links (workspace_id, crm, object_kind, crm_object, crm_id, local_id, crm_owner_id)
         VALUES ('m', 'hubspot', 'contact', 'contacts', 'c1', gen_random_uuid(), 'o1'),
                ('m', 'hubspot', 'contact', 'contacts', 'c2', gen_random_uuid(), 'o1'),
                ('m', 'hubspot', 'contact', 'contacts', 'c3', gen_random_uuid(), 'o2'),
                ('m', 'hubspot', 'account', 'companies', 'a1', gen_random_uuid(), 'o1')`,
      );
      await db.query(
        `INSERT INTO error_log (workspace_id, crm, job_type, object_kind, crm_id, error_code, message, occurred_at)
         VALUES ('m', 'hubspot', 'owner-sync', 'contact', 'c1', 'OWNER_NOT_LINKED', 'old', now() - interval '2 days'),
                ('m', 'hubspot', 'owner-sync', 'contact', 'c2', 'OWNER_NOT_LINKED', 'old', now() - interval '1 day'),
                ('m', 'hubspot', 'owner-sync', 'contact', 'c3', 'OWNER_NOT_LINKED', 'old', now()),
                ('m', 'hubspot', 'owner-sync', 'account', 'a1', 'OWNER_NOT_LINKED', 'old', now()),
                ('m', 'hubspot', 'owner-sync', 'contact', 'c1', 'OWNER_SYNC_PERMISSION', 'kept', now()),
                ('m', 'hubspot', 'pull', 'contact', 'x9', 'INVALID_EMAIL', 'kept', now())`,
      );
      await migrate(db);
      const { rows } = await db.query<{ entry: string; days: number }>(
        `SELECT concat_ws(' ', object_kind, coalesce(crm_id, '-'), coalesce(crm_owner_id, '-'), error_code, message) AS entry,
                round(extract(epoch FROM now() - occurred_at) / 86400)::int AS days
           FROM error_log WHERE workspace_id = 'm' AND resolved_at IS NULL ORDER BY entry`,
      );
      assert.deepEqual(rows, [
        {
          entry: 'account - o1 OWNER_NOT_LINKED CRM owner o1 is linked to no workspace user; owner left unchanged',
          days: 0,
        },
        {
          entry: 'contact - o1 OWNER_NOT_LINKED CRM owner o1 is linked to no workspace user; owner left unchanged',
          days: 2,
        },
        {
          entry: 'contact - o2 OWNER_NOT_LINKED CRM owner o2 is linked to no workspace user; owner left unchanged',
          days: 0,
        },
        { entry: 'contact c1 - OWNER_SYNC_PERMISSION kept', days: 0 },
        { entry: 'contact x9 - INVALID_EMAIL kept', days: 0 },
      ]);
      const [o1] = (await errorLog(db, 'm', 'hubspot', { jobType: 'owner-sync' })).filter(
        (e) => e.crmOwnerId === 'o1' && e.objectKind === 'contact',
      );
      assert.equal(o1.records, 2);
    } finally {
      await db.close();
    }
  });
});
