import type { Client } from '@hubspot/api-client';
import { DEFAULT_SOURCE_FIELD } from '../../domain/push-settings';
import { sendIsolating } from '../batch-isolation';
import { createSyncProperty } from './property-create';
import type { FieldInfo, OutboundRecord, PushOutcome } from '../port';

/**
 * Writes to HubSpot, idempotently. Nothing here relies on the search API to find what a previous,
 * interrupted attempt created (search lags behind writes): contacts are looked up by email with a
 * batch read and created by an upsert keyed on email, or on `apollo_contact_id` when no email is
 * sent or duplicate handling is off; companies are upserted on `apollo_account_id`. Both properties are unique-valued custom
 * properties this module creates in the portal on first use.
 */

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;
type HsType = 'contacts' | 'companies';
type Property = Awaited<ReturnType<Client['crm']['properties']['coreApi']['getByName']>>;

export const CONTACT_KEY = 'apollo_contact_id';
export const ACCOUNT_KEY = 'apollo_account_id';
/** The default source field, `apollo_source`: created on the first push that writes it. */
export const SOURCE_PROPERTY = DEFAULT_SOURCE_FIELD.hubspot;

interface BatchResult {
  results: { id: string; objectWriteTraceId?: string; _new?: boolean }[];
  errors?: { category: string; message: string; context?: Record<string, string[]> }[];
}

/** The default-association batch's answer (the client's model keeps the wire's `from` as `_from`). */
interface AssociationResult {
  results?: { _from?: { id?: string }; from?: { id?: string }; to?: { id?: string } }[];
  errors?: { category?: string; message?: string; context?: Record<string, string[]> }[];
}

/** Properties known to exist, per connection, for the life of the process. */
const ensured = new Set<string>();

export class HubSpotWriter {
  constructor(
    private readonly client: Client,
    private readonly call: Call,
    private readonly connectionKey: string,
  ) {}

  async pushAccounts(records: OutboundRecord[]): Promise<PushOutcome[]> {
    await this.ensureProperty('companies', ACCOUNT_KEY);
    await this.ensureSourceProperties(records);
    const out = new Map<string, PushOutcome>();
    const linked = records.filter((r) => r.crmId);
    const fresh = records.filter((r) => !r.crmId);
    await this.update('companies', linked, out);
    await this.upsert(
      'companies',
      ACCOUNT_KEY,
      fresh.map((r) => ({ r, key: r.localId })),
      out,
    );
    return records.map((r) => out.get(r.localId)!);
  }

  async pushContacts(records: OutboundRecord[]): Promise<PushOutcome[]> {
    await this.ensureProperty('contacts', CONTACT_KEY);
    await this.ensureSourceProperties(records);
    const out = new Map<string, PushOutcome>();
    const toUpdate = records.filter((r) => r.crmId);
    const unlinked = records.filter((r) => !r.crmId);

    // HubSpot holds one contact per email: an existing one is updated and linked, never duplicated,
    // and keeps its own owner and source. The batch read is consistent, unlike search. A withheld
    // (guessed) email is looked up too, and the contact it finds is updated without it.
    const existing = await this.readByEmail(unlinked.flatMap((r) => (r.matchEmail ? [r.matchEmail] : [])));
    const matched: OutboundRecord[] = [];
    const byEmail: OutboundRecord[] = [];
    const byKey: OutboundRecord[] = [];
    // Contacts found carrying this record's own key were created by an earlier attempt of this push
    // whose bookkeeping was lost with it (an outage between the upsert and the associations).
    const ours = new Set<string>();
    for (const r of unlinked) {
      const hit = r.matchEmail ? existing.get(r.matchEmail.toLowerCase()) : undefined;
      if (hit?.key === r.localId) ours.add(hit.id);
      if (hit) matched.push({ ...r, crmId: hit.id });
      else if (r.email && r.matchEmail) byEmail.push(r);
      // No email sent, or duplicate handling off: keyed on our id, so an email another contact holds
      // is refused by HubSpot (409 CONFLICT) instead of updating that contact.
      else byKey.push(r);
    }
    await this.update('contacts', [...toUpdate, ...matched], out, (o) => ours.has(o.id));
    // Keyed on email: a retry after a crash finds the contact the first attempt created.
    await this.upsert(
      'contacts',
      'email',
      byEmail.map((r) => ({ r, key: r.email! })),
      out,
    );
    await this.upsert(
      'contacts',
      CONTACT_KEY,
      byKey.map((r) => ({ r, key: r.localId })),
      out,
    );
    await this.associate(records, out);
    return records.map((r) => out.get(r.localId)!);
  }

  async describeField(type: HsType, name: string): Promise<FieldInfo | null> {
    try {
      const p = await this.call(`${type} property ${name}`, () =>
        this.client.crm.properties.coreApi.getByName(type, name),
      );
      return fieldInfo(p);
    } catch (err) {
      if ((err as { kind?: string }).kind === 'notFound') return null;
      throw err;
    }
  }

  /** One GET /crm/v3/properties/{type} for all of them, rather than one call per property. */
  async describeFields(type: HsType, names: readonly string[]): Promise<Map<string, FieldInfo | null>> {
    const res = await this.call(`${type} properties`, () => this.client.crm.properties.coreApi.getAll(type));
    const byName = new Map(res.results.map((p) => [p.name, p]));
    return new Map(names.map((n) => [n, byName.has(n) ? fieldInfo(byName.get(n)!) : null]));
  }

  /** Creates the unique key property (and the default source property) once per process. */
  private async ensureProperty(type: HsType, name: string, unique = true): Promise<void> {
    const key = `${this.connectionKey}:${type}.${name}`;
    if (ensured.has(key)) return;
    if (!(await this.describeField(type, name))) {
      await createSyncProperty(this.client, this.call, type, name, unique).catch((err) => {
        // Another worker created it first.
        if ((err as { kind?: string }).kind !== 'conflict') throw err;
      });
    }
    ensured.add(key);
  }

  /** The default source field is ours to create; any other must already exist. */
  private async ensureSourceProperties(records: OutboundRecord[]): Promise<void> {
    if (records.some((r) => SOURCE_PROPERTY in r.onCreate)) {
      await this.ensureProperty('contacts', SOURCE_PROPERTY, false);
      await this.ensureProperty('companies', SOURCE_PROPERTY, false);
    }
  }

  /** Contacts holding these emails: their id and the workspace id they were created for, if by us. */
  private async readByEmail(emails: string[]): Promise<Map<string, { id: string; key: string | null }>> {
    const found = new Map<string, { id: string; key: string | null }>();
    if (!emails.length) return found;
    const res = await this.call('contacts batch read by email', () =>
      this.client.crm.contacts.batchApi.read({
        inputs: emails.map((id) => ({ id })),
        idProperty: 'email',
        properties: ['email', CONTACT_KEY],
        propertiesWithHistory: [],
      }),
    );
    for (const o of res.results)
      if (o.properties.email)
        found.set(o.properties.email.toLowerCase(), { id: o.id, key: o.properties[CONTACT_KEY] || null });
    return found;
  }

  private async update(
    type: HsType,
    records: OutboundRecord[],
    out: Map<string, PushOutcome>,
    created: (o: BatchResult['results'][number]) => boolean = () => false,
  ): Promise<void> {
    const api = type === 'contacts' ? this.client.crm.contacts.batchApi : this.client.crm.companies.batchApi;
    // HubSpot empties a property set to "".
    const items = records.map((r) => ({
      r,
      input: {
        id: r.crmId!,
        properties: { ...Object.fromEntries((r.clear ?? []).map((f) => [f, ''])), ...r.properties },
        objectWriteTraceId: r.localId,
      },
    }));
    await this.isolating(type, items, out, async (batch) => {
      const res = (await this.call(`${type} batch update`, () =>
        api.update({ inputs: batch.map((i) => i.input) }),
      )) as BatchResult;
      this.collect(
        type,
        batch.map((i) => i.r),
        res,
        out,
        created,
      );
    });
  }

  private async upsert(
    type: HsType,
    idProperty: string,
    keyed: { r: OutboundRecord; key: string }[],
    out: Map<string, PushOutcome>,
  ): Promise<void> {
    const api = type === 'contacts' ? this.client.crm.contacts.batchApi : this.client.crm.companies.batchApi;
    const items = keyed.map(({ r, key }) => ({
      r,
      input: {
        id: key,
        idProperty,
        objectWriteTraceId: r.localId,
        properties: {
          ...r.onCreate,
          ...(r.ownerCrmId ? { hubspot_owner_id: r.ownerCrmId } : {}),
          ...r.properties,
          [type === 'contacts' ? CONTACT_KEY : ACCOUNT_KEY]: r.localId,
        },
      },
    }));
    await this.isolating(type, items, out, async (batch) => {
      const res = (await this.call(`${type} batch upsert`, () =>
        api.upsert({ inputs: batch.map((i) => i.input) }),
      )) as BatchResult;
      this.collect(
        type,
        batch.map((i) => i.r),
        res,
        out,
        // Keyed on our own id, an existing record can only be one an earlier attempt of this push
        // created and whose bookkeeping was lost (an outage before the batch committed): created
        // either way, so the totals count each record once. Keyed on email, `_new` says.
        (o) => idProperty !== 'email' || !!o._new,
      );
    });
  }

  /**
   * Batch update and upsert may refuse the whole call for one bad input (a 400 VALIDATION_ERROR,
   * a 404 for an id HubSpot no longer has, a 409 for a taken email): only that input is refused,
   * with HubSpot's own message, and the others are written (src/crm/batch-isolation.ts).
   */
  private async isolating<I extends { r: OutboundRecord; input: { id: string } }>(
    type: HsType,
    items: I[],
    out: Map<string, PushOutcome>,
    send: (batch: I[]) => Promise<void>,
  ): Promise<void> {
    if (!items.length) return;
    await sendIsolating(items, {
      send,
      keyOf: (i) => i.input.id,
      refuse: ({ r }, err) =>
        out.set(r.localId, recordError(r.localId, err.details.code ?? err.kind, err.details.crmMessage ?? err.message)),
      defer: ({ r }, err) =>
        out.set(r.localId, {
          localId: r.localId,
          ok: false,
          cause: 'transient',
          code: err.details.code ?? err.kind,
          message: `Not pushed yet: HubSpot refused its batch as a whole and the record was not singled out; retried by itself (${err.details.crmMessage ?? err.message})`,
          field: null,
        }),
    });
  }

  /**
   * New and re-linked contacts join their company; HubSpot ignores an association it already has.
   * A 207 (some associations failed, e.g. a company deleted in HubSpot) comes from
   * @hubspot/api-client 13.5 as a thrown ApiException, as this endpoint declares only 200; the
   * contacts were written either way, so they stay linked and only the failed association is
   * reported, on its contact.
   */
  private async associate(records: OutboundRecord[], out: Map<string, PushOutcome>): Promise<void> {
    const pairs = records
      .map((r) => ({ r, o: out.get(r.localId) }))
      .filter(({ r, o }) => r.accountCrmId && o?.ok)
      .map(({ r, o }) => ({ localId: r.localId, from: (o as { crmId: string }).crmId, to: r.accountCrmId! }));
    if (!pairs.length) return;
    const inputs = pairs.map((p) => ({ _from: { id: p.from }, to: { id: p.to } }));
    const res = (await this.call('contact-company associations', () =>
      this.client.crm.associations.v4.batchApi
        .createDefault('contacts', 'companies', { inputs })
        .catch((err: { code?: number; body?: unknown }) => {
          if (err?.code === 207 && err.body && typeof err.body === 'object') return err.body;
          throw err;
        }),
    )) as AssociationResult;
    const done = new Set((res.results ?? []).map((a) => `${String(a._from?.id ?? a.from?.id)}:${String(a.to?.id)}`));
    const failed = pairs.filter((p) => !done.has(`${p.from}:${p.to}`));
    for (const p of failed) {
      const e =
        (res.errors ?? []).find(
          (x) => x.context?.fromObjectId?.includes(p.from) || x.context?.toObjectId?.includes(p.to),
        ) ?? res.errors?.[0];
      const o = out.get(p.localId);
      if (o?.ok)
        out.set(p.localId, {
          ...o,
          associationError: {
            code: e?.category ?? 'NO_RESULT',
            message: `The contact was pushed, but HubSpot did not associate it with company ${p.to}: ${e?.message ?? 'no result for this association'}`,
          },
        });
    }
  }

  /** Matches results and per-input errors back to records by objectWriteTraceId (= local id). */
  private collect(
    type: HsType,
    records: OutboundRecord[],
    res: BatchResult,
    out: Map<string, PushOutcome>,
    created: (o: BatchResult['results'][number]) => boolean,
  ): void {
    for (const o of res.results) {
      if (o.objectWriteTraceId)
        out.set(o.objectWriteTraceId, {
          localId: o.objectWriteTraceId,
          ok: true,
          crmId: o.id,
          crmObject: type,
          created: created(o),
        });
    }
    for (const e of res.errors ?? []) {
      for (const localId of e.context?.objectWriteTraceId ?? [])
        out.set(localId, recordError(localId, e.category, e.message));
    }
    for (const r of records) {
      if (!out.has(r.localId))
        out.set(r.localId, {
          localId: r.localId,
          ok: false,
          cause: 'transient',
          code: 'NO_RESULT',
          message: `HubSpot returned no result for this ${type} record`,
          field: null,
        });
    }
  }
}

/**
 * What a property definition says about writing it. Enumerations refuse values outside their
 * options, except those whose options live elsewhere (`externalOptions`, e.g. owners); a checkbox
 * enumeration holds several options joined by ";".
 */
function fieldInfo(p: Property): FieldInfo {
  const enumerated = p.type === 'enumeration' && !p.externalOptions;
  const calculated = !!p.calculated;
  return {
    type: p.type,
    options: enumerated ? (p.options ?? []).map((o) => o.value) : null,
    restricted: enumerated,
    multiValued: p.type === 'enumeration' && p.fieldType === 'checkbox',
    writable: !p.modificationMetadata?.readOnlyValue && !calculated,
    calculated,
    length: null,
  };
}

/** One per-record refusal, with the field it names when HubSpot says (INVALID_OPTION lists them in `message`). */
export function recordError(localId: string, category: string, message: string): PushOutcome {
  let field: string | null = null;
  let code = category;
  let text = message;
  const m = /^Property values were not valid: (\[.*\])$/s.exec(message);
  if (m) {
    try {
      const list = JSON.parse(m[1]) as { name?: string; error?: string; message?: string }[];
      field = list[0]?.name ?? null;
      code = list[0]?.error ?? category;
      text = list.map((p) => `${p.name}: ${p.message}`).join('; ');
    } catch {
      // Keep HubSpot's message as it came.
    }
  }
  // A create with an email another contact holds (duplicate handling off): HubSpot's 409 names no field.
  if (category === 'CONFLICT' && /^Contact already exists/.test(message)) field = 'email';
  const transient = category === 'RATE_LIMITS' || category === 'INTERNAL_ERROR';
  // An update of a record HubSpot archived or purged (404 OBJECT_NOT_FOUND): deletion sync's to decide.
  const gone = category === 'OBJECT_NOT_FOUND' ? { gone: true as const } : {};
  return { localId, ok: false, cause: transient ? 'transient' : 'rejected', code, message: text, field, ...gone };
}
