import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { ApiException } from '@hubspot/api-client/lib/codegen/crm/contacts/apis/exception';
import { toActivityFailure } from '../../src/activities/failures';
import { CrmError, oneLineCause } from '../../src/crm/errors';
import { hubspotError } from '../../src/crm/hubspot/errors';
import { salesforceError } from '../../src/crm/salesforce/errors';
import { FAILURE_TYPE } from '../../src/domain/failure-types';

/**
 * Which errors are retried: an allow-list of passing causes; everything else is not retried and
 * says why. (src/crm and src/activities, but pure: the fast tier runs it.) The errors are shaped as
 * the clients throw them: jsforce's HttpApiError (name = errorCode = Salesforce's code), the HubSpot
 * client's ApiException, node-fetch's FetchError.
 */
const sfError = (errorCode: string, message = 'Salesforce says no') =>
  Object.assign(new Error(message), { name: errorCode, errorCode });
const fetchError = (code: string) =>
  Object.assign(new Error(`request to http://crm.example/x failed, reason: ${code}`), {
    name: 'FetchError',
    type: 'system',
    code,
  });

const failureOf = (err: unknown) => toActivityFailure(err) as ApplicationFailure;

describe('Salesforce error codes', () => {
  const cases: [string, CrmError['kind'], string?][] = [
    ['SERVER_UNAVAILABLE', 'transient'],
    ['UNABLE_TO_LOCK_ROW', 'transient'],
    ['QUERY_TIMEOUT', 'transient'],
    ['REQUEST_RUNNING_TOO_LONG', 'transient'],
    ['INVALID_QUERY_LOCATOR', 'transient'],
    ['UNKNOWN_EXCEPTION', 'transient'],
    ['ERROR_HTTP_500', 'transient'],
    ['ERROR_HTTP_502', 'transient'],
    ['ERROR_HTTP_503', 'transient'],
    ['ERROR_HTTP_504', 'transient'],
    ['ERROR_HTTP_429', 'rateLimited'],
    ['ERROR_HTTP_420', 'rateLimited'],
    ['INVALID_SESSION_ID', 'auth'],
    ['INVALID_AUTH_HEADER', 'auth'],
    ['INSUFFICIENT_ACCESS', 'auth'],
    ['ERROR_HTTP_401', 'auth'],
    ['API_DISABLED_FOR_ORG', 'auth', 'enable "API Enabled", then reauthorize'],
    ['API_CURRENTLY_DISABLED', 'auth', 'switch it on, then reauthorize'],
    ['INVALID_OPERATION_WITH_EXPIRED_PASSWORD', 'auth', 'password has expired: set a new one, then reauthorize'],
    ['NOT_FOUND', 'notFound'],
    ['ENTITY_IS_DELETED', 'notFound'],
    ['MALFORMED_QUERY', 'invalid'],
    ['INVALID_FIELD', 'invalid'],
    ['MULTIPLE_API_ERRORS', 'invalid'],
    ['ERROR_HTTP_400', 'invalid'],
    // Codes nobody listed are not retried: they used to default to transient, for ever.
    ['SOME_CODE_SALESFORCE_ADDS_NEXT_YEAR', 'invalid'],
  ];
  for (const [code, kind, hint] of cases) {
    it(`${code} is ${kind}`, () => {
      const e = salesforceError(sfError(code), 'Contact query');
      assert.equal(e.kind, kind);
      assert.equal(e.details.code, code);
      assert.match(e.message, new RegExp(`^Salesforce Contact query failed \\(${code}\\): Salesforce says no`));
      if (hint) assert.ok(e.message.endsWith(`${hint})`), e.message);
    });
  }

  it('REQUEST_LIMIT_EXCEEDED: concurrent requests wait seconds, the daily allowance pauses the pull', () => {
    const concurrent = salesforceError(
      sfError('REQUEST_LIMIT_EXCEEDED', 'ConcurrentRequests (Concurrent API Requests) Limit exceeded.'),
      'query',
    );
    assert.equal(concurrent.kind, 'rateLimited');
    assert.equal(concurrent.retryAfterMs, 20_000);
    const daily = salesforceError(sfError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), 'query');
    assert.equal(daily.kind, 'dailyLimit');
  });

  it('a plain Error from jsforce (no errorCode) is not retried', () => {
    const e = salesforceError(new Error('Access token and instance URL are required'), 'identity');
    assert.equal(e.kind, 'invalid');
    assert.match(e.message, /\(Error\): Access token and instance URL are required/);
  });
});

describe('HubSpot statuses', () => {
  const api = (status: number, body: unknown = { message: 'HubSpot says no', category: 'X' }) =>
    new ApiException(status, 'An error occurred.', body, {});
  const cases: [number, CrmError['kind']][] = [
    [408, 'transient'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [504, 'transient'],
    [429, 'rateLimited'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'notFound'],
    [409, 'conflict'],
    [400, 'invalid'],
    [405, 'invalid'],
    [413, 'invalid'],
    [422, 'invalid'],
  ];
  for (const [status, kind] of cases) {
    it(`${status} is ${kind}`, () => {
      const e = hubspotError(api(status), 'contacts list');
      assert.equal(e.kind, kind);
      assert.equal(e.details.status, status);
    });
  }

  it('a 5xx HTML page (a string body) is transient and says so in one line', () => {
    const e = hubspotError(api(502, '<html>\n<body>Bad gateway</body>\n</html>'), 'contacts list');
    assert.equal(e.kind, 'transient');
    assert.equal(e.message, 'HubSpot contacts list failed (502): no message');
  });

  it("the client's no-Content-Type parse error (a proxy's page) is transient; other local errors are not retried", () => {
    const proxy = hubspotError(new Error('Cannot parse content. No Content-Type defined.'), 'contacts list');
    assert.equal(proxy.kind, 'transient');
    const broken = hubspotError(new SyntaxError('Unexpected token < in JSON at position 0'), 'contacts list');
    assert.equal(broken.kind, 'invalid');
    assert.equal(broken.message, 'HubSpot contacts list failed: Unexpected token < in JSON at position 0');
  });
});

describe('network errors, both CRMs', () => {
  for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']) {
    it(`${code} is transient and names only the code (node-fetch's message names the URL)`, () => {
      for (const e of [hubspotError(fetchError(code), 'x'), salesforceError(fetchError(code), 'x')]) {
        assert.equal(e.kind, 'transient');
        assert.equal(e.message, `network error talking to the CRM: ${code}`);
      }
    });
  }
  it('a timed-out request or body is transient', () => {
    const timeout = Object.assign(new Error('network timeout at: http://crm.example/'), { type: 'request-timeout' });
    assert.equal(hubspotError(timeout, 'x').kind, 'transient');
    const body = Object.assign(new Error('Response timeout while trying to fetch'), { type: 'body-timeout' });
    assert.equal(salesforceError(body, 'x').kind, 'transient');
  });
});

describe('activity failures', () => {
  it('only allow-listed causes are retryable, each with its cause as the message', () => {
    const transient = failureOf(salesforceError(sfError('SERVER_UNAVAILABLE', 'Server unavailable'), 'query'));
    assert.equal(transient.type, FAILURE_TYPE.CrmTransient);
    assert.equal(transient.nonRetryable, false);
    assert.equal(transient.message, 'Salesforce query failed (SERVER_UNAVAILABLE): Server unavailable');

    const disabled = failureOf(
      salesforceError(
        sfError('API_DISABLED_FOR_ORG', 'API is not enabled for this Organization or Partner'),
        'identity',
      ),
    );
    assert.equal(disabled.type, FAILURE_TYPE.CrmAuth);
    assert.equal(disabled.nonRetryable, true);
    assert.match(disabled.message, /^Salesforce identity failed \(API_DISABLED_FOR_ORG\): API is not enabled/);

    const unknown = failureOf(salesforceError(sfError('BRAND_NEW_CODE'), 'query'));
    assert.equal(unknown.type, FAILURE_TYPE.CrmInvalid);
    assert.equal(unknown.nonRetryable, true);
  });

  it('a RangeError or TypeError from our code is not retried and names itself', () => {
    const f = failureOf(new RangeError('Invalid time value'));
    assert.equal(f.type, FAILURE_TYPE.Unexpected);
    assert.equal(f.nonRetryable, true);
    assert.equal(f.message, 'RangeError: Invalid time value');
  });

  it('database errors: data the database refuses is not retried, a lost connection or deadlock is', () => {
    const pg = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'ERROR' });
    const nul = failureOf(pg('22P05', 'unsupported Unicode escape sequence'));
    assert.equal(nul.type, FAILURE_TYPE.StoreRefused);
    assert.equal(nul.nonRetryable, true);
    assert.equal(
      nul.message,
      'the workspace database refused the operation (SQLSTATE 22P05): unsupported Unicode escape sequence',
    );
    assert.equal(failureOf(pg('23505', 'duplicate key')).nonRetryable, true);
    for (const code of ['40P01', '40001', '08006', '57P01', '53300', '55P03']) {
      const f = failureOf(pg(code, 'passing'));
      assert.equal(f.type, FAILURE_TYPE.StoreUnavailable, code);
      assert.equal(f.nonRetryable, false, code);
    }
    const lost = failureOf(new Error('Connection terminated unexpectedly'));
    assert.equal(lost.type, FAILURE_TYPE.StoreUnavailable);
    assert.equal(lost.nonRetryable, false);
    assert.equal(failureOf(fetchError('ECONNREFUSED')).nonRetryable, false);
  });

  it('Temporal failures pass through as they are', () => {
    const ours = ApplicationFailure.nonRetryable(
      'sync user u is not a user of workspace w',
      FAILURE_TYPE.SyncUserUnknown,
    );
    assert.equal(toActivityFailure(ours), ours);
  });

  it('messages are one line and never carry a token', () => {
    assert.equal(oneLineCause('a\n  b\tc'), 'a b c');
    assert.equal(
      oneLineCause('GET https://x.example/id/00D/005?format=json&oauth_token=00Dsecret!AQ failed'),
      'GET https://x.example/id/00D/005?format=json&oauth_token=[redacted] failed',
    );
    assert.equal(oneLineCause('Authorization: Bearer pat-na1-secret'), 'Authorization: Bearer [redacted]');
    const f = failureOf(new Error('request to http://h/?access_token=s3cr3t failed'));
    assert.doesNotMatch(f.message, /s3cr3t/);
    assert.ok(oneLineCause('x'.repeat(2_000)).length <= 500);
  });
});
