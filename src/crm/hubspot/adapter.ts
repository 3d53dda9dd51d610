import { Client } from '@hubspot/api-client';
import type { CrmOwner, CrmRecord } from '../../domain/types';
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
  SetupNeeds,
} from '../port';
import { cleanCrmProperties, cleanCrmText, cleanCrmValue } from '../../domain/crm-text';
import { accountFirst } from '../../domain/primary-company';
import { CrmError } from '../errors';
import { RollingWindowPacer, type PacePriority } from '../pacing';
import { sharedSlotsFor, type SharedRateBudget, type SharedSlots } from '../shared-budget';
import { decodeCursor, encodeCursor, type HsType, type HubSpotCursor } from './cursor';
import { archivedPage, archiveRecords, idsPage, MERGED_IDS, mergeRemovals } from './removals';
import { hubspotError } from './errors';
import { ACCOUNT_KEY } from './push';
import { boundedRequest, scopeSignal, throwIfAbandoned } from '../request-scope';
import { abortableAgent } from './transport';
import { hubspotModifiedAt, hubspotModifiedMs } from './modified-time';
import { HubSpotWriter, SOURCE_PROPERTY } from './push';
import { checkHubSpotSetup } from './setup';
import type { SetupReport } from '../../domain/crm-setup';

export interface HubSpotCredentials {
  accessToken: string;
  /** The API's base URL; a sandbox's address in development and tests. */
  baseUrl?: string;
}

export interface HubSpotCallOptions {
  /** How long one request may go unanswered before it is abandoned (and its attempt retried). */
  requestTimeoutMs?: number;
}

/** HubSpot answers in well under a second; a minute without an answer is a connection that hangs. */
export const HUBSPOT_REQUEST_TIMEOUT_MS = 60_000;

const MODIFIED: Record<HsType, string> = { contacts: 'lastmodifieddate', companies: 'hs_lastmodifieddate' };
const LIST_LIMIT = 100;
const SEARCH_LIMIT = 200;

/** One keep-alive agent per API address for the process, as Node's default agent would be. */
const agents = new Map<string, ReturnType<typeof abortableAgent>>();
function agentFor(baseUrl: string): ReturnType<typeof abortableAgent> {
  let a = agents.get(baseUrl);
  if (!a) agents.set(baseUrl, (a = abortableAgent(baseUrl)));
  return a;
}

/** Pacers live per connection for the whole process, shared by every activity using it. */
type Pacers = { general: RollingWindowPacer; search: RollingWindowPacer };
const pacers = new Map<string, Pacers>();
/** The margins of the two pacers (and of the portal's shared budget): the search window is short. */
const MARGIN_MS: Record<keyof Pacers, number> = { general: 150, search: 100 };
function pacersFor(key: string): Pacers {
  let p = pacers.get(key);
  if (!p) {
    // Start at the lowest tier (100 / 10 s); response headers raise it to the portal's real limit.
    p = {
      general: new RollingWindowPacer(100, 10_000, MARGIN_MS.general),
      search: new RollingWindowPacer(4, 1_000, MARGIN_MS.search),
    };
    pacers.set(key, p);
  }
  return p;
}

/** HubSpot's association type of a contact to its primary company (the unlabelled one is 279). */
const CONTACT_TO_COMPANY_PRIMARY = 1;

interface HsObject {
  id: string;
  properties: Record<string, string | null>;
  updatedAt: Date;
  associations?: { companies?: { results?: { id: string; type: string }[] } };
}

export class HubSpotAdapter implements CrmPort {
  readonly crm = 'hubspot' as const;
  readonly displayName = 'HubSpot';
  readonly streams: readonly PullStream[] = [
    { name: 'companies', kind: 'account' },
    { name: 'contacts', kind: 'contact' },
  ];
  readonly pushBatchSize = 100;
  // Seed 001 FAQ: a second company for a domain is refused ("A different company with this domain already exists").
  readonly refusesDuplicateAccountDomains = true;
  private readonly client: Client;
  private readonly pace: Pacers;
  /** The portal's budget shared with every worker, once the activity has bound it (shareRateBudget). */
  private shared?: Record<keyof Pacers, SharedSlots>;
  /**
   * Calls sent before the budget was shared (verify, which finds the portal): the portal counted
   * them, so the next call first spends their slots, and all workers together stay in the limit.
   */
  private unchargedCalls = 0;
  private readonly writer: HubSpotWriter;
  private readonly requestTimeoutMs: number;

  constructor(connectionName: string, creds: HubSpotCredentials, opts: HubSpotCallOptions = {}) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? HUBSPOT_REQUEST_TIMEOUT_MS;
    // numberOfApiCallRetries stays unset: retries belong to Temporal, which sees and records them.
    // The agent lets an abandoned request be stopped (transport.ts): the client has no signal option.
    this.client = new Client({
      accessToken: creds.accessToken,
      httpAgent: agentFor(creds.baseUrl ?? 'https://api.hubapi.com'),
      ...(creds.baseUrl ? { basePath: creds.baseUrl } : {}),
    });
    this.pace = pacersFor(connectionName);
    // Everything the writer sends is a push: it goes before queued pull pages (src/crm/pacing.ts).
    this.writer = new HubSpotWriter(this.client, (what, fn) => this.call(what, fn, 'push'), connectionName);
  }

  /**
   * From now on every call also takes a slot of the portal's shared budget (shared-budget.ts), so
   * all workers together keep to the portal's limit; the process-local pacers still order pushes
   * before pulls and keep the daily suspension.
   */
  shareRateBudget(budget: SharedRateBudget, sentBefore = 0): void {
    this.unchargedCalls = sentBefore;
    this.shared = {
      general: sharedSlotsFor(budget, 'hubspot', 'general', this.pace.general.limit, MARGIN_MS.general),
      search: sharedSlotsFor(budget, 'hubspot', 'search', this.pace.search.limit, MARGIN_MS.search),
    };
  }

  pushAccounts(records: OutboundRecord[]): Promise<PushOutcome[]> {
    return this.writer.pushAccounts(records);
  }

  pushContacts(records: OutboundRecord[]): Promise<PushOutcome[]> {
    return this.writer.pushContacts(records);
  }

  /** HubSpot has no leads: every new person is a contact, whatever the setting says. */
  personObjectFor(): PersonObject {
    return { object: 'contact', label: 'HubSpot contacts' };
  }

  createsSourceFieldOnDemand(field: string): boolean {
    return field === SOURCE_PROPERTY;
  }

  /** The key properties, created when missing and the token may; the source properties we create too. */
  checkSetup(needs: SetupNeeds): Promise<SetupReport> {
    return checkHubSpotSetup(
      this.client,
      (what, fn) => this.call(what, fn, 'push'),
      needs.sourceFields.filter((f) => this.createsSourceFieldOnDemand(f)),
    );
  }

  describeField(object: 'contact' | 'account' | 'Lead' | 'Contact', field: string): Promise<FieldInfo | null> {
    return this.writer.describeField(object === 'account' ? 'companies' : 'contacts', field);
  }

  /** Read just before a push writes, so a push's call. */
  async readCurrent(crmObject: string, crmIds: string[], fields: string[]): Promise<Map<string, CurrentValues>> {
    const type = this.type(crmObject);
    const api = type === 'contacts' ? this.client.crm.contacts.batchApi : this.client.crm.companies.batchApi;
    const out = new Map<string, CurrentValues>();
    for (let i = 0; i < crmIds.length; i += LIST_LIMIT) {
      const inputs = crmIds.slice(i, i + LIST_LIMIT).map((id) => ({ id }));
      const res = await this.call(
        `${type} batch read`,
        () => api.read({ inputs, properties: [...fields, MODIFIED[type]], propertiesWithHistory: [] }),
        'push',
      );
      for (const o of res.results)
        out.set(o.id, {
          properties: cleanCrmProperties(o.properties),
          modifiedAt: hubspotModifiedAt(o.properties[MODIFIED[type]], o.updatedAt),
        });
    }
    return out;
  }

  describeFields(
    object: 'contact' | 'account' | 'Lead' | 'Contact',
    fields: readonly string[],
  ): Promise<Map<string, FieldInfo | null>> {
    return this.writer.describeFields(object === 'account' ? 'companies' : 'contacts', fields);
  }

  /** Companies holding these domains, for matching before creating (search lag is harmless here). A push's call. */
  async findAccountsByDomain(domains: string[]): Promise<DomainMatch[]> {
    const matches: DomainMatch[] = [];
    for (let i = 0; i < domains.length; i += 100) {
      const values = domains.slice(i, i + 100);
      let after: string | undefined;
      do {
        const res = await this.search(
          'companies',
          {
            filterGroups: [{ filters: [{ propertyName: 'domain', operator: 'IN', values }] }],
            properties: ['domain', 'hs_lastmodifieddate', ACCOUNT_KEY],
            limit: SEARCH_LIMIT,
            after,
          },
          'push',
        );
        for (const o of res.results) {
          matches.push({
            crmId: o.id,
            domain: cleanCrmText(String(o.properties.domain ?? '')),
            modifiedAt: hubspotModifiedAt(o.properties.hs_lastmodifieddate, o.updatedAt),
            createdFor: o.properties[ACCOUNT_KEY] || null,
          });
        }
        after = res.paging?.next?.after;
      } while (after);
    }
    return matches;
  }

  get pacer(): RollingWindowPacer {
    return this.pace.general;
  }

  async verify(): Promise<{ crmAccountId: string }> {
    const body = await this.call('account details', async () => {
      // apiRequest hands back the raw response, errors included; shape failures like the typed APIs do.
      const res = await this.client.apiRequest({ method: 'GET', path: '/account-info/v3/details' });
      const json = (await res.json().catch(() => ({}))) as { portalId?: number };
      if (!res.ok) throw { code: res.status, body: json, headers: Object.fromEntries(res.headers.entries()) };
      return json;
    });
    if (!body.portalId) throw new CrmError('transient', 'HubSpot account details came back without a portalId');
    return { crmAccountId: String(body.portalId) };
  }

  async listOwners(): Promise<CrmOwner[]> {
    const owners: CrmOwner[] = [];
    let after: string | undefined;
    do {
      const page = await this.call('owners list', () =>
        this.client.crm.owners.ownersApi.getPage(undefined, after, 100, false),
      );
      for (const o of page.results) {
        // Owner names and emails are CRM text like any other: stored, so cleaned (crm-text.ts).
        const email = cleanCrmValue(o.email) ?? null;
        owners.push({
          crmOwnerId: cleanCrmText(o.id),
          email,
          name: cleanCrmText([o.firstName, o.lastName].filter(Boolean).join(' ')) || (email ?? cleanCrmText(o.id)),
        });
      }
      after = page.paging?.next?.after;
    } while (after);
    return owners;
  }

  async countRecords(stream: string): Promise<number | null> {
    const type = this.type(stream);
    const res = await this.search(type, { filterGroups: [], limit: 1, properties: ['hs_object_id'] });
    return res.total;
  }

  async fetchPage(req: PageRequest): Promise<PullPage> {
    const type = this.type(req.stream);
    if (req.sinceMs === null) {
      const properties = [...new Set([...req.fields, 'hubspot_owner_id', MODIFIED[type]])];
      return this.listPage(type, req, properties);
    }
    const cursor = decodeCursor(req.cursor);
    if (cursor?.mode === 'archived') return this.archivedPage(type, cursor.after, req.sinceMs, req.untilMs);
    // Survivors of merges name what they absorbed (removals.ts): asked for on incremental pulls.
    const properties = [...new Set([...req.fields, 'hubspot_owner_id', MODIFIED[type], MERGED_IDS])];
    const page = await this.searchPage(type, req, properties);
    return {
      records: page.records,
      removals: mergeRemovals(page.records),
      // The changed records are done: the stream's deletions follow.
      nextCursor: page.nextCursor ?? encodeCursor({ mode: 'archived' }),
    };
  }

  /** Incremental pulls, after the changed records: the records archived in the window, page by page. */
  private async archivedPage(
    type: HsType,
    after: string | undefined,
    sinceMs: number,
    untilMs: number,
  ): Promise<PullPage> {
    const page = await archivedPage(this.client, (w, fn) => this.call(w, fn), type, after, sinceMs, untilMs);
    return {
      records: [],
      removals: page.removals,
      nextCursor: page.after ? encodeCursor({ mode: 'archived', after: page.after }) : null,
    };
  }

  listIds(stream: string, cursor: string | null): Promise<{ ids: string[]; nextCursor: string | null }> {
    return idsPage(this.client, (w, fn) => this.call(w, fn), this.type(stream), cursor);
  }

  /** A push's calls: they go before queued pull pages. */
  deleteRecords(crmObject: string, crmIds: string[]): Promise<DeleteOutcome[]> {
    return archiveRecords(this.client, (w, fn) => this.call(w, fn, 'push'), this.type(crmObject), crmIds);
  }

  /** Full pulls: the list API, 100 a page, associations inline, stable id-ordered `after`. */
  private async listPage(type: HsType, req: PageRequest, properties: string[]): Promise<PullPage> {
    const cursor = decodeCursor(req.cursor);
    const after = cursor?.mode === 'list' ? cursor.after : undefined;
    const api = type === 'contacts' ? this.client.crm.contacts.basicApi : this.client.crm.companies.basicApi;
    const associations = type === 'contacts' ? ['companies'] : undefined;
    const info = await this.call(`${type} list`, () =>
      api.getPageWithHttpInfo(LIST_LIMIT, after, properties, undefined, associations, false),
    );
    const next = info.data.paging?.next?.after;
    return {
      records: info.data.results.map((o) => this.normalise(type, o as HsObject)),
      nextCursor: next ? encodeCursor({ mode: 'list', after: next }) : null,
    };
  }

  /** Incremental pulls: search by modified time, ascending, with keyset paging (see cursor.ts). */
  private async searchPage(type: HsType, req: PageRequest, properties: string[]): Promise<PullPage> {
    const c = decodeCursor(req.cursor);
    const state = c?.mode === 'search' ? c : { mode: 'search' as const, since: req.sinceMs!, skip: [] as string[] };
    if (state.afterId !== undefined)
      return this.instantPage(type, req, properties, { ...state, afterId: state.afterId });
    const prop = MODIFIED[type];
    const res = await this.search(type, {
      filterGroups: [
        {
          filters: [
            { propertyName: prop, operator: 'GTE', value: String(state.since) },
            { propertyName: prop, operator: 'LTE', value: String(req.untilMs) },
          ],
        },
      ],
      sorts: [{ propertyName: prop, direction: 'ASCENDING' }],
      properties,
      limit: SEARCH_LIMIT,
    });
    const records = await this.fresh(type, res.results, state.skip);
    if (!res.paging?.next?.after) return { records, nextCursor: null };

    // A record without a usable time cannot place the cursor: the last one with a time does. (The
    // search filters on `prop`, so HubSpot itself only returns records that have one.)
    const stamp = (o: HsObject) => hubspotModifiedMs(o.properties[prop], o.updatedAt);
    const last = res.results.reduceRight<number | null>((t, o) => t ?? stamp(o), null) ?? state.since;
    const next: HubSpotCursor =
      last > state.since
        ? { mode: 'search', since: last, skip: res.results.filter((o) => stamp(o) === last).map((o) => o.id) }
        : // A whole page shares one instant: walk that instant by id rather than loop on it.
          {
            mode: 'search',
            since: state.since,
            skip: [...new Set([...state.skip, ...res.results.map((o) => o.id)])],
            afterId: '0',
          };
    return { records, nextCursor: encodeCursor(next) };
  }

  /** One page of the records modified at exactly `since`, in id order after `afterId`. */
  private async instantPage(
    type: HsType,
    req: PageRequest,
    properties: string[],
    state: { since: number; skip: string[]; afterId: string },
  ): Promise<PullPage> {
    const prop = MODIFIED[type];
    const res = await this.search(type, {
      filterGroups: [
        {
          filters: [
            { propertyName: prop, operator: 'EQ', value: String(state.since) },
            { propertyName: 'hs_object_id', operator: 'GT', value: state.afterId },
          ],
        },
      ],
      sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
      properties,
      limit: SEARCH_LIMIT,
    });
    const records = await this.fresh(type, res.results, state.skip);
    const next: HubSpotCursor = res.paging?.next?.after
      ? { mode: 'search', since: state.since, skip: state.skip, afterId: res.results[res.results.length - 1].id }
      : // The instant is done: go on strictly after it (the filters take whole milliseconds).
        { mode: 'search', since: state.since + 1, skip: [] };
    return {
      records,
      nextCursor: state.since + 1 > req.untilMs && !res.paging?.next?.after ? null : encodeCursor(next),
    };
  }

  /** Normalises a search page, dropping the ids an earlier page already wrote. */
  private fresh(type: HsType, results: HsObject[], skip: string[]): Promise<CrmRecord[]> {
    const seen = new Set(skip);
    return this.withCompanies(
      type,
      results.filter((o) => !seen.has(o.id)).map((o) => this.normalise(type, o)),
    );
  }

  /** The search API has its own limit, so its own pacer; a push's searches go first there too. */
  private async search(
    type: HsType,
    body: Record<string, unknown>,
    priority: PacePriority = 'pull',
  ): Promise<{ total: number; results: HsObject[]; paging?: { next?: { after: string } } }> {
    const api = type === 'contacts' ? this.client.crm.contacts.searchApi : this.client.crm.companies.searchApi;
    return this.call(`${type} search`, () => api.doSearch(body as never) as never, priority, 'search');
  }

  /** Search results carry no associations; one v4 batch read per page fetches them. */
  private async withCompanies(type: HsType, records: CrmRecord[]): Promise<CrmRecord[]> {
    if (type !== 'contacts' || !records.length) return records;
    const res = await this.call('contact-company associations', () =>
      this.client.crm.associations.v4.batchApi.getPage('contacts', 'companies', {
        inputs: records.map((r) => ({ id: r.crmId })),
      }),
    );
    // The primary company carries HubSpot's type 1 besides the unlabelled 279 (primary-company.ts).
    const byId = new Map(
      res.results.map((r) => [
        String(r._from.id),
        accountFirst(
          r.to.map((t) => ({
            companyId: String(t.toObjectId),
            primary: t.associationTypes.some(
              (a) => a.category === 'HUBSPOT_DEFINED' && a.typeId === CONTACT_TO_COMPANY_PRIMARY,
            ),
          })),
        ),
      ]),
    );
    return records.map((r) => ({ ...r, accountCrmIds: byId.get(r.crmId) ?? [] }));
  }

  private normalise(type: HsType, o: HsObject): CrmRecord {
    const properties = cleanCrmProperties(o.properties);
    return {
      crmId: o.id,
      crmObject: type,
      properties,
      ownerId: properties.hubspot_owner_id || null,
      // v3 lists the primary company twice, as `contact_to_company` and `..._unlabeled`.
      accountCrmIds: accountFirst(
        (o.associations?.companies?.results ?? []).map((a) => ({
          companyId: a.id,
          primary: a.type === 'contact_to_company',
        })),
      ),
      modifiedAt: hubspotModifiedAt(properties[MODIFIED[type]], o.updatedAt),
    };
  }

  private type(stream: string): HsType {
    if (stream !== 'contacts' && stream !== 'companies') throw new Error(`HubSpot has no pull stream "${stream}"`);
    return stream;
  }

  /**
   * Every HubSpot call goes through here: wait for a slot of its pacer (pushes before pulls), call
   * with a deadline, learn the real limit from the response headers, and translate errors. Search
   * has its own pacer. An abandoned attempt (request-scope.ts) leaves the pacer's queue without
   * using a slot and sends nothing more; a daily 429 suspends the connection's pacers, so every
   * activity waiting on them fails with that cause at once instead of waiting for midnight.
   */
  private async call<T>(
    what: string,
    fn: () => Promise<T>,
    priority: PacePriority = 'pull',
    pacer: keyof Pacers = 'general',
  ): Promise<T> {
    await this.pace[pacer].acquire(priority, scopeSignal());
    for (; this.shared && this.unchargedCalls > 0; this.unchargedCalls--)
      (await this.shared.general.take(scopeSignal()))();
    const ended = await this.shared?.[pacer].take(scopeSignal());
    try {
      return await this.send(what, fn, pacer);
    } finally {
      ended?.();
    }
  }

  /** One call, its slot taken: send it, learn from the answer, translate a failure. */
  private async send<T>(what: string, fn: () => Promise<T>, pacer: keyof Pacers): Promise<T> {
    throwIfAbandoned();
    try {
      const result = await boundedRequest(`HubSpot ${what}`, this.requestTimeoutMs, () => fn());
      await this.learn((result as { headers?: Record<string, string> })?.headers);
      return result;
    } catch (err) {
      // The attempt was abandoned: its reason (a cancellation), not a CRM error.
      if (scopeSignal()?.aborted) throw scopeSignal()!.reason;
      const e = hubspotError(err, what);
      if (e.kind === 'rateLimited' && e.retryAfterMs) {
        this.pace[pacer].backOff(e.retryAfterMs);
        // Every worker backs off, not just this one. The 429 is what the caller must see: a
        // database that cannot record the back-off does not replace it (the local one holds).
        await this.shared?.[pacer].backOff(e.retryAfterMs).catch(() => undefined);
      }
      if (e.kind === 'dailyLimit' && e.retryAfterMs) {
        const until = Date.now() + e.retryAfterMs;
        const cause = (remainingMs: number) =>
          new CrmError('dailyLimit', e.message, { ...e.details, retryAfterMs: remainingMs });
        // One daily allowance covers both pacers' calls (search included).
        this.pace.general.suspend(until, cause);
        this.pace.search.suspend(until, cause);
      }
      await this.learn((err as { headers?: Record<string, string> })?.headers);
      throw e;
    }
  }

  private async learn(headers: Record<string, string> | undefined): Promise<void> {
    if (!headers || typeof headers !== 'object') return;
    const get = (k: string) => Object.entries(headers).find(([h]) => h.toLowerCase() === k)?.[1];
    const max = Number(get('x-hubspot-ratelimit-max'));
    const interval = Number(get('x-hubspot-ratelimit-interval-milliseconds'));
    if (max && interval) {
      this.pace.general.learn(max, interval);
      // A write only when the limit changed (a new tier), not per call; one that fails is tried
      // again on the next response, and never fails the call that got an answer.
      await this.shared?.general.learn({ max, windowMs: interval }).catch(() => undefined);
    }
  }
}
