import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../src/config';
import { connectionsFileProblems } from '../src/crm/connections-file';
import { CrmConnections, fileConnections } from '../src/crm/connections';
import { CrmError } from '../src/crm/errors';
import { HubSpotAdapter } from '../src/crm/hubspot/adapter';
import { SalesforceAdapter } from '../src/crm/salesforce/adapter';

/**
 * The worker's CRM_CONNECTIONS_FILE read the way activities read it (CrmConnections.adapter): one bad
 * entry stops only its own connection, whole-file problems are retryable and say where, and no
 * message ever carries text from the file (every token below contains SECRET).
 */
describe('connections file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-sync-connections-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  /** Writes `text` owner-only, as the main job does, unless a mode is given. */
  function file(text: string, mode = 0o600): string {
    const path = join(dir, `connections-${++n}.json`);
    writeFileSync(path, text, { mode });
    chmodSync(path, mode); // the umask may have narrowed it; tests need the mode exactly
    return path;
  }
  const good = {
    'acme-hubspot': { crm: 'hubspot', accessToken: 'pat-SECRET-acme', baseUrl: 'http://127.0.0.1:1' },
    'globex-salesforce': { crm: 'salesforce', accessToken: 'sf-SECRET-globex', instanceUrl: 'http://127.0.0.1:2' },
  };
  /** The CrmError the adapter lookup throws, checked to be one line with nothing secret in it. */
  function failure(path: string, name: string): CrmError {
    try {
      new CrmConnections(fileConnections(path)).adapter(name);
    } catch (err) {
      assert.ok(err instanceof CrmError, `a CrmError, got ${String(err)}`);
      assert.doesNotMatch(err.message, /SECRET/, 'no token text in the message');
      assert.equal(err.message.split('\n').length, 1, 'one line');
      return err;
    }
    assert.fail(`adapter(${name}) did not throw`);
  }

  it('a bad entry stops only its connection (auth, naming the entry); the others resolve', () => {
    const path = file(
      JSON.stringify({ ...good, broken: { crm: 'hubspot', acessToken: 'pat-SECRET-typo' }, other: 'pat-SECRET-bare' }),
    );
    const connections = new CrmConnections(fileConnections(path));
    assert.ok(connections.adapter('acme-hubspot') instanceof HubSpotAdapter);
    assert.ok(connections.adapter('globex-salesforce') instanceof SalesforceAdapter);
    const broken = failure(path, 'broken');
    assert.equal(broken.kind, 'auth');
    assert.equal(broken.message, `connection "broken" in ${path} is invalid: accessToken is missing`);
    // An entry that is just the token string: said to be the wrong shape, the token not repeated.
    assert.equal(
      failure(path, 'other').message,
      `connection "other" in ${path} is invalid: the entry must be an object`,
    );
    assert.deepEqual(connectionsFileProblems(path), [
      `connection "broken" in ${path} is invalid: accessToken is missing`,
      `connection "other" in ${path} is invalid: the entry must be an object`,
    ]);
  });

  it('an unknown crm, a bad URL or a refresh token without its client is described without the value given', () => {
    const path = file(
      JSON.stringify({
        a: { crm: 'SECRET-crm', accessToken: 'x' },
        b: { crm: 'salesforce', accessToken: 'x', instanceUrl: 'SECRET not a url' },
        c: { crm: 'salesforce', accessToken: 'x', instanceUrl: 'http://h', apiReservePercent: 95 },
        d: { crm: 'salesforce', accessToken: 'x', instanceUrl: 'http://h', refreshToken: '5Aep-SECRET-refresh' },
        e: {
          crm: 'salesforce',
          accessToken: 'x',
          instanceUrl: 'http://h',
          refreshToken: 'r',
          clientId: 'c',
          loginUrl: 'SECRET',
        },
      }),
    );
    // The refresh-token flow needs the connected app's consumer key; the refresh token is not echoed.
    assert.match(
      failure(path, 'd').message,
      /: clientId is needed with a refreshToken \(the connected app's consumer key\)$/,
    );
    assert.match(failure(path, 'e').message, /: loginUrl must be a URL$/);
    assert.match(failure(path, 'a').message, /: crm must be "hubspot" or "salesforce"$/);
    assert.match(failure(path, 'b').message, /: instanceUrl must be a URL$/);
    assert.match(failure(path, 'c').message, /: apiReservePercent number must be less than or equal to 90$/);
  });

  it('a JSON syntax error names line and column, never the text around it; transient for every connection', () => {
    const path = file('{\n  "acme-hubspot": {"crm": "hubspot", "accessToken": pat-SECRET-unquoted}\n}');
    const err = failure(path, 'acme-hubspot');
    assert.equal(err.kind, 'transient', 'retried: fixing the file resumes work without a reauthorize');
    assert.equal(err.message, `connections file ${path} is not valid JSON`);
    const trailing = file('{\n  "acme-hubspot": {"crm": "hubspot", "accessToken": "pat-SECRET-x",}\n}');
    assert.equal(
      failure(trailing, 'acme-hubspot').message,
      `connections file ${trailing} is not valid JSON (line 2, column 68)`,
    );
  });

  it('a top-level array or a missing file is a one-line file problem', () => {
    const array = file(JSON.stringify([good]));
    assert.equal(
      failure(array, 'acme-hubspot').message,
      `connections file ${array} must hold one JSON object: connection name -> connection`,
    );
    const missing = join(dir, 'absent.json');
    assert.equal(failure(missing, 'acme-hubspot').message, `connections file ${missing} cannot be read (ENOENT)`);
  });

  it(
    'a file group or others can access is refused until chmod 600, which takes effect without a restart',
    {
      skip: process.platform === 'win32' ? 'no POSIX modes' : false,
    },
    () => {
      const path = file(JSON.stringify(good), 0o644);
      const connections = new CrmConnections(fileConnections(path));
      const err = failure(path, 'acme-hubspot');
      assert.equal(err.kind, 'transient');
      assert.equal(
        err.message,
        `connections file ${path} is accessible to group or others (mode 0644) and holds CRM tokens; run chmod 600 on it`,
      );
      chmodSync(path, 0o620); // group-writable only: still refused (a writer could redirect a connection)
      assert.match(failure(path, 'acme-hubspot').message, /mode 0620/);
      chmodSync(path, 0o600);
      assert.ok(connections.adapter('acme-hubspot') instanceof HubSpotAdapter, 'the same source resolves once fixed');
    },
  );

  it('configuration numbers and URLs are checked, the database URL never echoed', () => {
    assert.throws(() => loadConfig({ PG_POOL_MAX: 'abc' }), {
      message: 'PG_POOL_MAX must be a whole number of at least 1 (got "abc")',
    });
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://u:SECRET@h/db' }),
      (err: Error) => {
        assert.equal(err.message, 'DATABASE_URL must be a postgres:// or postgresql:// URL');
        return true;
      },
    );
    assert.equal(loadConfig({ PG_POOL_MAX: '1' }).poolMax, 1);
  });
});
