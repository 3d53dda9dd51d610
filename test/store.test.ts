import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../src/store/db';
import { migrate, SCHEMA_VERSION } from '../src/store/migrations';
import { keepStatistics } from '../src/store/statistics';
import {
  committedBatch,
  enqueueUnlinkedPage,
  loadDue,
  MANUAL_PUSH_PAGE,
  recordOutcomes,
  type RecordedOutcome,
} from '../src/store/push-store';
import { applyPullPage, beginPullRun, CURSOR_OVERLAP_MS, getPullRun, type PulledRecord } from '../src/store/pull-store';
import { errorLog, findByCrmId, pullHistory, workspaceCounts } from '../src/store/reports';
import { ensureWorkspace, linkCrmOwner, upsertUser } from '../src/store/workspace-store';
import { waitFor } from './support/harness';
import { ROOT } from './support/tools';

/** The same store suite on embedded PGlite and on a real PostgreSQL server. */
function storeSuite(name: string, open: () => Promise<Db>, cleanup: () => void = () => undefined) {
  describe(`store on ${name}`, () => {
    let db: Db;
    before(async () => {
      db = await open();
      await ensureWorkspace(db, 'w1', 'paid');
      await upsertUser(db, {
        id: 'sync',
        workspaceId: 'w1',
        email: 'sync@w1.example',
        name: 'Sync',
        permissions: ['assign contact owner'],
      });
      await upsertUser(db, { id: 'rep', workspaceId: 'w1', email: 'rep@w1.example', name: 'Rep' });
      await linkCrmOwner(db, 'w1', 'hubspot', 'o1', 'rep');
    });
    after(async () => {
      await db?.close();
      cleanup();
    });

    const rec = (crmId: string, email: string, extra: Partial<PulledRecord> = {}): PulledRecord => ({
      crmId,
      crmObject: 'contacts',
      columns: { email, first_name: 'A' },
      custom: { src: 'x' },
      crmOwnerId: null,
      parentCrmId: null,
      modifiedAt: 't1',
      ...extra,
    });

    it('migrates idempotently', async () => {
      await migrate(db); // openDb already migrated: a second run must change nothing
      const { rows } = await db.query<{ n: number; v: number }>(
        'SELECT count(*)::int AS n, max(version)::int AS v FROM schema_migrations',
      );
      assert.deepEqual(rows[0], { n: SCHEMA_VERSION, v: SCHEMA_VERSION });
    });

    it('opens a pull run once per run key; incremental runs start at the stream cursor', async () => {
      const a = await beginPullRun(db, {
        runKey: 'k1',
        workspaceId: 'w1',
        crm: 'hubspot',
        kind: 'initial',
        objectKind: 'contact',
        stream: 'contacts',
        nowMs: 1_000_000,
      });
      const again = await beginPullRun(db, {
        runKey: 'k1',
        workspaceId: 'w1',
        crm: 'hubspot',
        kind: 'initial',
        objectKind: 'contact',
        stream: 'contacts',
        nowMs: 2_000_000,
      });
      assert.equal(a.id, again.id);
      assert.equal(again.untilMs, 1_000_000);
      assert.equal(a.sinceMs, null, 'full pull');

      const p1 = await applyPullPage(db, {
        runId: a.id,
        expectedCursor: null,
        records: [rec('1', 'a@x.com'), rec('2', 'B@x.com', { crmOwnerId: 'o1' })],
        nextCursor: 'c1',
        syncUserId: 'sync',
      });
      assert.deepEqual(p1, { seen: 2, created: 2, updated: 0, ownerChanges: 0, errors: 0 });
      assert.equal(
        await applyPullPage(db, {
          runId: a.id,
          expectedCursor: null,
          records: [rec('1', 'a@x.com')],
          nextCursor: 'c1',
          syncUserId: 'sync',
        }),
        'stale',
        'a page applied twice is refused',
      );
      const p2 = await applyPullPage(db, {
        runId: a.id,
        expectedCursor: 'c1',
        records: [rec('3', 'b@X.com'), rec('1', 'a2@x.com', { modifiedAt: 't2' })],
        nextCursor: null,
        syncUserId: 'sync',
      });
      assert.deepEqual(p2, { seen: 2, created: 1, updated: 1, ownerChanges: 0, errors: 0 });
      const run = await getPullRun(db, a.id);
      assert.deepEqual([run.done, run.pages, run.seen, run.created, run.updated], [true, 2, 4, 3, 1]);

      const inc = await beginPullRun(db, {
        runKey: 'k2',
        workspaceId: 'w1',
        crm: 'hubspot',
        kind: 'recurring',
        objectKind: 'contact',
        stream: 'contacts',
        nowMs: 3_000_000,
      });
      assert.equal(inc.sinceMs, 1_000_000 - CURSOR_OVERLAP_MS);
    });

    it('writes mapped fields, owners through links, duplicate flags and account links', async () => {
      const c2 = await findByCrmId(db, 'w1', 'hubspot', 'contact', '2');
      assert.equal(c2?.ownerUserId, 'rep');
      assert.equal(c2?.fields.email, 'B@x.com');
      assert.deepEqual(c2?.fields.custom, { src: 'x' });
      assert.equal(c2?.fields.potential_duplicate, true, 'B@x.com and b@X.com are the same person');
      assert.equal((await findByCrmId(db, 'w1', 'hubspot', 'contact', '1'))?.fields.email, 'a2@x.com');
      assert.equal((await findByCrmId(db, 'w1', 'hubspot', 'contact', '1'))?.fields.potential_duplicate, false);

      // A contact arrives before its account; the link is made when the account lands.
      const acc = await beginPullRun(db, {
        runKey: 'k3',
        workspaceId: 'w1',
        crm: 'hubspot',
        kind: 'manual',
        objectKind: 'contact',
        stream: 'contacts',
        nowMs: 1,
      });
      await applyPullPage(db, {
        runId: acc.id,
        expectedCursor: null,
        records: [rec('4', 'c@x.com', { parentCrmId: '900' })],
        nextCursor: null,
        syncUserId: 'sync',
      });
      const accRun = await beginPullRun(db, {
        runKey: 'k4',
        workspaceId: 'w1',
        crm: 'hubspot',
        kind: 'manual',
        objectKind: 'account',
        stream: 'companies',
        nowMs: 1,
      });
      await applyPullPage(db, {
        runId: accRun.id,
        expectedCursor: null,
        records: [
          {
            crmId: '900',
            crmObject: 'companies',
            columns: { name: 'Acme', domain: 'acme.com' },
            custom: {},
            crmOwnerId: 'o1',
            parentCrmId: null,
            modifiedAt: 't',
          },
        ],
        nextCursor: null,
        syncUserId: 'sync',
      });
      const account = await findByCrmId(db, 'w1', 'hubspot', 'account', '900');
      assert.equal((await findByCrmId(db, 'w1', 'hubspot', 'contact', '4'))?.fields.account_id, account?.id);
      assert.equal(account?.ownerUserId, null, 'no "assign account owner" permission');
      const entries = await errorLog(db, 'w1', 'hubspot', { jobType: 'owner-sync' });
      assert.equal(entries[0].errorCode, 'OWNER_SYNC_PERMISSION');
      assert.equal(entries[0].crmId, '900');
      assert.equal((await getPullRun(db, accRun.id)).errors, 1, 'the run row counts what it logged');
    });

    it('reports history and counts', async () => {
      const history = await pullHistory(db, 'w1', 'hubspot');
      assert.equal(history.length, 4);
      const counts = await workspaceCounts(db, 'w1', 'hubspot');
      assert.deepEqual(counts, { contacts: 4, accounts: 1, potentialDuplicates: 2, errorsByJob: { 'owner-sync': 1 } });
    });

    it('a contact pulled after its account has it from its insert; a re-pull follows a new association', async () => {
      const ws = 'acc-first';
      await ensureWorkspace(db, ws, 'paid');
      let n = 0;
      const page = async (objectKind: 'contact' | 'account', records: PulledRecord[]) => {
        const run = await beginPullRun(db, {
          runKey: `acc-first-${++n}`,
          workspaceId: ws,
          crm: 'hubspot',
          kind: 'manual',
          objectKind,
          stream: objectKind === 'contact' ? 'contacts' : 'companies',
          nowMs: 1,
        });
        await applyPullPage(db, { runId: run.id, expectedCursor: null, records, nextCursor: null, syncUserId: 'sync' });
      };
      const company = (crmId: string): PulledRecord => ({
        crmId,
        crmObject: 'companies',
        columns: { name: `Co ${crmId}`, domain: `co${crmId}.example` },
        custom: {},
        crmOwnerId: null,
        parentCrmId: null,
        modifiedAt: 't',
      });
      await page('account', [company('800'), company('801')]);
      const [a800, a801] = await Promise.all(['800', '801'].map((id) => findByCrmId(db, ws, 'hubspot', 'account', id)));
      await page('contact', [rec('50', 'p@acc.example', { parentCrmId: '800' }), rec('51', 'q@acc.example')]);
      const accountOf = async (crmId: string) =>
        (await findByCrmId(db, ws, 'hubspot', 'contact', crmId))?.fields.account_id ?? null;
      assert.equal(await accountOf('50'), a800?.id);
      assert.equal(await accountOf('51'), null, 'no association, no account');
      await page('contact', [
        rec('50', 'p@acc.example', { parentCrmId: '801', modifiedAt: 't2' }),
        rec('52', 'r@acc.example', { parentCrmId: '801' }),
      ]);
      assert.equal(await accountOf('50'), a801?.id, 'the known contact follows its new association');
      assert.equal(await accountOf('52'), a801?.id);
    });

    it("puts each due contact in its account's lane, so two lanes never push the same account", async () => {
      await ensureWorkspace(db, 'lanes', 'paid');
      const accounts = (
        await db.query<{ id: string }>(
          `INSERT INTO accounts (id, workspace_id, name) SELECT gen_random_uuid(), 'lanes', 'A' || n FROM generate_series(1, 12) n RETURNING id`,
        )
      ).rows.map((r) => r.id);
      // 10 contacts per account, and 20 with no account.
      await db.query(
        `INSERT INTO contacts (id, workspace_id, last_name, account_id)
         SELECT gen_random_uuid(), 'lanes', 'C' || n, CASE WHEN n <= 120 THEN ($1::uuid[])[(n - 1) / 10 + 1] END FROM generate_series(1, 140) n`,
        [accounts],
      );
      await db.query(
        `INSERT INTO push_outbox (workspace_id, crm, object_kind, local_id)
         SELECT 'lanes', 'hubspot', 'contact', id FROM contacts WHERE workspace_id = 'lanes'
         UNION ALL SELECT 'lanes', 'hubspot', 'account', id FROM accounts WHERE workspace_id = 'lanes'`,
      );
      const laneOf = new Map<string, number>();
      for (let lane = 0; lane < 4; lane++) {
        for (const r of await loadDue(db, 'lanes', 'hubspot', 1000, lane, 4)) {
          assert.equal(laneOf.has(r.localId), false, 'a row is in one lane only');
          laneOf.set(r.localId, lane);
        }
      }
      assert.equal(laneOf.size, 152, 'every due row is in some lane');
      const { rows } = await db.query<{ id: string; account_id: string }>(
        `SELECT id, account_id FROM contacts WHERE workspace_id = 'lanes' AND account_id IS NOT NULL`,
      );
      for (const c of rows)
        assert.equal(laneOf.get(c.id), laneOf.get(c.account_id), "a contact shares its account's lane");
      assert.ok(new Set(laneOf.values()).size > 1, 'the rows spread over lanes');
    });

    it('a CRM record answered for two workspace records links the first; the second is a rejection naming it, and the batch commits', async () => {
      await ensureWorkspace(db, 'twins', 'paid');
      await db.query(
        `INSERT INTO integrations (workspace_id, crm, connection, sync_user_id) VALUES ('twins', 'hubspot', 'c', 'sync')`,
      );
      const ids = (
        await db.query<{ id: string }>(
          `INSERT INTO accounts (id, workspace_id, name, domain) SELECT gen_random_uuid(), 'twins', 'T' || n, 'twins.example'
             FROM generate_series(1, 3) n RETURNING id`,
        )
      ).rows.map((r) => r.id);
      await db.query(
        `INSERT INTO push_outbox (workspace_id, crm, object_kind, local_id) SELECT 'twins', 'hubspot', 'account', unnest($1::uuid[])`,
        [ids],
      );
      const linked = (localId: string, crmId: string): RecordedOutcome => ({
        kind: 'account',
        localId,
        result: 'linked',
        crmId,
        crmObject: 'companies',
        ownerCrmId: null,
        created: false,
        inOutbox: true,
        record: { name: 'T', domain: 'twins.example' },
      });
      // Two answered with the same company: before, the batch's one transaction failed on crm_links' key.
      const counts = await recordOutcomes(db, 'twins', 'hubspot', [linked(ids[0], 'co-1'), linked(ids[1], 'co-1')], {
        key: 'twins-batch-1',
        handled: 2,
      });
      assert.deepEqual(counts, { handled: 2, linked: 1, created: 0, rejected: 1, transient: 0, skipped: 0 });
      assert.deepEqual(
        await committedBatch(db, 'twins-batch-1'),
        counts,
        'the committed counts are the corrected ones',
      );
      const links = await db.query<{ local_id: string }>(`SELECT local_id FROM crm_links WHERE workspace_id = 'twins'`);
      assert.deepEqual(
        links.rows.map((r) => r.local_id),
        [ids[0]],
      );
      // A later batch answering a third record with it: refused too (the link holder is read in the transaction).
      await recordOutcomes(db, 'twins', 'hubspot', [linked(ids[2], 'co-1')]);
      const errs = (await errorLog(db, 'twins', 'hubspot', { jobType: 'push' })).sort((a, b) => a.id - b.id);
      assert.deepEqual(
        errs.map((e) => [e.localId, e.errorCode, e.field, e.message]),
        [ids[1], ids[2]].map((id) => [
          id,
          'ALREADY_LINKED',
          'domain',
          `CRM record co-1 is already linked to workspace account ${ids[0]}; the two are potential duplicates`,
        ]),
      );
      const left = await db.query(`SELECT 1 FROM push_outbox WHERE workspace_id = 'twins'`);
      assert.equal(left.rows.length, 0, 'rejections leave the outbox: they wait for the operator');
    });

    it('a transient failure of a record pushed along (no outbox row) gives it a row with a backoff', async () => {
      await ensureWorkspace(db, 'along', 'paid');
      await db.query(
        `INSERT INTO integrations (workspace_id, crm, connection, sync_user_id) VALUES ('along', 'hubspot', 'c', 'sync')`,
      );
      const id = '7a000000-0000-4000-8000-000000000001';
      await db.query(`INSERT INTO accounts (id, workspace_id, name) VALUES ($1, 'along', 'Along')`, [id]);
      const failure = (): RecordedOutcome => ({
        kind: 'account',
        localId: id,
        result: 'transient',
        code: 'UNABLE_TO_LOCK_ROW',
        message: 'unable to obtain exclusive access to this record',
        field: null,
        crmId: null,
        record: {},
        inOutbox: false,
      });
      await recordOutcomes(db, 'along', 'hubspot', [failure()]);
      const row = async () =>
        (
          await db.query<{ attempts: number; wait_s: number }>(
            `SELECT attempts, extract(epoch FROM not_before - now())::int AS wait_s FROM push_outbox WHERE workspace_id = 'along'`,
          )
        ).rows.map((r) => [Number(r.attempts), Number(r.wait_s)]);
      const [[attempts, wait]] = await row();
      assert.equal(attempts, 1);
      assert.ok(wait > 50 && wait <= 60, `due again in about a minute (${wait} s)`);
      await recordOutcomes(db, 'along', 'hubspot', [failure()]);
      const [[again, longer]] = await row();
      assert.equal(again, 2, 'a repeat backs off further');
      assert.ok(longer > 110 && longer <= 120, `about two minutes (${longer} s)`);
    });

    it('a manual push of every unlinked record queues bounded pages that resume by a cursor', async () => {
      await ensureWorkspace(db, 'huge', 'paid');
      await db.query(
        `INSERT INTO integrations (workspace_id, crm, connection, sync_user_id) VALUES ('huge', 'hubspot', 'c', 'sync')`,
      );
      // Sized for a 2-core machine: 30,000 accounts, every tenth already linked.
      await db.query(
        `INSERT INTO accounts (id, workspace_id, name) SELECT gen_random_uuid(), 'huge', 'H' || n FROM generate_series(1, 30000) n`,
      );
      await db.query(`INSERT INTO crm_links (workspace_id, crm, object_kind, crm_object, crm_id, local_id)
        SELECT 'huge', 'hubspot', 'account', 'companies', 'co-' || id, id FROM accounts WHERE workspace_id = 'huge' AND name LIKE '%0'`);
      const req = { workspaceId: 'huge', crm: 'hubspot' as const, kind: 'account' as const, requestedBy: null };
      let after: string | null = null;
      let total = 0;
      let pages = 0;
      do {
        const page: { queued: number; last: string | null } = await enqueueUnlinkedPage(db, req, after);
        assert.ok(page.queued <= MANUAL_PUSH_PAGE, 'each transaction is bounded');
        if (after !== null && page.last !== null) assert.ok(page.last > after, 'the cursor moves on');
        total += page.queued;
        after = page.last;
        pages++;
      } while (after !== null);
      assert.equal(total, 27_000, 'every unlinked account once, no linked one');
      assert.equal(pages, Math.ceil(27_000 / MANUAL_PUSH_PAGE) + (27_000 % MANUAL_PUSH_PAGE ? 0 : 1));
      const q = await db.query<{ n: number; manual: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE manual)::int AS manual FROM push_outbox WHERE workspace_id = 'huge'`,
      );
      assert.deepEqual(q.rows[0], { n: 27_000, manual: 27_000 });
    });
  });
}

storeSuite('PGlite', () => openDb());

describe('planner statistics on PGlite (no autovacuum)', () => {
  const reltuples = async (db: Db, table: string) =>
    Number(
      (await db.query<{ n: number }>('SELECT reltuples::int AS n FROM pg_class WHERE relname = $1', [table])).rows[0].n,
    );

  it('analyzes at open, then the tables that grew', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-sync-stats-'));
    try {
      let db = await openDb({ dataDir: dir });
      await ensureWorkspace(db, 'big', 'paid');
      await db.query(
        `INSERT INTO contacts (id, workspace_id, email) SELECT gen_random_uuid(), 'big', 'p' || n || '@x.example' FROM generate_series(1, 5000) AS n`,
      );
      assert.ok((await reltuples(db, 'contacts')) < 1000, 'nothing has analyzed the new rows yet');
      await db.close();

      db = await openDb({ dataDir: dir });
      assert.ok((await reltuples(db, 'contacts')) > 4000, 'reopening analyzes every table');
      const ticking = keepStatistics(db, 50);
      await db.query(`INSERT INTO crm_links (workspace_id, crm, object_kind, crm_object, crm_id, local_id)
        SELECT workspace_id, 'hubspot', 'contact', 'contacts', 'c' || id, id FROM contacts`);
      await waitFor(
        'links analyzed',
        () => reltuples(db, 'crm_links'),
        (n) => n > 4000,
        5_000,
      );
      await ticking.stop();
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

let pg: { url: string; dir: string } | undefined;
storeSuite(
  'PostgreSQL',
  async () => {
    const out = execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh')], { encoding: 'utf8' }).trim();
    const env = Object.fromEntries(out.split(' ').map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
    pg = { url: env.DATABASE_URL, dir: env.PG_TEST_DIR };
    return openDb({ databaseUrl: pg.url });
  },
  () => {
    if (pg) execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh'), 'stop', pg.dir]);
  },
);
