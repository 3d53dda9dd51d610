import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../src/activities/failures';
import { CrmError } from '../src/crm/errors';
import { SalesforceAdapter } from '../src/crm/salesforce/adapter';
import { FAILURE_TYPE } from '../src/domain/failure-types';
import { newSalesforceTenant, newTenant, startHarness, type Harness } from './support/harness';

/**
 * Bad data and standing refusals from the CRM, end to end through the official clients: the
 * sandboxes hold what an import can leave (NUL, lone surrogates, a malformed updatedAt) or refuse
 * a connection with a Salesforce code, and the pull still finishes, or fails visibly, once.
 * The cases are listed in docs/bad-input-cases-crm-data.md.
 */
describe('bad CRM data (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  const linkTime = async (workspaceId: string, crmId: string) =>
    (
      await h.db.query<{ t: string | null }>(
        'SELECT crm_modified_at AS t FROM crm_links WHERE workspace_id = $1 AND crm_id = $2',
        [workspaceId, crmId],
      )
    ).rows[0]?.t;
  const ownerNames = async (workspaceId: string) =>
    (
      await h.db.query<{ name: string; email: string | null }>(
        'SELECT name, email FROM crm_owners WHERE workspace_id = $1 ORDER BY name',
        [workspaceId],
      )
    ).rows;

  it('HubSpot: NUL and lone surrogates are cleaned, a record with no usable time is pulled, the pull finishes', async () => {
    const t = await newTenant(h, { contacts: 10, companies: 2 });
    await t.admin.addOwner({ email: 'pat@owners.example', firstName: 'Pat\u0000', lastName: 'Lee\uD800' });
    const a = await t.admin.create('contacts', { email: 'ann@bad-text.example', firstname: 'A' });
    const b = await t.admin.create('contacts', { email: 'bo@bad-time.example', lastname: 'Time' });
    const c = await t.admin.create('contacts', { email: 'cy@bad-time.example', lastname: 'Stamp' });
    const co = await t.admin.create('companies', { name: 'x', domain: 'bad-text.example' });
    // Sent as JSON escapes (\u0000, \ud800) and stored as the characters, as a CRM holds them.
    await t.admin.storeAsIs('contacts', a.id, {
      properties: { firstname: 'An\u0000n', lastname: 'Lee\uDC00', jobtitle: '\u0000', phone: '+1 555\u0000 0100' },
    });
    // The client makes `new Date('not-a-date')` of updatedAt: an Invalid Date, whose toISOString throws.
    await t.admin.storeAsIs('contacts', b.id, { properties: { lastmodifieddate: null }, updatedAt: 'not-a-date' });
    await t.admin.storeAsIs('contacts', c.id, { properties: { lastmodifieddate: 'last tuesday' } });
    await t.admin.storeAsIs('companies', co.id, { properties: { name: 'Bad\u0000 Text \uD83D Inc' } });
    assert.equal((await t.admin.get('contacts', a.id)).properties.firstname, 'An\u0000n', 'the sandbox holds it');

    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const s = await x.status();
    assert.equal(s.lastPull?.failure, undefined);
    assert.equal(s.lastPull?.created, 10 + 3 + 2 + 1, 'every record, the bad ones included');

    const ann = (await x.recordByCrmId('contact', a.id))!.fields;
    assert.equal(ann.first_name, 'Ann');
    assert.equal(ann.last_name, 'Lee\uFFFD');
    assert.equal(ann.title, null, 'a value that was only NUL is no value');
    assert.equal(ann.phone, '+1 555 0100');
    assert.equal((await x.recordByCrmId('account', co.id))!.fields.name, 'Bad Text \uFFFD Inc');
    assert.deepEqual(
      (await ownerNames(t.workspaceId)).filter((o) => o.email === 'pat@owners.example').map((o) => o.name),
      ['Pat Lee\uFFFD'],
    );

    assert.equal((await x.recordByCrmId('contact', b.id))!.fields.last_name, 'Time');
    assert.equal(await linkTime(t.workspaceId, b.id), '', 'neither time usable: unknown');
    const cStored = await t.admin.get('contacts', c.id);
    assert.equal(await linkTime(t.workspaceId, c.id), cStored.updatedAt, 'a malformed lastmodifieddate: updatedAt');

    // Cleaning is stable: pulling the same bad data again changes nothing, and nothing is pushed back.
    await x.pullNow();
    const again = await x.waitForStatus('the manual pull', (st) => st.lastPull?.kind === 'manual');
    assert.equal(again.lastPull?.failure, undefined);
    assert.equal(again.lastPull?.updated, 0);
    assert.deepEqual([again.push.totals.linked, again.push.totals.created, again.push.due], [0, 0, 0]);
    assert.equal((await x.errorLog({ jobType: 'pull' })).length, 0);
  });

  it('Salesforce: NUL and lone surrogates in Contacts, Accounts and Users are cleaned and the pull finishes', async () => {
    const t = await newSalesforceTenant(h);
    const acct = await t.admin.create('Account', { Name: 'Acme\u0000 GmbH', Website: 'acme-bad.example' });
    const con = await t.admin.create('Contact', {
      LastName: 'Lee',
      FirstName: 'Ma\u0000ria',
      Title: 'VP \uDC00 Sales',
      Email: 'maria@acme-bad.example',
      AccountId: acct.Id,
    });
    await t.admin.create('User', {
      Username: 'sam@org.example',
      FirstName: 'Sam\u0000',
      LastName: 'Ng\uD800',
      Email: 'sam@org.example',
      IsActive: true,
    });
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });

    assert.equal((await x.status()).lastPull?.failure, undefined);
    const maria = (await x.recordByCrmId('contact', String(con.Id)))!.fields;
    assert.equal(maria.first_name, 'Maria');
    assert.equal(maria.title, 'VP \uFFFD Sales');
    assert.equal((await x.recordByCrmId('account', String(acct.Id)))!.fields.name, 'Acme GmbH');
    const sam = (await ownerNames(t.workspaceId)).find((o) => o.email === 'sam@org.example');
    assert.equal(sam?.name, 'Sam Ng\uFFFD');
  });

  it('Salesforce API_DISABLED_FOR_ORG: needsReauth with the cause, no retries, and reauthorize recovers', async () => {
    const t = await newSalesforceTenant(h);
    await t.admin.setFaults({
      apiError: {
        status: 403,
        errorCode: 'API_DISABLED_FOR_ORG',
        message: 'API is not enabled for this Organization or Partner',
      },
    });
    const x = await h.integration(t, { plan: 'free' });
    const waiting = await x.waitForPhase('needsReauth');
    assert.match(waiting.needsReauthReason!, /\(API_DISABLED_FOR_ORG\): API is not enabled for this Organization/);
    assert.match(waiting.needsReauthReason!, /enable "API Enabled", then reauthorize\)$/);
    const calls = (await t.admin.stats()).requests;
    await h.env.sleep('2h');
    assert.equal((await t.admin.stats()).requests, calls, 'no retries against the CRM');

    await t.admin.setFaults({ apiError: null });
    await x.reauthorize();
    assert.equal((await x.waitForPhase('syncing')).needsReauthReason, null);
    assert.ok(!waiting.needsReauthReason!.includes(t.token));
  });

  it('Salesforce: an expired password is auth, an unknown code is not retried, both through jsforce', async () => {
    const t = await newSalesforceTenant(h);
    const adapter = new SalesforceAdapter(`bad-data-${t.workspaceId}`, {
      accessToken: t.token,
      instanceUrl: h.salesforce.url,
    });
    const failOf = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => assert.fail('the org refuses every call'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CrmError, String(err));
      return { err, failure: toActivityFailure(err) as ApplicationFailure };
    };

    await t.admin.setFaults({
      apiError: {
        status: 403,
        errorCode: 'INVALID_OPERATION_WITH_EXPIRED_PASSWORD',
        message: 'The users password has expired, you must call SetPassword before attempting any other API operations',
      },
    });
    const expired = await failOf(adapter.verify());
    assert.equal(expired.err.kind, 'auth');
    assert.equal(expired.failure.type, FAILURE_TYPE.CrmAuth);
    assert.match(expired.failure.message, /password has expired: set a new one, then reauthorize\)$/);

    await t.admin.setFaults({ apiError: { status: 400, errorCode: 'SOMETHING_NEW', message: 'A brand new refusal' } });
    const before = (await t.admin.stats()).requests;
    const unknown = await failOf(
      adapter.fetchPage({ stream: 'Contact', cursor: null, fields: ['Email'], sinceMs: null, untilMs: Date.now() }),
    );
    assert.equal(unknown.err.kind, 'invalid');
    assert.equal(unknown.failure.type, FAILURE_TYPE.CrmInvalid);
    assert.equal(unknown.failure.nonRetryable, true);
    assert.equal(unknown.failure.message, 'Salesforce Contact query failed (SOMETHING_NEW): A brand new refusal');
    assert.equal((await t.admin.stats()).requests, before + 1, 'jsforce does not retry it either');
    for (const f of [expired.failure, unknown.failure]) assert.ok(!f.message.includes(t.token));
  });
});
