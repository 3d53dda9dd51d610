/**
 * The ApplicationFailure types activities throw and workflows match on (retry policies'
 * nonRetryableErrorTypes, `failureType(err) === ...`). One spelling for both sides: a name changed
 * here changes for the thrower and the matcher at once. Pure data, so workflows may import it.
 */
export const FAILURE_TYPE = {
  /** Bad or revoked credentials: not retried; the integration waits for `reauthorize`. */
  CrmAuth: 'CrmAuth',
  /** A 429: retried after the CRM's own delay (nextRetryDelay). */
  CrmRateLimited: 'CrmRateLimited',
  /** The daily API allowance (less its reserve) is spent: not retried; the workflow waits on a timer. */
  CrmDailyLimit: 'CrmDailyLimit',
  /** A 5xx or a network error: retried with backoff. */
  CrmTransient: 'CrmTransient',
  /** The CRM refused a whole call as invalid: retrying the same call cannot help. */
  CrmInvalid: 'CrmInvalid',
  /**
   * The CRM lacks what the sync writes by (a key field, a property it may not create, a picklist
   * value): not retried; pushes wait, rows kept, until a later drain finds the set-up fixed.
   * Details: `[{ problems: SetupProblem[] }]`, shown as `status.setup`.
   */
  CrmSetupIncomplete: 'CrmSetupIncomplete',
  /** The workspace database is unreachable or busy (a connection lost, a deadlock): retried with backoff. */
  StoreUnavailable: 'StoreUnavailable',
  /**
   * The workspace database refused the operation for what it holds (a data or integrity error):
   * the same attempt fails the same way, so not retried; the message says what it refused.
   */
  StoreRefused: 'StoreRefused',
  /** An error nobody classified (a fault in our code, a file that does not parse): not retried, shown. */
  Unexpected: 'Unexpected',
  /** The integration's sync user is not a user of the workspace. */
  SyncUserUnknown: 'SyncUserUnknown',
  /** The integration workflow's input does not parse. */
  InvalidInput: 'InvalidInput',
  /** An update the workflow refused while carrying it out (its validator had let it through). */
  InvalidRequest: 'InvalidRequest',
  /** A settings change the CRM cannot take (e.g. a source field it does not have). */
  InvalidSettings: 'InvalidSettings',
} as const;

export type FailureType = (typeof FAILURE_TYPE)[keyof typeof FAILURE_TYPE];

/**
 * What an activity that talks to the CRM must not retry, for a retry policy's
 * nonRetryableErrorTypes (spread it: the policy wants a mutable string[]).
 */
export const NOT_RETRIED_BY_ACTIVITIES: readonly FailureType[] = Object.freeze([
  FAILURE_TYPE.CrmAuth,
  FAILURE_TYPE.CrmInvalid,
  FAILURE_TYPE.CrmDailyLimit,
  FAILURE_TYPE.CrmSetupIncomplete,
]);

/** The same for `connect`, which also refuses a sync user the workspace does not have. */
export const NOT_RETRIED_BY_CONNECT: readonly FailureType[] = Object.freeze([
  ...NOT_RETRIED_BY_ACTIVITIES,
  FAILURE_TYPE.SyncUserUnknown,
]);
