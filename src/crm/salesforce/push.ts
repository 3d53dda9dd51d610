import type { Connection } from 'jsforce';
import { packInLists, soqlQuote } from '../../domain/soql-in-lists';
import { sendIsolating } from '../batch-isolation';
import type { DomainMatch, FieldInfo, OutboundRecord, PushOutcome } from '../port';

/**
 * Writes to Salesforce through sObject Collections (at most 200 records a call, allOrNone false,
 * one result per record). Idempotent without search: people are looked up by email with SOQL (which
 * reads committed data), and new records are upserted on the external id `Apollo_Id__c` = the
 * workspace id, so a retry after a crash updates what the first attempt created.
 */

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;
export const EXTERNAL_ID = 'Apollo_Id__c';
/** Per-record codes worth trying again later rather than asking the operator to fix anything. */
const TRANSIENT_CODES = new Set(['UNABLE_TO_LOCK_ROW', 'SERVER_UNAVAILABLE', 'REQUEST_RUNNING_TOO_LONG']);

interface SaveResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors?: { statusCode?: string; errorCode?: string; message: string; fields?: string[] }[];
}

export class SalesforceWriter {
  constructor(
    private readonly conn: Connection,
    private readonly call: Call,
  ) {}

  async pushAccounts(records: OutboundRecord[]): Promise<PushOutcome[]> {
    const out = new Map<string, PushOutcome>();
    await this.save(
      'update',
      'Account',
      records.filter((r) => r.crmId).map((r) => ({ r, body: { Id: r.crmId, ...cleared(r), ...r.properties } })),
      out,
    );
    await this.save(
      'upsert',
      'Account',
      records
        .filter((r) => !r.crmId)
        .map((r) => ({
          r,
          body: {
            ...r.onCreate,
            ...(r.ownerCrmId ? { OwnerId: r.ownerCrmId } : {}),
            ...r.properties,
            [EXTERNAL_ID]: r.localId,
          },
        })),
      out,
    );
    return records.map((r) => out.get(r.localId)!);
  }

  async pushContacts(records: OutboundRecord[], createAs: 'Lead' | 'Contact'): Promise<PushOutcome[]> {
    const out = new Map<string, PushOutcome>();
    const unlinked = records.filter((r) => !r.crmId);
    // By matchEmail, not email: a person whose (guessed) email is withheld is still found, and updated
    // without it. Null when duplicate handling is off: every unlinked person is created.
    const found = await this.findPeople(unlinked.flatMap((r) => (r.matchEmail ? [r.matchEmail] : [])));
    const targets = records.map((r) => {
      if (r.crmId) return { r, id: r.crmId, object: r.crmObject === 'Lead' ? ('Lead' as const) : ('Contact' as const) };
      const hit = r.matchEmail ? found.get(r.matchEmail.toLowerCase()) : undefined;
      if (!hit) return { r, id: null, object: createAs, ours: false };
      // A person found carrying this record's own external id was created by an earlier attempt of
      // this push whose bookkeeping was lost with it: it counts as created.
      return { r, id: hit.id, object: hit.object, ours: hit.key === r.localId };
    });
    for (const object of ['Contact', 'Lead'] as const) {
      const updates = targets.filter((t) => t.id && t.object === object);
      await this.save(
        'update',
        object,
        updates.map(({ r, id, ours }) => ({
          r,
          body: { Id: id, ...this.personFields(object, r, false) },
          created: ours,
        })),
        out,
      );
    }
    const creates = targets.filter((t) => !t.id);
    await this.save(
      'upsert',
      createAs,
      creates.map(({ r }) => ({ r, body: { ...this.personFields(createAs, r, true), [EXTERNAL_ID]: r.localId } })),
      out,
    );
    return records.map((r) => out.get(r.localId)!);
  }

  /**
   * Account `Website` is free text ("acme.com", "https://www.acme.com/"): ask for the usual spellings
   * of each domain as exact values (selective, unlike a leading-wildcard LIKE that scans the table),
   * as many domains per query as fit Salesforce's URL limit (domain/soql-in-lists.ts). The queries
   * are independent reads, sent at once so a batch waits one round trip for them, not one per query.
   */
  async findAccountsByDomain(domains: string[]): Promise<DomainMatch[]> {
    const soql = (list: string) =>
      `SELECT Id, Website, SystemModstamp, ${EXTERNAL_ID} FROM Account WHERE Website IN (${list})`;
    const spellings = (domain: string) => websiteSpellings(domain).map(soqlQuote);
    const chunks = packInLists(domains, spellings, soql(''));
    const results = await Promise.all(
      chunks.map((chunk) =>
        this.query<
          { Id: string; Website: string | null; SystemModstamp: string } & Record<typeof EXTERNAL_ID, string | null>
        >(soql(chunk.flatMap(spellings).join(', ')), 'accounts by website'),
      ),
    );
    return results.flat().map((r) => ({
      crmId: r.Id,
      domain: r.Website ?? '',
      modifiedAt: r.SystemModstamp,
      createdFor: r[EXTERNAL_ID] ?? null,
    }));
  }

  async describeField(object: 'Lead' | 'Contact' | 'Account', field: string): Promise<FieldInfo | null> {
    return (await this.describeFields(object, [field])).get(field) ?? null;
  }

  /** One describe of the sObject answers for all of them; field names match case-insensitively, as in SOQL. */
  async describeFields(
    object: 'Lead' | 'Contact' | 'Account',
    names: readonly string[],
  ): Promise<Map<string, FieldInfo | null>> {
    const d = await this.call(`${object} describe`, () => this.conn.sobject(object).describe());
    const byName = new Map(d.fields.map((f) => [f.name.toLowerCase(), f]));
    return new Map(
      names.map((n) => {
        const f = byName.get(n.toLowerCase());
        return [n, f ? fieldInfo(f) : null];
      }),
    );
  }

  /** Leads carry their company as text and are never associated with an account (seed 003). */
  private personFields(object: 'Lead' | 'Contact', r: OutboundRecord, create: boolean): Record<string, string | null> {
    const fields: Record<string, string | null> = {
      ...(create ? { ...r.onCreate, ...(r.ownerCrmId ? { OwnerId: r.ownerCrmId } : {}) } : cleared(r)),
      ...r.properties,
    };
    if (object === 'Contact' && r.accountCrmId) fields.AccountId = r.accountCrmId;
    if (object === 'Lead' && create && r.accountName) fields.Company = r.accountName;
    return fields;
  }

  /** People holding these emails; a Contact wins over a Lead for the same person (seed 003). */
  private async findPeople(emails: string[]): Promise<Map<string, FoundPerson>> {
    const found = new Map<string, FoundPerson>();
    if (!emails.length) return found;
    type Row = { Id: string; Email: string } & Record<typeof EXTERNAL_ID, string | null>;
    const leadsBy = (list: string) =>
      `SELECT Id, Email, ${EXTERNAL_ID} FROM Lead WHERE Email IN (${list}) AND IsConverted = false ORDER BY Id`;
    const contactsBy = (list: string) =>
      `SELECT Id, Email, ${EXTERNAL_ID} FROM Contact WHERE Email IN (${list}) ORDER BY Id`;
    const lists = packInLists(
      [...new Set(emails.map((e) => e.toLowerCase()))].map(soqlQuote),
      (literal) => [literal],
      leadsBy(''),
    ).map((group) => group.join(', '));
    // Independent reads: one round trip of latency, not one per query. Each list's leads keep their
    // order (by Id), and the lists come in order, so "the first lead of an email" is as before.
    const [leads, contacts] = await Promise.all([
      Promise.all(lists.map((l) => this.query<Row>(leadsBy(l), 'leads by email'))).then((r) => r.flat()),
      Promise.all(lists.map((l) => this.query<Row>(contactsBy(l), 'contacts by email'))).then((r) => r.flat()),
    ]);
    for (const l of leads)
      if (!found.has(l.Email.toLowerCase()))
        found.set(l.Email.toLowerCase(), { id: l.Id, object: 'Lead', key: l[EXTERNAL_ID] ?? null });
    const seen = new Set<string>();
    for (const c of contacts) {
      const k = c.Email.toLowerCase();
      if (seen.has(k)) continue;
      seen.add(k);
      found.set(k, { id: c.Id, object: 'Contact', key: c[EXTERNAL_ID] ?? null });
    }
    return found;
  }

  private async query<T>(soql: string, what: string): Promise<T[]> {
    const out: T[] = [];
    let page = await this.call(
      what,
      () => this.conn.query(soql) as unknown as Promise<{ records: T[]; done: boolean; nextRecordsUrl?: string }>,
    );
    out.push(...page.records);
    while (!page.done && page.nextRecordsUrl) {
      const url = page.nextRecordsUrl;
      page = await this.call(
        what,
        () => this.conn.queryMore(url) as unknown as Promise<{ records: T[]; done: boolean; nextRecordsUrl?: string }>,
      );
      out.push(...page.records);
    }
    return out;
  }

  /**
   * One collection call per batch, with allOrNone false: per-record refusals come back one by one.
   * A request Salesforce cannot read at all (a field the org no longer has, a malformed id) is
   * refused whole with a 400; it is split until only the records carrying the fault are refused
   * (src/crm/batch-isolation.ts), so the others are still written.
   */
  private async save(
    op: 'update' | 'upsert',
    object: 'Account' | 'Lead' | 'Contact',
    items: { r: OutboundRecord; body: Record<string, unknown>; created?: boolean }[],
    out: Map<string, PushOutcome>,
  ): Promise<void> {
    if (!items.length) return;
    const sobject = this.conn.sobject(object);
    const refusal = (r: OutboundRecord, code: string, message: string, field: string | null): PushOutcome => ({
      localId: r.localId,
      ok: false,
      cause: TRANSIENT_CODES.has(code) ? 'transient' : 'rejected',
      code,
      message,
      field,
      // An update of a record deleted (or purged) in the org: deletion sync's to decide, never retried.
      // INVALID_CROSS_REFERENCE_KEY naming a field is a lookup value (an AccountId) gone, not this record.
      ...(op === 'update' && (code === 'ENTITY_IS_DELETED' || (code === 'INVALID_CROSS_REFERENCE_KEY' && !field))
        ? { gone: true as const }
        : {}),
    });
    await sendIsolating(items, {
      keyOf: (i) => String(i.body.Id ?? i.body[EXTERNAL_ID] ?? ''),
      refuse: ({ r }, err) =>
        out.set(r.localId, refusal(r, err.details.code ?? 'UNKNOWN', err.details.crmMessage ?? err.message, null)),
      defer: ({ r }, err) =>
        out.set(r.localId, {
          localId: r.localId,
          ok: false,
          cause: 'transient',
          code: err.details.code ?? 'UNKNOWN',
          message: `Not pushed yet: Salesforce refused its batch as a whole and the record was not singled out; retried by itself (${err.details.crmMessage ?? err.message})`,
          field: null,
        }),
      send: async (batch) => {
        const bodies = batch.map((i) => i.body);
        const results = (await this.call(
          `${object} ${op}`,
          () =>
            (op === 'update'
              ? sobject.update(bodies as never, { allOrNone: false })
              : sobject.upsert(bodies as never, EXTERNAL_ID, { allOrNone: false })) as Promise<unknown>,
        )) as SaveResult[];
        batch.forEach(({ r, body, created }, i) => {
          const res = results[i];
          if (res?.success) {
            out.set(r.localId, {
              localId: r.localId,
              ok: true,
              crmId: res.id ?? String(body.Id),
              crmObject: object,
              // Upserts are keyed on our own id: an existing record is one an earlier attempt of this
              // push created and whose bookkeeping was lost (an outage before the batch committed), so
              // it counts as created either way and the totals count each record once.
              created: op === 'upsert' || !!created,
            });
            return;
          }
          const e = res?.errors?.[0];
          out.set(
            r.localId,
            refusal(
              r,
              e?.statusCode ?? e?.errorCode ?? 'UNKNOWN',
              e?.message ?? 'Salesforce returned no result for this record',
              e?.fields?.[0] ?? null,
            ),
          );
        });
      },
    });
  }
}

/** A person holding an email, and the workspace id in its external id if this integration created it. */
interface FoundPerson {
  id: string;
  object: 'Lead' | 'Contact';
  key: string | null;
}

type DescribedField = Awaited<ReturnType<ReturnType<Connection['sobject']>['describe']>>['fields'][number];

/**
 * What a describe says about writing a field: a push both creates and updates, so it needs
 * `createable` and `updateable`; only active picklist values are allowed ones. `length` is that of
 * text fields (0 for the others, which have none).
 */
function fieldInfo(f: DescribedField): FieldInfo {
  const picklist = f.type === 'picklist' || f.type === 'multipicklist';
  const calculated = !!f.calculated;
  return {
    type: f.type,
    options: picklist ? (f.picklistValues ?? []).filter((p) => p.active).map((p) => p.value) : null,
    restricted: picklist && !!f.restrictedPicklist,
    multiValued: f.type === 'multipicklist',
    writable: !!f.createable && !!f.updateable && !calculated,
    calculated,
    length: TEXT_TYPES.has(f.type) && f.length > 0 ? f.length : null,
  };
}

/** Describe types whose `length` bounds what a push may write. */
const TEXT_TYPES = new Set([
  'string',
  'textarea',
  'email',
  'phone',
  'url',
  'picklist',
  'multipicklist',
  'combobox',
  'encryptedstring',
]);

/** acme.com, www.acme.com, http(s)://(www.)acme.com, each with and without a trailing slash. */
function websiteSpellings(domain: string): string[] {
  const hosts = [domain, `www.${domain}`];
  const urls = hosts.flatMap((h) => [h, `http://${h}`, `https://${h}`]);
  return urls.flatMap((u) => [u, `${u}/`]);
}

/** Salesforce empties a field sent as null (a required one is refused for that record alone). */
function cleared(r: OutboundRecord): Record<string, null> {
  return Object.fromEntries((r.clear ?? []).map((f) => [f, null]));
}
