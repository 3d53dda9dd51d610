import { Connection } from 'jsforce';
import { budgetDecision, DEFAULT_RESERVE_PERCENT } from '../../domain/api-budget';
import { crmFieldNameProblem } from '../../domain/crm-field-names';
import { cleanCrmText, cleanCrmValue } from '../../domain/crm-text';
import { CRM_TIME_PRECISION_MS, crmTime } from '../../domain/field-ownership';
import { windowStartMs } from '../../domain/modstamp-window';
import { soqlQuote } from '../../domain/soql-in-lists';
import type { CrmOwner, CrmRecord } from '../../domain/types';
import { CrmError } from '../errors';
import type {
  CrmPort,
  CurrentValues,
  DeleteOutcome,
  DomainMatch,
  FieldInfo,
  OutboundRecord,
  PageRequest,
  PersonObject,
  PullPage,
  PullStream,
  PushOutcome,
} from '../port';
import { decodeCursor, encodeCursor, type SalesforceCursor } from './cursor';
import { DAILY_LIMIT_RECHECK_MS, salesforceError } from './errors';
import { SalesforceWriter } from './push';
import { deleteSalesforceRecords } from './delete';
import { removalOf, REMOVAL_FIELDS } from './removals';
import { checkSalesforceSetup } from './setup';
import type { SetupReport } from '../../domain/crm-setup';
import { abandonableSleep, boundedRequest, throwIfAbandoned, scopeSignal } from '../request-scope';
import { DeadlineTransport } from './transport';
import { sharedDailyUsageFor, type SharedDailyUsage, type SharedRateBudget } from '../shared-budget';

export interface SalesforceCredentials {
  accessToken: string;
  instanceUrl: string;
  /** Share of the daily API allowance left for the customer's other integrations. */
  apiReservePercent?: number;
  /** The OAuth refresh-token flow, to renew an expired session (connections-file.ts). */
  refresh?: { refreshToken: string; clientId: string; clientSecret?: string; loginUrl?: string };
}

/** Salesforce's login server, where the refresh-token flow asks for a new session unless told otherwise. */
export const DEFAULT_LOGIN_URL = 'https://login.salesforce.com';

/**
 * Sessions renewed by the refresh-token flow, per connection name, in this process's memory only.
 * Each activity makes its own adapter from the connections file, whose access token has expired
 * once a session was renewed: without this, every activity would meet the 401 and renew again.
 * A renewed session is used only with the refresh token that obtained it, so a new refresh token
 * in the file (the operator authorized again) starts from the file.
 */
const renewedSessions = new Map<string, { refreshToken: string; accessToken: string; instanceUrl: string }>();

export interface SalesforceCallOptions {
  /** How long one request may go unanswered before it is abandoned (and its attempt retried). */
  requestTimeoutMs?: number;
}

/**
 * Past Salesforce's own QUERY_TIMEOUT (about 2 minutes of server time), which the pull answers by
 * slicing: a request still unanswered after that is a connection that hangs.
 */
export const SALESFORCE_REQUEST_TIMEOUT_MS = 150_000;

export const API_VERSION = '62.0';
/** Slices narrower than this that still time out are an error, not something to split further. */
const MIN_SLICE_MS = 1_000;

export type SfStream = 'Account' | 'Contact' | 'Lead';

/** Fields the adapter reads itself, besides those the field mapping asks for. */
const OWN_FIELDS: Record<SfStream, string[]> = {
  Account: ['Id', 'OwnerId', 'SystemModstamp'],
  Contact: ['Id', 'OwnerId', 'SystemModstamp', 'AccountId'],
  Lead: ['Id', 'OwnerId', 'SystemModstamp', 'IsConverted', 'ConvertedContactId'],
};

export function ownFields(stream: SfStream): string[] {
  return OWN_FIELDS[stream];
}

/** The sObject a port object name stands for: `contact` is Contact, `account` is Account. */
function sobjectOf(object: 'contact' | 'account' | 'Lead' | 'Contact'): 'Lead' | 'Contact' | 'Account' {
  return object === 'account' ? 'Account' : object === 'contact' ? 'Contact' : object;
}

/** What the org last said of its daily allowance, per connection, shared by every activity of the process. */
const usageByConnection = new Map<string, { used: number; limit: number }>();

type SfRow = Record<string, unknown> & { Id: string; SystemModstamp: string };

export class SalesforceAdapter implements CrmPort {
  readonly crm = 'salesforce' as const;
  readonly displayName = 'Salesforce';
  readonly streams: readonly PullStream[] = [
    { name: 'Account', kind: 'account' },
    { name: 'Contact', kind: 'contact' },
    // Pulled after contacts, so a lead for a person already pulled as a contact gives way (seed 003).
    { name: 'Lead', kind: 'contact', yieldsTo: 'Contact' },
  ];
  readonly pushBatchSize = 200;
  // Salesforce takes a second account with a domain another holds: it mirrors what the workspace has (seed 003).
  readonly refusesDuplicateAccountDomains = false;
  private readonly conn: Connection;
  private readonly reservePercent: number;
  private readonly writer: SalesforceWriter;
  /** The org's daily usage as every worker sees it, once the activity has bound it (shareRateBudget). */
  private shared?: SharedDailyUsage;
  /** This adapter's last /limits look, for the shared usage if it is bound after the look. */
  private lastLook?: { used: number; limit: number };
  /** This adapter's one fresh look at /limits, when usage says pause; a paused pull looks once per attempt. */
  private probe?: Promise<void>;

  private readonly requestTimeoutMs: number;
  /** Why the last session refresh failed, as the token endpoint said it. */
  private refreshRefusal?: Error;

  constructor(
    private readonly connectionName: string,
    creds: SalesforceCredentials,
    opts: SalesforceCallOptions = {},
  ) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? SALESFORCE_REQUEST_TIMEOUT_MS;
    // With a refresh token, jsforce answers a 401 INVALID_SESSION_ID by asking the token endpoint for
    // a new session and sending the request again. Without one (a bare token), the 401 surfaces and
    // the workflow asks for reauthorisation.
    const refresh = creds.refresh;
    const renewed = refresh && renewedSessions.get(connectionName);
    const session = renewed && renewed.refreshToken === refresh.refreshToken ? renewed : creds;
    this.conn = new Connection({
      instanceUrl: session.instanceUrl,
      accessToken: session.accessToken,
      version: API_VERSION,
      ...(refresh
        ? {
            oauth2: {
              clientId: refresh.clientId,
              clientSecret: refresh.clientSecret,
              loginUrl: refresh.loginUrl ?? DEFAULT_LOGIN_URL,
            },
            refreshToken: refresh.refreshToken,
            // jsforce's own refresh reports a refusal as a plain Error ("Unable to refresh session
            // due to: ..."), without the token endpoint's `error` code that tells a revoked refresh
            // token (needsReauth) from a 503 (retried): this one keeps the refusal for call().
            refreshFn: (conn: Connection, done: (err?: Error, accessToken?: string) => void) => {
              conn.oauth2.refreshToken(refresh.refreshToken).then(
                (res) => {
                  if (res.instance_url) conn.instanceUrl = res.instance_url;
                  done(undefined, res.access_token);
                },
                (err: Error) => {
                  this.refreshRefusal = err;
                  done(err);
                },
              );
            },
          }
        : {}),
    });
    // Every request with a timeout jsforce enforces at the socket (transport.ts), the token
    // endpoint's too.
    this.conn._transport = new DeadlineTransport(this.requestTimeoutMs);
    if (refresh) {
      this.conn.oauth2._transport = new DeadlineTransport(this.requestTimeoutMs);
      this.conn.on('refresh', (accessToken: string) =>
        renewedSessions.set(connectionName, {
          refreshToken: refresh.refreshToken,
          accessToken,
          instanceUrl: this.conn.instanceUrl,
        }),
      );
    }
    this.reservePercent = creds.apiReservePercent ?? DEFAULT_RESERVE_PERCENT;
    this.writer = new SalesforceWriter(this.conn, (what, fn) => this.call(what, fn));
  }

  /**
   * Salesforce has no per-10-s limit to share (its concurrent-request limit is far above what the
   * lanes send), but one daily allowance per org: every worker spends it by the usage any of them
   * last saw, not only by its own.
   */
  shareRateBudget(budget: SharedRateBudget): void {
    this.shared = sharedDailyUsageFor(budget, 'salesforce');
    // A /limits look made before the org was known (connect's verify, in a pause) may have seen the
    // allowance renewed: the shared usage takes it, or its older, higher count would pause again.
    if (this.lastLook) void this.shared.observe(this.lastLook, true).catch(() => undefined);
  }

  pushAccounts(records: OutboundRecord[]): Promise<PushOutcome[]> {
    return this.writer.pushAccounts(records);
  }

  pushContacts(records: OutboundRecord[], createAs: 'Lead' | 'Contact'): Promise<PushOutcome[]> {
    return this.writer.pushContacts(records, createAs);
  }

  findAccountsByDomain(domains: string[]): Promise<DomainMatch[]> {
    return this.writer.findAccountsByDomain(domains);
  }

  personObjectFor(createAs: 'Lead' | 'Contact'): PersonObject {
    return { object: createAs, label: createAs };
  }

  /** Source fields (LeadSource, custom ones) are the org's: none is created here. */
  createsSourceFieldOnDemand(): boolean {
    return false;
  }

  /** The external id on Account, Contact and Lead; an administrator's to create, so only reported. */
  checkSetup(): Promise<SetupReport> {
    return checkSalesforceSetup(this.conn, (what, fn) => this.call(what, fn));
  }

  describeField(object: 'contact' | 'account' | 'Lead' | 'Contact', field: string): Promise<FieldInfo | null> {
    return this.writer.describeField(sobjectOf(object), field);
  }

  describeFields(
    object: 'contact' | 'account' | 'Lead' | 'Contact',
    fields: readonly string[],
  ): Promise<Map<string, FieldInfo | null>> {
    return this.writer.describeFields(sobjectOf(object), fields);
  }

  async readCurrent(crmObject: string, crmIds: string[], fields: string[]): Promise<Map<string, CurrentValues>> {
    const object = this.stream(crmObject);
    // Ids and field names go into SOQL: only what their syntax allows.
    const ids = crmIds.filter((id) => /^[A-Za-z0-9]{15,18}$/.test(id));
    const columns = [
      ...new Set(['Id', 'SystemModstamp', ...fields.filter((f) => crmFieldNameProblem('salesforce', f) === null)]),
    ];
    const out = new Map<string, CurrentValues>();
    for (let i = 0; i < ids.length; i += 200) {
      const list = ids
        .slice(i, i + 200)
        .map((id) => `'${id}'`)
        .join(', ');
      const rows = await this.queryAll<SfRow>(
        `SELECT ${columns.join(', ')} FROM ${object} WHERE Id IN (${list})`,
        `${object} read before push`,
      );
      for (const r of rows) {
        const properties: Record<string, string | null> = {};
        for (const f of columns)
          properties[f] = r[f] === null || r[f] === undefined ? null : cleanCrmText(String(r[f]));
        out.set(r.Id, { properties, modifiedAt: modstampOf(r) });
      }
    }
    return out;
  }

  async verify(): Promise<{ crmAccountId: string }> {
    const id = await this.call('identity', () => this.conn.identity());
    return { crmAccountId: id.organization_id };
  }

  async listOwners(): Promise<CrmOwner[]> {
    const rows = await this.queryAll<{ Id: string; Email: string | null; Name: string | null }>(
      'SELECT Id, Email, Name FROM User WHERE IsActive = true ORDER BY Id',
      'users',
    );
    // Names and emails are stored: cleaned like every CRM string (crm-text.ts).
    return rows.map((u) => {
      const email = cleanCrmValue(u.Email);
      return { crmOwnerId: u.Id, email, name: cleanCrmValue(u.Name) ?? email ?? u.Id };
    });
  }

  async countRecords(stream: string): Promise<number | null> {
    const res = await this.call(
      `${stream} count`,
      () => this.conn.query(`SELECT COUNT() FROM ${this.stream(stream)}`) as unknown as Promise<{ totalSize: number }>,
    ).catch((err: CrmError) => {
      // Counting a very large org can time out too; progress then simply has no total.
      if (err.details.code === 'QUERY_TIMEOUT') return null;
      throw err;
    });
    return res ? res.totalSize : null;
  }

  async fetchPage(req: PageRequest): Promise<PullPage> {
    const stream = this.stream(req.stream);
    // Field names go into SOQL text: anything but an identifier is refused, never concatenated.
    const badName = req.fields.map((f) => crmFieldNameProblem('salesforce', f)).find((p) => p !== null);
    if (badName) throw new CrmError('invalid', `${badName}, so the ${stream} pull does not query it`);
    const cursor: SalesforceCursor = decodeCursor(req.cursor) ?? {
      slices: [[windowStartMs(req.sinceMs ?? 0, CRM_TIME_PRECISION_MS.salesforce), req.untilMs]],
    };
    const removing = cursor.removals === true;
    const fields = removing ? REMOVAL_FIELDS : [...new Set([...OWN_FIELDS[stream], ...req.fields])];
    const result = await this.nextBatch(stream, fields, cursor);
    const rows = result.records;
    // The resume position needs a readable SystemModstamp: the last row that has one. (Salesforce
    // always sets it; without any, an expired locator re-reads the slice from its start, which
    // repeats records but loses none.)
    let last: SfRow | undefined;
    for (let i = rows.length - 1; i >= 0 && !last; i--) if (crmTime(rows[i].SystemModstamp) !== null) last = rows[i];
    const phase = removing ? { removals: true as const } : {};
    let next: SalesforceCursor;
    if (result.done) next = { slices: cursor.slices.slice(1), ...phase };
    else
      next = {
        slices: cursor.slices,
        locator: locatorOf(result.nextRecordsUrl!),
        ...(last
          ? { after: [last.SystemModstamp, last.Id] as [string, string] }
          : cursor.after
            ? { after: cursor.after }
            : {}),
        ...phase,
      };
    // An incremental pull's changed records are done: its window again, for what was removed in it.
    if (!next.slices.length && !removing && req.sinceMs !== null)
      next = {
        slices: [[windowStartMs(req.sinceMs, CRM_TIME_PRECISION_MS.salesforce), req.untilMs]],
        removals: true,
      };
    const nextCursor = next.slices.length ? encodeCursor(next) : null;
    if (removing) return { records: [], removals: rows.map((r) => removalOf(stream, r)), nextCursor };
    return { records: rows.map((r) => this.normalise(stream, r)), nextCursor };
  }

  /** One batch of the stream's live ids, in Id order; a lost locator resumes after the last id returned. */
  async listIds(stream: string, cursor: string | null): Promise<{ ids: string[]; nextCursor: string | null }> {
    const object = this.stream(stream);
    const c = cursor ? (JSON.parse(cursor) as { locator: string; afterId: string }) : null;
    let page: QueryPage<{ Id: string }> | undefined;
    if (c) {
      try {
        page = await this.call(
          `${object} id queryMore`,
          () => this.conn.queryMore<{ Id: string }>(c.locator) as unknown as Promise<QueryPage<{ Id: string }>>,
        );
      } catch (err) {
        if ((err as CrmError).details?.code !== 'INVALID_QUERY_LOCATOR') throw err;
      }
    }
    page ??= await this.call(
      `${object} id query`,
      () =>
        this.conn.query<{ Id: string }>(
          `SELECT Id FROM ${object}${c ? ` WHERE Id > ${soqlQuote(c.afterId)}` : ''} ORDER BY Id`,
        ) as unknown as Promise<QueryPage<{ Id: string }>>,
    );
    const ids = page.records.map((r) => r.Id);
    const afterId = ids.length ? ids[ids.length - 1] : c?.afterId;
    return {
      ids,
      nextCursor:
        page.done || !page.nextRecordsUrl || afterId === undefined
          ? null
          : JSON.stringify({ locator: locatorOf(page.nextRecordsUrl), afterId }),
    };
  }

  deleteRecords(crmObject: string, crmIds: string[]): Promise<DeleteOutcome[]> {
    return deleteSalesforceRecords(this.conn, (w, fn) => this.call(w, fn), this.stream(crmObject), crmIds);
  }

  /** The next batch of the first slice: queryMore if a locator is open, else a query, split on timeouts. */
  private async nextBatch(
    stream: SfStream,
    fields: string[],
    cursor: SalesforceCursor,
  ): Promise<{ records: SfRow[]; done: boolean; nextRecordsUrl?: string }> {
    if (cursor.locator) {
      try {
        return await this.call(
          `${stream} queryMore`,
          () => this.conn.queryMore<SfRow>(cursor.locator!) as unknown as Promise<QueryPage>,
        );
      } catch (err) {
        if ((err as CrmError).details?.code !== 'INVALID_QUERY_LOCATOR') throw err;
        // The cursor expired: query the slice again from just after the last record we returned.
      }
    }
    for (;;) {
      const [from, to] = cursor.slices[0];
      try {
        const soql = sliceSoql(stream, fields, from, to, cursor.after, cursor.removals);
        // Deleted records are only visible to queryAll (`scanAll`); its queryMore is /query/<locator> too.
        return await this.call(
          `${stream} ${cursor.removals ? 'queryAll' : 'query'}`,
          () => this.conn.query<SfRow>(soql, { scanAll: !!cursor.removals }) as unknown as Promise<QueryPage>,
        );
      } catch (err) {
        if ((err as CrmError).details?.code !== 'QUERY_TIMEOUT') throw err;
        if (to - from <= MIN_SLICE_MS)
          throw new CrmError('transient', `Salesforce ${stream} query times out even for one second of changes`, {
            code: 'QUERY_TIMEOUT',
          });
        // Adaptive slicing: halve the range (the `after` position stays valid for the first half).
        const mid = from + Math.floor((to - from) / 2);
        cursor.slices = [[from, mid], [mid, to], ...cursor.slices.slice(1)];
        if (cursor.after && Date.parse(cursor.after[0]) >= mid) cursor.slices.shift();
      }
    }
  }

  private normalise(stream: SfStream, r: SfRow): CrmRecord {
    const properties: Record<string, string | null> = {};
    // Every value is stored somewhere (columns, link state, error messages): cleaned (crm-text.ts).
    for (const [k, v] of Object.entries(r))
      if (k !== 'attributes') properties[k] = v === null || v === undefined ? null : cleanCrmText(String(v));
    return {
      crmId: r.Id,
      crmObject: stream,
      properties,
      ownerId: properties.OwnerId ?? null,
      accountCrmIds: properties.AccountId ? [properties.AccountId] : [],
      modifiedAt: modstampOf(r),
      ...(stream === 'Lead'
        ? { followsTo: r.IsConverted === true ? ((r.ConvertedContactId as string | null) ?? null) : null }
        : {}),
    };
  }

  private async queryAll<T>(soql: string, what: string): Promise<T[]> {
    const out: T[] = [];
    let page = await this.call(
      what,
      () => this.conn.query<T & Record<string, unknown>>(soql) as unknown as Promise<QueryPage<T>>,
    );
    out.push(...page.records);
    while (!page.done && page.nextRecordsUrl) {
      const url = page.nextRecordsUrl;
      page = await this.call(
        what,
        () => this.conn.queryMore<T & Record<string, unknown>>(url) as unknown as Promise<QueryPage<T>>,
      );
      out.push(...page.records);
    }
    return out;
  }

  private stream(name: string): SfStream {
    if (name !== 'Account' && name !== 'Contact' && name !== 'Lead')
      throw new Error(`Salesforce has no pull stream "${name}"`);
    return name;
  }

  /**
   * Every Salesforce call goes through here: spend the daily allowance within its budget (slow down
   * near the end, pause before the reserve), call with a deadline, learn the usage from
   * Sforce-Limit-Info, and translate errors. An abandoned attempt (request-scope.ts) sends nothing
   * more and stops waiting at once.
   */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    await this.spendBudget();
    throwIfAbandoned();
    try {
      return await boundedRequest(`Salesforce ${what}`, this.requestTimeoutMs, () => fn());
    } catch (err) {
      if (scopeSignal()?.aborted) throw scopeSignal()!.reason;
      if (this.refreshRefusal && /^Unable to refresh session/.test((err as Error)?.message ?? ''))
        throw salesforceError(this.refreshRefusal, `${what} (session refresh)`);
      throw salesforceError(err, what);
    } finally {
      const u = this.conn.limitInfo?.apiUsage;
      if (u) {
        usageByConnection.set(this.connectionName, { used: u.used, limit: u.limit });
        // Shared for the next call of any worker; a database that cannot take it does not fail this one.
        await this.shared?.observe({ used: u.used, limit: u.limit }).catch(() => undefined);
      }
    }
  }

  /** What the org last said of its daily allowance: to any worker when shared, else to this process. */
  private async knownUsage(): Promise<{ used: number; limit: number } | undefined> {
    const local = usageByConnection.get(this.connectionName);
    if (!this.shared) return local;
    return (await this.shared.current()) ?? local;
  }

  private async spendBudget(): Promise<void> {
    let usage = await this.knownUsage();
    if (!usage) return;
    let d = budgetDecision(usage.used, usage.limit, this.reservePercent);
    if (d.action === 'pause') {
      // The allowance may have renewed since we last looked: one /limits call tells, shared by
      // every call this adapter has in flight (beginPull counts its streams concurrently).
      this.probe ??= boundedRequest('Salesforce limits', this.requestTimeoutMs, () => this.conn.limits()).then(
        async (limits) => {
          const fresh = {
            used: limits.DailyApiRequests.Max - limits.DailyApiRequests.Remaining,
            limit: limits.DailyApiRequests.Max,
          };
          usageByConnection.set(this.connectionName, fresh);
          this.lastLook = fresh;
          await this.shared?.observe(fresh, true).catch(() => undefined);
        },
        (err: unknown) => {
          if (scopeSignal()?.aborted) throw scopeSignal()!.reason;
          throw salesforceError(err, 'limits');
        },
      );
      await this.probe;
      usage = (await this.knownUsage())!;
      d = budgetDecision(usage.used, usage.limit, this.reservePercent);
    }
    if (d.action === 'pause') {
      throw new CrmError(
        'dailyLimit',
        `Salesforce daily API allowance nearly spent (${usage.used} of ${usage.limit} used; ${this.reservePercent}% is kept for other integrations)`,
        { code: 'DAILY_API_RESERVE', retryAfterMs: DAILY_LIMIT_RECHECK_MS },
      );
    }
    if (d.action === 'slow') await abandonableSleep(d.delayMs);
  }
}

/**
 * A row's SystemModstamp when it reads as a time, else '' (unknown): the ownership rules then take
 * the CRM change as not later than a workspace change, and the text the database keeps is clean.
 */
function modstampOf(r: SfRow): string {
  return crmTime(r.SystemModstamp) !== null ? r.SystemModstamp : '';
}

interface QueryPage<T = SfRow> {
  records: T[];
  done: boolean;
  nextRecordsUrl?: string;
  totalSize: number;
}

/** jsforce requests `/query/<last path segment>` whatever URL it is given (wire facts B2). */
function locatorOf(nextRecordsUrl: string): string {
  return nextRecordsUrl.split('/').pop()!;
}

function soqlDatetime(ms: number): string {
  return new Date(ms).toISOString();
}

/** One slice, in (SystemModstamp, Id) order, optionally resuming after a known record. */
export function sliceSoql(
  stream: SfStream,
  fields: string[],
  fromMs: number,
  toMs: number,
  after?: [string, string],
  deleted?: boolean,
): string {
  let where = `SystemModstamp >= ${soqlDatetime(fromMs)} AND SystemModstamp < ${soqlDatetime(toMs)}`;
  if (deleted) where = `IsDeleted = true AND ${where}`;
  if (after) {
    const ts = soqlDatetime(Date.parse(after[0].replace(/([+-]\d{2})(\d{2})$/, '$1:$2')));
    where += ` AND (SystemModstamp > ${ts} OR (SystemModstamp = ${ts} AND Id > ${soqlQuote(after[1])}))`;
  }
  return `SELECT ${fields.join(', ')} FROM ${stream} WHERE ${where} ORDER BY SystemModstamp, Id`;
}
