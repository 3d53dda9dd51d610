import assert from 'node:assert/strict';
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_INPUTS, DEMO_PORTAL } from '../src/dev/demo-setup';
import { exited, freePort, spawnNode, stopChild } from '../src/dev/processes';
import { DevStack } from '../src/dev/stack';
import { HubSpotSandboxAdmin } from '../src/sandbox/hubspot/admin-client';
import { openDb, type Db } from '../src/store/db';
import { workspaceCounts } from '../src/store/reports';
import { operate, waitFor, type IntegrationControls } from './support/harness';
import { ROOT } from './support/tools';

/**
 * docker-compose.yml cannot run on this machine (no Docker engine), so this test runs the same
 * entry points it names, as processes configured only by the environment compose gives them:
 * the sandbox, the one-shot demo set-up (twice: it must be idempotent), and the worker against
 * PostgreSQL and a real dev server. The demo's JSON then starts an integration that pulls it all.
 */
describe('the services of docker-compose.yml, as processes', () => {
  const compose = readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8');
  let stack: DevStack;
  let sandboxData: string;
  let connectionsFile: string;
  let pg: { url: string; dir: string };
  let sandbox: { child: ChildProcess; url: string };
  let salesforce: { child: ChildProcess; url: string };
  let db: Db;
  let crmContacts = 0;
  let crmCompanies = 0;
  /** The HubSpot integration, left running by the pull test for the CLI test. */
  let acme: IntegrationControls | undefined;

  before(async () => {
    const out = execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh')], { encoding: 'utf8' }).trim();
    const env = Object.fromEntries(out.split(' ').map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
    pg = { url: env.DATABASE_URL, dir: env.PG_TEST_DIR };
    stack = await DevStack.start({ name: 'compose' });
    // The worker and the CLI use PostgreSQL, as compose's services do.
    stack.useDatabase(pg.url);
    sandboxData = join(stack.dir, 'hubspot-sandbox.json');
    // demo-setup writes the worker's connections file where the stack keeps it.
    connectionsFile = stack.connectionsFile;
    sandbox = await startSandbox();
    salesforce = await stack.startService('sandbox/salesforce/main.js', {
      SALESFORCE_SANDBOX_PORT: String(await freePort()),
      SALESFORCE_SANDBOX_DATA_FILE: join(stack.dir, 'sf.json'),
    });
  });
  after(async () => {
    await db?.close();
    await stack?.stop();
    if (pg) execFileSync('bash', [resolve(ROOT, 'scripts/test-postgres.sh'), 'stop', pg.dir]);
  });

  async function startSandbox() {
    return stack.startService('sandbox/hubspot/main.js', {
      HUBSPOT_SANDBOX_PORT: String(await freePort()),
      HUBSPOT_SANDBOX_DATA_FILE: sandboxData,
    });
  }

  /** Runs demo-setup to its end, as compose's one-shot service; returns its log lines. */
  async function demoSetup(): Promise<Record<string, unknown>[]> {
    const child = spawnNode(
      'dev/demo-setup.js',
      {
        HUBSPOT_SANDBOX_URL: sandbox.url,
        SALESFORCE_SANDBOX_URL: salesforce.url,
        CRM_CONNECTIONS_FILE: connectionsFile,
        DATABASE_URL: pg.url,
        LOG_FORMAT: 'json',
      },
      ['ignore', 'pipe', 'inherit'],
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await exited(child);
    assert.equal(child.exitCode, 0, `demo-setup exited with ${child.exitCode}: ${out}`);
    return out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it('names only entry points the build produces', () => {
    const entries = [...compose.matchAll(/lib\/src\/[\w/.-]+\.js/g)].map((m) => m[0]);
    assert.ok(
      entries.length >= 4,
      `compose names the sandbox, demo-setup, worker and CLI (found ${entries.join(', ')})`,
    );
    for (const e of new Set(entries)) assert.ok(existsSync(resolve(ROOT, e)), `${e} exists after the build`);
  });

  it('seeds the demo once; a second run changes nothing; the sandbox keeps it across a restart', async () => {
    const first = await demoSetup();
    assert.ok(
      first.some((l) => JSON.stringify(l.seeded) === JSON.stringify(['hubspot', 'salesforce'])),
      'the first run seeds both CRMs',
    );
    assert.equal(
      statSync(connectionsFile).mode & 0o777,
      0o600,
      'the connections file, which holds the token, is owner-only',
    );
    const written = readFileSync(connectionsFile, 'utf8');
    const second = await demoSetup();
    assert.ok(
      second.some((l) => Array.isArray(l.seeded) && l.seeded.length === 0),
      'the second run finds the demo in place',
    );
    assert.equal(readFileSync(connectionsFile, 'utf8'), written, 'and keeps the token');

    await stopChild(sandbox.child);
    sandbox = await startSandbox();
    assert.deepEqual(await HubSpotSandboxAdmin.portals(sandbox.url), [DEMO_PORTAL]);
    const admin = new HubSpotSandboxAdmin(sandbox.url, DEMO_PORTAL);
    crmContacts = (await admin.ids('contacts')).count;
    crmCompanies = (await admin.ids('companies')).count;
    // 5,000 contacts plus 25 duplicates of some of them; 1,000 companies.
    assert.equal(crmContacts, 5_025);
    assert.equal(crmCompanies, 1_000);
  });

  it('the worker, configured as compose configures it, pulls the whole demo portal', async () => {
    // The HubSpot sandbox restarted on another port: point the connection at it, as compose's fixed hostname would.
    const conn = JSON.parse(readFileSync(connectionsFile, 'utf8'));
    conn['acme-hubspot'].baseUrl = sandbox.url;
    const movedFile = join(stack.dir, 'connections-moved.json');
    writeFileSync(movedFile, JSON.stringify(conn), { mode: 0o600 });

    stack.startWorker({ env: { CRM_CONNECTIONS_FILE: movedFile } });
    await stack.waitForWorker();
    // The very inputs main.ts prints for the UI's Start Workflow form.
    const pulled = [];
    for (const input of [DEMO_INPUTS.hubspot, DEMO_INPUTS.salesforce]) {
      const x = operate(await stack.startIntegration(input));
      await x.waitForPhase('configuring');
      await x.startSyncNow();
      pulled.push({ x, input });
    }
    for (const { x, input } of pulled) {
      const s = await x.waitForStatus('initial pull', (st) => st.lastPull?.kind === 'initial', 180_000);
      assert.equal(s.lastPull?.failure, undefined);
      if (input.crm === 'hubspot') acme = x;
      else await x.disconnect();
    }

    db = await openDb({ databaseUrl: pg.url });
    const counts = await workspaceCounts(db, 'acme', 'hubspot');
    assert.equal(counts.contacts, crmContacts);
    assert.equal(counts.accounts, crmCompanies);
    // Every demo record has a CRM owner, and the demo's reps carry the owners' emails: all resolve.
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM contacts WHERE workspace_id = 'acme' AND owner_user_id LIKE 'u-rep%'",
    );
    assert.equal(Number(rows[0].n), crmContacts);

    // Salesforce: every contact (4,000 + 20 from converted leads + 10 duplicates) and the 1,500 leads
    // that are nobody's contact; the 30 leads that are also contacts, and the converted ones, are not.
    const sf = await workspaceCounts(db, 'globex', 'salesforce');
    assert.equal(sf.contacts, 4_030 + 1_500);
    assert.equal(sf.accounts, 1_020);
    assert.ok(sf.potentialDuplicates >= 20, `duplicates flagged: ${sf.potentialDuplicates}`);
  });

  it('the CLI writes records and pushes them to HubSpot; bad input gets one line and writes nothing', async () => {
    assert.ok(acme, 'the HubSpot integration of the pull test is syncing');
    const admin = new HubSpotSandboxAdmin(sandbox.url, DEMO_PORTAL);
    const linked = async (localId: string) =>
      (
        await db.query<{ crm_id: string }>(
          "SELECT crm_id FROM crm_links WHERE workspace_id = 'acme' AND crm = 'hubspot' AND local_id = $1",
          [localId],
        )
      ).rows[0]?.crm_id;
    const inHubSpot = async (localId: string) => {
      const id = await linked(localId);
      return id ? (await admin.get('contacts', id)).properties : undefined;
    };

    const added = JSON.parse(
      (
        await cli(
          'contacts',
          'add',
          'acme',
          '--json',
          JSON.stringify({ email: 'cli.user@cli-co.example', first_name: 'Cli', last_name: 'User' }),
        )
      ).out,
    );
    assert.equal(added.created, true);
    assert.deepEqual(added.crms, ['hubspot']);
    await waitFor(
      'pushed',
      () => inHubSpot(added.id),
      (p) => p?.email === 'cli.user@cli-co.example',
    );
    await cli('contacts', 'update', 'acme', added.id, '--json', '{"title":"CTO"}');
    await waitFor(
      'update pushed',
      () => inHubSpot(added.id),
      (p) => p?.jobtitle === 'CTO',
    );

    // Net-new contact push off: a new contact waits, until `push` sends it by hand.
    await cli('settings', 'acme', '--set', JSON.stringify({ push: { contacts: { enabled: false } } }));
    const held = JSON.parse(
      (await cli('contacts', 'add', 'acme', '--json', '{"email":"held@cli-co.example","last_name":"Held"}')).out,
    );
    await waitFor(
      'considered',
      () => acme!.status(),
      (x) => x.push.due === 0 && !x.push.pushing,
    );
    assert.equal(await linked(held.id), undefined);
    const refused = await cli('push', 'acme', '--kind', 'contact', '--ids', held.id);
    assert.equal(refused.code, 1);
    assert.equal(refused.err.trim(), 'crm-sync: manual push is refused: contact push is disabled in the sync settings');
    await cli(
      'settings',
      'acme',
      '--set',
      JSON.stringify({ push: { contacts: { enabled: true, conditions: { stages: ['customer'] } } } }),
    );
    assert.deepEqual(JSON.parse((await cli('push', 'acme', '--kind', 'contact', '--ids', held.id)).out), { queued: 1 });
    await waitFor(
      'pushed by hand',
      () => inHubSpot(held.id),
      (p) => p?.email === 'held@cli-co.example',
    );

    const account = JSON.parse(
      (await cli('accounts', 'add', 'acme', '--json', '{"name":"Cli Co","domain":"CLI-co.example"}')).out,
    );
    await waitFor(
      'account pushed',
      () => linked(account.id),
      (id) => !!id,
    );
    assert.equal((await admin.get('companies', (await linked(account.id))!)).properties.domain, 'cli-co.example');

    const before = (await workspaceCounts(db, 'acme', 'hubspot')).contacts;
    for (const [json, message] of [
      ['{"email":"not-an-email"}', /^crm-sync: invalid contact: email: must be an email address$/],
      ['{"email":', /^crm-sync: .*JSON/],
      ['{"shoe_size":"9"}', /^crm-sync: invalid contact: .*shoe_size/],
    ] as const) {
      const bad = await cli('contacts', 'add', 'acme', '--json', json);
      assert.equal(bad.code, 1, json);
      assert.equal(bad.err.trim().split('\n').length, 1, `one line for ${json}: ${bad.err}`);
      assert.match(bad.err.trim(), message);
    }
    assert.equal((await workspaceCounts(db, 'acme', 'hubspot')).contacts, before, 'bad input wrote nothing');
    assert.deepEqual(JSON.parse((await cli('errors', 'acme', 'retry')).out), { queued: 0 });
    assert.match((await cli('errors', 'acme')).out, /contacts=\d+ accounts=\d+/);
    await acme.disconnect();
  });

  /** Runs the CLI as an operator would, against the dev server and the database. */
  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    return new Promise((done) => {
      execFile(
        process.execPath,
        [resolve(ROOT, 'lib/src/client/cli.js'), ...args],
        { env: { ...process.env, TEMPORAL_ADDRESS: stack.temporal.address, DATABASE_URL: pg.url } },
        (err, out, errOut) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
      );
    });
  }
});
