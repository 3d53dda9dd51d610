import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../src/store/db';
import { ensureWorkspace } from '../src/store/workspace-store';
import { ROOT } from './support/tools';
import { startStubEnv, type StubEnv } from './workflow/stub-env';

/**
 * The built CLI as an operator runs it (a child process), on bad input first: every refusal is one
 * line on stderr with exit code 1 and nothing on stdout. The command-line checks run with Temporal
 * and the database pointed at closed ports, so a check that let input through would show up as a
 * connection error instead of the expected sentence. Then the database (PostgreSQL, throwaway) and
 * Temporal (the time-skipping server with the real workflow and stub activities) for what only they
 * can answer: unknown workspaces, records and integrations, the workflow's refusals, `status --watch`
 * and `push --kind accounts`.
 */
describe('CLI: bad input is refused with one line and loses nothing', { timeout: 240_000 }, () => {
  let pg: { url: string; dir: string };
  let db: Db;
  let s: StubEnv;
  const WS = 'cli-bad-input';
  const OFFLINE = { TEMPORAL_ADDRESS: '127.0.0.1:1', DATABASE_URL: 'postgres://crm:SECRET-pw@127.0.0.1:1/postgres' };

  before(async () => {
    const out = execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh')], { encoding: 'utf8' }).trim();
    const env = Object.fromEntries(out.split(' ').map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
    pg = { url: env.DATABASE_URL, dir: env.PG_TEST_DIR };
    db = await openDb({ databaseUrl: pg.url, poolMax: 1 });
    await ensureWorkspace(db, WS, 'paid');
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
    await db?.close();
    if (pg) execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh'), 'stop', pg.dir]);
  });

  interface Run {
    code: number | null;
    out: string;
    err: string;
  }
  /** Runs lib/src/client/cli.js; `onOut` sees stdout as it comes (the watch test waits on it). */
  function cli(args: string[], env: Record<string, string>, onOut?: (soFar: string) => void): Promise<Run> {
    return new Promise((done, failed) => {
      const child = spawn(process.execPath, [resolve(ROOT, 'lib/src/client/cli.js'), ...args], {
        env: { ...process.env, ...env },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += String(d);
        onOut?.(out);
      });
      child.stderr.on('data', (d: Buffer) => (err += String(d)));
      child.on('error', failed);
      child.on('close', (code) => done({ code, out, err }));
    });
  }
  const live = () => ({ TEMPORAL_ADDRESS: s.env.address, DATABASE_URL: pg.url });

  /** Exit 1, nothing on stdout, exactly one stderr line that matches, and no secret in it. */
  async function refused(args: string[], message: RegExp | string, env: Record<string, string> = OFFLINE) {
    const r = await cli(args, env);
    const what = `crm-sync ${args.join(' ')}`;
    assert.equal(r.code, 1, `${what}: exit code (stderr: ${r.err})`);
    assert.equal(r.out, '', `${what}: nothing on stdout`);
    assert.equal(r.err.trimEnd().split('\n').length, 1, `${what}: one line, got ${JSON.stringify(r.err)}`);
    assert.doesNotMatch(r.err, /SECRET/, `${what}: no secret`);
    const line = r.err.trimEnd();
    if (typeof message === 'string') assert.equal(line, `crm-sync: ${message}`, what);
    else assert.match(line, message, what);
  }

  const ID = '5e0c1f4a-0000-4000-8000-00000000c11a';

  it('the command line is checked before Temporal or the database is reached', async () => {
    const cases: [string[], string][] = [
      [[], 'name a command (crm-sync --help lists them)'],
      [['statu', 'acme'], 'unknown command "statu" (crm-sync --help lists them)'],
      [['status'], 'status needs the workspace id'],
      [['status', 'acme', 'extra'], 'status takes no argument after the workspace id (got "extra")'],
      [['status', 'acme', '--foo'], 'unknown option --foo'],
      [['status', 'acme', '-x'], 'unknown option -x'],
      [['status', 'a b'], 'workspace id "a b" must be 1-64 letters, digits, "_" or "-"'],
      [['status', 'acme', '--watch=yes'], '--watch takes no value'],
      [['history', 'acme', '--kind', 'account'], 'history does not take --kind'],
      [['history', 'acme', '--limit'], '--limit needs a value'],
      [['history', 'acme', '--limit', '--crm', 'hubspot'], '--limit needs a value'],
      [['history', 'acme', '--limit', 'abc'], '--limit must be a whole number from 1 to 10000 (got "abc")'],
      [['errors', 'acme', '--limit', '0'], '--limit must be a whole number from 1 to 10000 (got "0")'],
      [['errors', 'acme', '--limit', '2.5'], '--limit must be a whole number from 1 to 10000 (got "2.5")'],
      [['history', 'acme', '--limit', '5', '--limit', '6'], '--limit is given twice'],
      [['errors', 'acme', '--job-type', 'pul'], '--job-type must be pull or push (got "pul")'],
      [['errors', 'acme', 'retry', '--limit', '5'], 'errors retry does not take --limit'],
      [['errors', 'acme', 'retry', '--ids', ' , '], '--ids names no record id'],
      [['status', 'acme', '--crm', 'zoho'], '--crm must be hubspot or salesforce (got "zoho")'],
      [
        ['start', 'acme', '--sync-user', 'u1'],
        "start needs --connection NAME (a connection of the worker's connections file)",
      ],
      [
        ['start', 'acme', '--connection', 'c', '--sync-user', 'u', '--plan', 'gold'],
        '--plan must be paid or free (got "gold")',
      ],
      [['push', 'acme', '--all'], 'push needs --kind contact or account'],
      [['push', 'acme', '--kind', 'company', '--all'], '--kind must be contact or account (got "company")'],
      [['push', 'acme', '--kind', 'account'], 'push needs either --ids ID,ID or --all (one of them)'],
      [
        ['push', 'acme', '--kind', 'account', '--all', '--ids', ID],
        'push needs either --ids ID,ID or --all (one of them)',
      ],
      [
        ['push', 'acme', '--kind', 'contact', '--ids', `${ID},abc`],
        '--ids entry "abc" is not a workspace record id (a UUID)',
      ],
      [['settings', 'acme', '--set', '[30]'], `--set must be a JSON object, e.g. '{"title":"CTO"}'`],
      [['contacts', 'add', 'acme'], 'contacts add needs --json with the fields'],
      [['contacts', 'remove', 'acme'], 'contacts needs add, update, delete or merge (got "remove")'],
      [['contacts', 'delete', 'acme'], 'contacts delete needs the record id'],
      [['accounts', 'delete', 'acme', 'x9'], 'account id "x9" is not a workspace record id (a UUID)'],
      [['contacts', 'delete', 'acme', ID, '--json', '{}'], 'contacts delete does not take --json'],
      [['contacts', 'merge', 'acme', ID], 'contacts merge needs the id to keep and the id to merge into it'],
      [['accounts', 'merge', 'acme', ID, 'x9'], 'account id to merge "x9" is not a workspace record id (a UUID)'],
      [['contacts', 'merge', 'acme', ID, ID.toUpperCase()], `contacts merge needs two different ids (got ${ID} twice)`],
      [['duplicates', 'acme', 'x'], 'duplicates takes no argument after the workspace id (got "x")'],
      [['contacts', 'update', 'acme', '--json', '{}'], 'contacts update needs the record id'],
      [['contacts', 'update', 'acme', '42', '--json', '{}'], 'contact id "42" is not a workspace record id (a UUID)'],
      [['accounts', 'add', 'acme', '--json', '{"name":'], '--json is not valid JSON: Unexpected end of JSON input'],
      [['explain', 'acme', 'person', ID], 'the record kind must be contact or account (got "person")'],
      [['explain', 'acme', 'contact'], 'explain needs the record kind (contact or account) and its id'],
      [['lists', 'acme', 'frob'], 'lists has no sub-command "frob" (create, add, remove, delete)'],
      [['lists', 'acme', 'create', 'MQL'], 'lists create needs --kind contact or account'],
      [['lists', 'acme', 'add', 'mql'], 'lists add needs the list id and at least one record id'],
      [['lists', 'acme', 'remove', 'mql', 'x1'], 'record id "x1" is not a workspace record id (a UUID)'],
      [['lists', 'acme', 'delete', 'mql', ID], `lists delete takes only the list id (got "${ID}")`],
      [['lists', 'acme', '--kind', 'contact'], '--kind goes with lists create only'],
    ];
    for (const [args, message] of cases) await refused(args, message);
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const r = await cli(['--help'], OFFLINE);
    assert.equal(r.code, 0);
    assert.match(r.out, /^usage: crm-sync <command> <workspaceId>/);
    assert.match(r.out, /push <ws> --kind contact\|account/);
    assert.equal(r.err, '');
  });

  it('an unreachable database or Temporal is one line naming where, without the password', async () => {
    await refused(['history', WS], 'the workspace database at 127.0.0.1:1 cannot be opened (ECONNREFUSED)');
    await refused(['status', WS], /^crm-sync: Temporal at 127\.0\.0\.1:1 is not reachable \(/);
    await refused(['history', WS], 'PG_POOL_MAX must be a whole number of at least 1 (got "lots")', {
      ...OFFLINE,
      PG_POOL_MAX: 'lots',
    });
  });

  it('an unknown workspace or record is refused by name and nothing is written', async () => {
    const count = async (ws: string) =>
      Number(
        (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM contacts WHERE workspace_id = $1', [ws])).rows[0]
          .n,
      );
    await refused(['history', 'nowhere'], 'no workspace nowhere', live());
    await refused(
      ['contacts', 'add', 'nowhere', '--json', '{"email":"ann@nowhere.example"}'],
      'no workspace nowhere',
      live(),
    );
    assert.equal(await count('nowhere'), 0);
    await refused(
      ['contacts', 'update', WS, ID, '--json', '{"title":"CTO"}'],
      `no contact ${ID} in workspace ${WS}`,
      live(),
    );
    await refused(
      ['contacts', 'add', WS, '--json', '{"shoe_size":"9"}'],
      /^crm-sync: invalid contact: .*shoe_size/,
      live(),
    );
    await refused(['contacts', 'delete', WS, ID], `no contact ${ID} in workspace ${WS}`, live());
    const other = '5e0c1f4a-0000-4000-8000-00000000c11b';
    await refused(['contacts', 'merge', WS, ID, other], `no contact ${ID} in workspace ${WS}`, live());
    assert.equal(await count(WS), 0, 'the refused writes left nothing');
    // Valid input still goes through: a limit that is a number reaches the database.
    const ok = await cli(['history', WS, '--limit', '3'], live());
    assert.deepEqual([ok.code, ok.err], [0, '']);
    const added = await cli(['contacts', 'add', WS, '--json', '{"email":"ann@cli.example"}'], live());
    assert.equal(added.code, 0, added.err);
    assert.equal(await count(WS), 1);
    // A merge of two kinds, or of a record with itself, is refused and both records stay.
    const contact = (JSON.parse(added.out) as { id: string }).id;
    const account = await cli(['accounts', 'add', WS, '--json', '{"name":"Cli Co","domain":"cli-co.example"}'], live());
    const accountId = (JSON.parse(account.out) as { id: string }).id;
    await refused(
      ['contacts', 'merge', WS, contact, accountId],
      `${accountId} is an account, not a contact: only two contacts can be merged`,
      live(),
    );
    await refused(
      ['accounts', 'merge', WS, accountId, contact],
      `${contact} is a contact, not an account: only two accounts can be merged`,
      live(),
    );
    assert.equal(await count(WS), 1, 'the refused merges left the contact');
    // Two accounts of one domain, flagged as a pull flags them: listed, then merged away.
    const twin = await cli(['accounts', 'add', WS, '--json', '{"name":"Cli Co 2","domain":"cli-co.example"}'], live());
    const twinId = (JSON.parse(twin.out) as { id: string }).id;
    await db.query('UPDATE accounts SET potential_duplicate = true WHERE workspace_id = $1', [WS]);
    const listed = await cli(['duplicates', WS], live());
    assert.deepEqual(
      [listed.code, listed.out.trimEnd().split('\n')],
      [
        0,
        [
          'account domain=cli-co.example  records=2',
          `  ${accountId}  not linked to a CRM`,
          `  ${twinId}  not linked to a CRM`,
        ],
      ],
      listed.err,
    );
    const merged = await cli(['accounts', 'merge', WS, accountId, twinId], live());
    assert.equal(merged.code, 0, merged.err);
    const none = await cli(['duplicates', WS], live());
    assert.deepEqual([none.code, none.out.trim()], [0, 'no open potential duplicates']);
    const deleted = await cli(['contacts', 'delete', WS, contact], live());
    assert.equal(deleted.code, 0, deleted.err);
    assert.equal(await count(WS), 0, 'deleted');
  });

  it('Temporal: a missing integration is named; a workflow refusal is its one sentence', async () => {
    await refused(
      ['status', 'nowhere'],
      'workspace nowhere has no hubspot integration (no workflow integration:nowhere:hubspot; for Salesforce add --crm salesforce)',
      live(),
    );
    const x = await s.start({ plan: 'paid' });
    await x.waitForPhase('configuring');
    await refused(['pull-now', x.workspaceId], /^crm-sync: .*window/i, live());
    await refused(
      ['reconcile', x.workspaceId],
      /^crm-sync: .*reconciliation is not available during the configuration window/i,
      live(),
    );
    await x.disconnect();
  });

  it('status --watch follows the window and the initial pull until syncing (the client stays open)', async () => {
    const x = await s.start({ plan: 'paid' });
    await x.waitForPhase('configuring');
    let sawWindow!: () => void;
    const windowShown = new Promise<void>((r) => (sawWindow = r));
    const watching = cli(['status', x.workspaceId, '--watch'], live(), (soFar) => {
      if (/configuring until /.test(soFar)) sawWindow();
    });
    // The old CLI closed its client before the first query and exited at once: that must fail here, not hang.
    const first = await Promise.race([windowShown.then(() => 'shown'), watching.then(() => 'exited')]);
    if (first === 'exited') assert.fail(`status --watch ended before showing the window: ${(await watching).err}`);
    await x.startSyncNow();
    const r = await watching;
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const final = JSON.parse(r.out.slice(r.out.indexOf('\n') + 1)) as {
      phase: string;
      initialPull: { finished: boolean };
    };
    assert.equal(final.phase, 'syncing');
    assert.equal(final.initialPull.finished, true);
    await x.disconnect();
  });

  it('push --kind accounts pushes accounts (the plural is the kind, not a fall-back to contacts)', async () => {
    const x = await s.start({ plan: 'free' });
    await x.waitForPhase('syncing');
    const r = await cli(['push', x.workspaceId, '--kind', 'accounts', '--all'], live());
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { queued: 7 });
    const manual = x.crm.calls.filter((c) => c.name === 'enqueueManualPush');
    assert.deepEqual(
      manual.map((c) => c.kind),
      ['account'],
    );
    await x.disconnect();
  });
});
