import { correlationId, type Reply } from '../http';
import {
  findProperty,
  propertiesOf,
  propertyJson,
  propertyProblems,
  validationBody,
  type HsProperty,
} from './properties';
import { batchReadReply, serialize } from './serialize';
import { uniqueKey, type HsObjectType, type HsRecord, type PortalIndex } from './state';

/**
 * The write endpoints: batch update / upsert, batch read by a unique property, default
 * associations, and property definitions. HubSpot documents per-input multi-status (207) for batch
 * create only; batch update and upsert are modelled on their worst reported behaviour: the first
 * bad input fails the whole request and nothing is written, objectWriteTraceId or not. A bad
 * property value answers 400 VALIDATION_ERROR naming the property, not the input; a conflict 409;
 * an update of an id HubSpot does not have (or has archived) 404 OBJECT_NOT_FOUND naming the ids in
 * `context.ids`. The default-association batch answers 207 when some associations fail.
 */

const MAX_INPUTS = 100;

interface InputError {
  status: number;
  body: { status: 'error'; message: string; category: string; subCategory?: string; context?: { ids: string[] } };
}

/** HubSpot's words for ids it cannot find (its batch read says the same, wire facts A5). */
const notFoundMessage = (type: HsObjectType) =>
  `Could not get some ${type === 'contacts' ? 'CONTACT' : 'COMPANY'} objects, they may be deleted or not exist. Check that ids are valid.`;

type Planned =
  | { kind: 'update'; rec: HsRecord; properties: Record<string, string | null>; created: false }
  | { kind: 'create'; properties: Record<string, string | null>; created: true };

interface UpsertInput {
  id?: string;
  idProperty?: string;
  properties?: Record<string, string | null>;
  objectWriteTraceId?: string;
}

export function batchUpdate(idx: PortalIndex, type: HsObjectType, body: { inputs?: UpsertInput[] }): Reply {
  return runBatch(
    idx,
    type,
    body?.inputs,
    (input, claimed) => {
      if (input.idProperty && input.idProperty !== 'hs_object_id') {
        return error(
          400,
          'VALIDATION_ERROR',
          `Unable to perform update/upsert by non-unique 0-1 property ${input.idProperty}`,
        );
      }
      const rec = idx.get(type, String(input.id ?? ''));
      if (!rec || rec.archived) {
        const missing = error(404, 'OBJECT_NOT_FOUND', notFoundMessage(type));
        return { ...missing, body: { ...missing.body, context: { ids: [String(input.id ?? '')] } } };
      }
      return plan(idx, type, { kind: 'update', rec, properties: input.properties ?? {}, created: false }, claimed);
    },
    false,
  );
}

export function batchUpsert(idx: PortalIndex, type: HsObjectType, body: { inputs?: UpsertInput[] }): Reply {
  return runBatch(
    idx,
    type,
    body?.inputs,
    (input, claimed) => {
      const prop = input.idProperty ? findProperty(idx.portal, type, input.idProperty) : undefined;
      if (!prop?.hasUniqueValue) {
        return error(
          400,
          'VALIDATION_ERROR',
          `Unable to perform update/upsert by non-unique 0-1 property ${input.idProperty ?? '(none)'}`,
        );
      }
      const key = String(input.id ?? '');
      if (!key) return error(400, 'VALIDATION_ERROR', 'Upsert inputs need an id');
      const rec = idx.findByUnique(type, prop.name, key);
      const properties = { ...(input.properties ?? {}) };
      if (rec) return plan(idx, type, { kind: 'update', rec, properties, created: false }, claimed);
      return plan(
        idx,
        type,
        { kind: 'create', properties: { ...properties, [prop.name]: key }, created: true },
        claimed,
      );
    },
    true,
  );
}

/**
 * batch/create: the one batch write HubSpot documents multi-status for. With a unique
 * objectWriteTraceId on every input, bad inputs come back one by one in a 207 (their trace id in
 * `context`) and the rest are created (201 when all are); without, the first bad input fails the
 * whole call and nothing is written.
 */
export function batchCreate(
  idx: PortalIndex,
  type: HsObjectType,
  body: { inputs?: { properties?: Record<string, string | null>; objectWriteTraceId?: string }[] },
): Reply {
  const list = body?.inputs ?? [];
  if (list.length > MAX_INPUTS) return tooMany();
  const traces = list.map((i) => i.objectWriteTraceId);
  const traced = traces.every((t) => typeof t === 'string' && t) && new Set(traces).size === list.length;
  const claimed = new Map<string, string>();
  const planned = list.map((i) =>
    plan(idx, type, { kind: 'create', properties: { ...(i.properties ?? {}) }, created: true }, claimed),
  );
  const first = planned.find((p): p is InputError => 'status' in p);
  if (first && !traced) return { status: first.status, body: { ...first.body, correlationId: correlationId() } };
  const startedAt = new Date().toISOString();
  const results = [];
  const errors = [];
  for (const [i, p] of planned.entries()) {
    if ('status' in p) {
      errors.push({ ...p.body, context: { objectWriteTraceId: [String(traces[i])] } });
      continue;
    }
    const rec = idx.create(type, p.properties);
    results.push({
      ...serialize(rec, type, Object.keys(p.properties)),
      ...(traced ? { objectWriteTraceId: traces[i] } : {}),
    });
  }
  const completedAt = new Date().toISOString();
  if (!errors.length) return { status: 201, body: { status: 'COMPLETE', results, startedAt, completedAt } };
  return {
    status: 207,
    body: { status: 'COMPLETE', results, numErrors: errors.length, errors, startedAt, completedAt },
  };
}

/** batch/read with `idProperty`: the ids are values of that unique property (e.g. emails). */
export function batchReadBy(
  idx: PortalIndex,
  type: HsObjectType,
  body: { inputs?: { id: string }[]; properties?: string[]; idProperty: string },
): Reply {
  const prop = findProperty(idx.portal, type, body.idProperty);
  if (!prop?.hasUniqueValue)
    return {
      status: 400,
      body: {
        ...error(400, 'VALIDATION_ERROR', `${body.idProperty} is not a unique property`).body,
        correlationId: correlationId(),
      },
    };
  const inputs = body.inputs ?? [];
  if (inputs.length > MAX_INPUTS) return tooMany();
  return batchReadReply(
    type,
    inputs.map((i) => String(i.id)),
    body.properties,
    (id) => idx.findByUnique(type, prop.name, id),
  );
}

/** POST /crm/v4/associations/contacts/companies/batch/associate/default */
export function associateDefault(
  idx: PortalIndex,
  body: { inputs?: { from?: { id: string }; to?: { id: string } }[] },
): Reply {
  const inputs = body?.inputs ?? [];
  if (inputs.length > 1000) return tooMany();
  const results = [];
  const errors = [];
  for (const i of inputs) {
    const contact = idx.get('contacts', String(i.from?.id));
    const company = idx.get('companies', String(i.to?.id));
    if (!contact || contact.archived || !company || company.archived) {
      errors.push({
        status: 'error',
        category: 'VALIDATION_ERROR',
        message: `No contact ${i.from?.id} or company ${i.to?.id} to associate`,
        context: { fromObjectId: [String(i.from?.id)], toObjectId: [String(i.to?.id)] },
      });
      continue;
    }
    // The first association is the primary; association changes do not bump lastmodifieddate.
    contact.companyIds ??= [];
    if (!contact.companyIds.includes(company.id)) contact.companyIds.push(company.id);
    results.push({
      from: { id: contact.id },
      to: { id: company.id },
      associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 },
    });
  }
  const now = new Date().toISOString();
  return {
    status: errors.length ? 207 : 200,
    body: {
      status: 'COMPLETE',
      results,
      ...(errors.length ? { numErrors: errors.length, errors } : {}),
      startedAt: now,
      completedAt: now,
    },
  };
}

export function getProperty(idx: PortalIndex, type: HsObjectType, name: string): Reply {
  const p = findProperty(idx.portal, type, name);
  if (!p)
    return {
      status: 404,
      body: {
        status: 'error',
        message: `Unable to find property ${name}`,
        correlationId: correlationId(),
        category: 'OBJECT_NOT_FOUND',
      },
    };
  return { status: 200, body: propertyJson(type, p) };
}

export function listProperties(idx: PortalIndex, type: HsObjectType): Reply {
  return { status: 200, body: { results: propertiesOf(idx.portal, type).map((p) => propertyJson(type, p)) } };
}

const CREATABLE_TYPES: HsProperty['type'][] = ['string', 'enumeration', 'number', 'date', 'datetime', 'bool'];

export function createProperty(
  idx: PortalIndex,
  type: HsObjectType,
  body: Omit<Partial<HsProperty>, 'options'> & { options?: ({ value: string } | string)[] },
): Reply {
  if (!body?.name || !/^[a-z][a-z0-9_]*$/.test(body.name)) {
    return {
      status: 400,
      body: {
        status: 'error',
        message: 'Property name must be lower case letters, digits and underscores',
        correlationId: correlationId(),
        category: 'VALIDATION_ERROR',
      },
    };
  }
  if (findProperty(idx.portal, type, body.name)) {
    return {
      status: 409,
      body: {
        status: 'error',
        message: `Property named '${body.name}' already exists.`,
        correlationId: correlationId(),
        category: 'OBJECT_ALREADY_EXISTS',
      },
    };
  }
  const p: HsProperty = {
    name: body.name,
    label: body.label ?? body.name,
    type: CREATABLE_TYPES.find((t) => t === body.type) ?? 'string',
    fieldType: body.fieldType ?? 'text',
    hasUniqueValue: !!body.hasUniqueValue,
    ...(body.type === 'enumeration'
      ? { options: (body.options ?? []).map((o) => (typeof o === 'string' ? o : o.value)) }
      : {}),
  };
  idx.portal.customProperties ??= { contacts: [], companies: [] };
  idx.portal.customProperties[type].push(p);
  return { status: 201, body: propertyJson(type, p) };
}

function runBatch(
  idx: PortalIndex,
  type: HsObjectType,
  inputs: UpsertInput[] | undefined,
  planOne: (input: UpsertInput, claimed: Map<string, string>) => Planned | InputError,
  isUpsert: boolean,
): Reply {
  const list = inputs ?? [];
  if (list.length > MAX_INPUTS) return tooMany();
  const traced = list.length > 0 && list.every((i) => typeof i.objectWriteTraceId === 'string' && i.objectWriteTraceId);
  // Unique values claimed by earlier inputs of this batch, so two inputs cannot take one email.
  const claimed = new Map<string, string>();
  const planned: Planned[] = [];
  for (const input of list) {
    const p = planOne(input, claimed);
    // One bad input fails the whole call; nothing of it is written.
    if ('status' in p) return { status: p.status, body: { ...p.body, correlationId: correlationId() } };
    planned.push(p);
  }

  const startedAt = new Date().toISOString();
  const results = [];
  for (let i = 0; i < list.length; i++) {
    const p = planned[i];
    const rec = p.kind === 'create' ? idx.create(type, p.properties) : idx.update(type, p.rec.id, p.properties)!;
    const written = serialize(rec, type, Object.keys(p.properties));
    results.push({
      ...written,
      ...(isUpsert ? { new: p.created } : {}),
      ...(traced ? { objectWriteTraceId: list[i].objectWriteTraceId } : {}),
    });
  }
  const completedAt = new Date().toISOString();
  return { status: 200, body: { status: 'COMPLETE', results, startedAt, completedAt } };
}

/** Validates one write against the property definitions and the unique properties. */
function plan(idx: PortalIndex, type: HsObjectType, p: Planned, claimed: Map<string, string>): Planned | InputError {
  const problems = propertyProblems(idx.portal, type, p.properties);
  if (problems.length) {
    const body = validationBody(problems);
    return { status: 400, body: { status: 'error', message: body.message, category: body.category } };
  }
  for (const def of propertiesOf(idx.portal, type).filter((d) => d.hasUniqueValue)) {
    const value = p.properties[def.name];
    if (value === undefined || value === null || value === '') continue;
    const holder = idx.findByUnique(type, def.name, value);
    const self = p.kind === 'update' ? p.rec.id : undefined;
    if (holder && holder.id !== self) {
      const message =
        def.name === 'email'
          ? `Contact already exists. Existing ID: ${holder.id}`
          : `A ${type} record already has the value ${value} for unique property ${def.name}. Existing ID: ${holder.id}`;
      return { status: 409, body: { status: 'error', message, category: 'CONFLICT' } };
    }
    const key = `${def.name}:${uniqueKey(def.name, value)}`;
    const claimant = claimed.get(key);
    if (claimant !== undefined && claimant !== self) {
      return {
        status: 409,
        body: {
          status: 'error',
          message: `Two inputs of this batch share the value ${value} for unique property ${def.name}`,
          category: 'CONFLICT',
        },
      };
    }
    claimed.set(key, self ?? '');
  }
  return p;
}

function error(status: number, category: string, message: string): InputError {
  return { status, body: { status: 'error', message, category } };
}

function tooMany(): Reply {
  return {
    status: 400,
    body: {
      status: 'error',
      message: `The maximum number of inputs supported in a batch request is ${MAX_INPUTS}.`,
      correlationId: correlationId(),
      category: 'VALIDATION_ERROR',
    },
  };
}
