import { ApplicationFailure } from '@temporalio/common';
import { networkError, oneLineCause } from '../crm/errors';
import { FAILURE_TYPE } from '../domain/failure-types';

/**
 * The Temporal failure for an error that is not the CRM's (CrmError has its own mapping): the
 * workspace database's, or a fault in our own code. Retried only for an allow-list of passing
 * causes, the database unreachable or busy; anything else, a value the database refuses (a NUL in
 * jsonb: SQLSTATE 22P05) or a TypeError, fails the same way on every attempt, so it is not retried
 * and its one-line cause is the failure's message, for the workflow to show.
 */
export function storeOrCodeFailure(err: unknown): ApplicationFailure {
  const sqlstate = sqlStateOf(err);
  const text = oneLineCause(err instanceof Error ? err.message : String(err));
  if (sqlstate !== undefined) {
    const message = `the workspace database refused the operation (SQLSTATE ${sqlstate}): ${text}`;
    return passingSqlState(sqlstate)
      ? ApplicationFailure.retryable(message, FAILURE_TYPE.StoreUnavailable)
      : ApplicationFailure.nonRetryable(message, FAILURE_TYPE.StoreRefused);
  }
  const net = networkError(err);
  if (net) {
    const code = net.details.code ?? 'network error';
    return ApplicationFailure.retryable(
      `the workspace database is unreachable: ${code}`,
      FAILURE_TYPE.StoreUnavailable,
    );
  }
  if (PASSING_MESSAGES.some((re) => re.test(text)))
    return ApplicationFailure.retryable(
      `the workspace database connection failed: ${text}`,
      FAILURE_TYPE.StoreUnavailable,
    );
  const name = err instanceof Error && err.name !== 'Error' ? `${err.name}: ` : '';
  return ApplicationFailure.nonRetryable(`${name}${text}`, FAILURE_TYPE.Unexpected);
}

/** PostgreSQL's (and PGlite's) five-character error code, when the error carries one. */
function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * SQLSTATE classes that pass: 08 connection exception, 40 transaction rollback (serialization
 * failure, deadlock), 53 insufficient resources, 57 operator intervention (shutdown, cancel), 58
 * system error (I/O); and 55P03, a lock not obtained. Data (22), integrity (23) and syntax (42)
 * errors repeat on every attempt.
 */
function passingSqlState(code: string): boolean {
  return ['08', '40', '53', '57', '58'].includes(code.slice(0, 2)) || code === '55P03';
}

/** node-postgres and PGlite say a connection went away in words, without a code. */
const PASSING_MESSAGES = [
  /^Connection terminated/i,
  /^Client has encountered a connection error/i,
  /^timeout exceeded when trying to connect/i,
  // The pool of a worker that is shutting down: its successor's attempt can succeed.
  /^Cannot use a pool after calling end on the pool/i,
  /^PGlite is closed/i,
];
