import { orgFieldDef, orgFields, SCHEMA, type SObjectName } from './schema';
import { SfApiError } from './query';
import type { OrgIndex, SfRecord, SfValue } from './state';

/**
 * sObject Collections create / update / upsert: at most 200 records, per-record results in input
 * order. Per-record errors use `statusCode` (not `errorCode`), as Salesforce sends them. With
 * allOrNone and one failure, nothing is written and the others report ALL_OR_NONE_OPERATION_ROLLED_BACK.
 */

export const COLLECTION_MAX = 200;

export interface RecordResult {
  id?: string;
  success: boolean;
  errors: { statusCode: string; message: string; fields: string[] }[];
  created?: boolean;
}

type Op = { kind: 'create' } | { kind: 'update' } | { kind: 'upsert'; externalField: string };

interface Input {
  attributes?: { type?: string };
  [field: string]: unknown;
}

export function writeCollection(
  idx: OrgIndex,
  op: Op,
  body: { allOrNone?: boolean; records?: Input[] },
  defaultType?: SObjectName,
): RecordResult[] {
  const records = body?.records;
  if (!Array.isArray(records)) throw new SfApiError(400, 'JSON_PARSER_ERROR', 'records is required');
  if (records.length > COLLECTION_MAX) {
    throw new SfApiError(
      400,
      'EXCEEDED_ID_LIMIT',
      `record limit reached. cannot submit more than ${COLLECTION_MAX} records into this call`,
    );
  }
  const lockRate = idx.org.faults.lockRate;
  // Validate everything first, so allOrNone can refuse the lot before anything is written.
  const plans = records.map((input) => {
    try {
      const type = recordType(input, defaultType);
      if (lockRate > 0 && Math.random() < lockRate) {
        throw recordError(
          'UNABLE_TO_LOCK_ROW',
          'unable to obtain exclusive access to this record or 1 records: ' + String(input.Id ?? input.id ?? ''),
        );
      }
      return { ok: true as const, ...plan(idx, op, type, input) };
    } catch (err) {
      if (err instanceof RecordError) return { ok: false as const, error: err };
      throw err;
    }
  });
  const anyFailed = plans.some((p) => !p.ok);
  if (body.allOrNone && anyFailed) {
    return plans.map((p) =>
      p.ok
        ? {
            success: false,
            errors: [
              {
                statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                message:
                  'Record rolled back because not all records were valid and the request was using AllOrNone header',
                fields: [],
              },
            ],
          }
        : failure(p.error),
    );
  }
  return plans.map((p) => {
    if (!p.ok) return failure(p.error);
    if (p.existingId) {
      idx.update(p.type, p.existingId, p.values);
      return { id: p.existingId, success: true, errors: [], ...(op.kind === 'upsert' ? { created: false } : {}) };
    }
    const rec = idx.create(p.type, p.values);
    return { id: String(rec.Id), success: true, errors: [], ...(op.kind === 'upsert' ? { created: true } : {}) };
  });
}

class RecordError extends Error {
  constructor(
    readonly statusCode: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}
const recordError = (code: string, message: string, fields: string[] = []) => new RecordError(code, message, fields);
const failure = (e: RecordError): RecordResult => ({
  success: false,
  errors: [{ statusCode: e.statusCode, message: e.message, fields: e.fields }],
});

function recordType(input: Input, defaultType?: SObjectName): SObjectName {
  const name = input.attributes?.type ?? defaultType;
  const type = SCHEMA_NAMES.find((t) => t.toLowerCase() === String(name ?? '').toLowerCase());
  if (!type || type === 'User') throw recordError('INVALID_TYPE', `sObject type '${name}' is not supported.`);
  return type;
}
const SCHEMA_NAMES = Object.keys(SCHEMA) as SObjectName[];
/** Field types whose describe `length` bounds a value. */
const TEXT_TYPES = new Set(['string', 'email', 'phone', 'url', 'picklist']);
/** A standard field's label: its API name in words (LastName -> Last Name, Apollo_Id__c -> Apollo Id). */
const labelOf = (name: string) =>
  name
    .replace(/__c$/, '')
    .replace(/_/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2');
/**
 * What an Email field accepts on write: the local part's allowed characters, an @, a dotted domain of
 * letters, digits and dashes. Records loaded otherwise (imports, older data) may still hold anything.
 */
const EMAIL_FORMAT = /^[A-Za-z0-9.!#$%&'*/=?^_+`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

function plan(
  idx: OrgIndex,
  op: Op,
  type: SObjectName,
  input: Input,
): { type: SObjectName; values: SfRecord; existingId?: string } {
  const values: SfRecord = {};
  let id: string | undefined;
  for (const [k, v] of Object.entries(input)) {
    if (k === 'attributes') continue;
    if (k.toLowerCase() === 'id') {
      id = String(v);
      // So does an Id that is not one (15 or 18 letters and digits).
      if (!/^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/.test(id))
        throw new SfApiError(400, 'MALFORMED_ID', `${type} ID: id value of incorrect type: ${id}`, ['Id']);
      continue;
    }
    const def = orgFieldDef(idx.org.schemaChanges, type, k);
    // A field the sObject lacks fails the whole request: Salesforce cannot read the body (400).
    if (!def) throw new SfApiError(400, 'INVALID_FIELD', `No such column '${k}' on sobject of type ${type}`);
    if (def.readonly)
      throw recordError(
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        `Unable to create/update fields: ${def.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        [def.name],
      );
    let value = (v === undefined ? null : v) as SfValue;
    // Numbers are kept as their decimal text, as the REST API also takes them ("250" or 250).
    if (def.type === 'int' && value !== null) {
      if (!/^-?\d+$/.test(String(value)))
        throw recordError('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type: ${value}`, [
          def.name,
        ]);
      value = String(value);
    }
    if (def.picklist?.restricted && value !== null && !def.picklist.values.includes(String(value))) {
      throw recordError(
        'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
        `${def.name}: bad value for restricted picklist field: ${value}`,
        [def.name],
      );
    }
    if (def.type === 'email' && typeof value === 'string' && value !== '' && !EMAIL_FORMAT.test(value))
      throw recordError('INVALID_EMAIL_ADDRESS', `${def.name}: invalid email address: ${value}`, [def.name]);
    // Text longer than describe's `length` is refused, record by record, never truncated.
    if (def.length && TEXT_TYPES.has(def.type) && value !== null && String(value).length > def.length)
      throw recordError(
        'STRING_TOO_LONG',
        `${labelOf(def.name)}: data value too large: ${String(value)} (max length=${def.length})`,
        [def.name],
      );
    values[def.name] = value;
  }

  let existingId: string | undefined;
  if (op.kind === 'update') {
    if (!id) throw recordError('MISSING_ARGUMENT', 'Id not specified in an update call', []);
    // A deleted record (in the recycle bin) and one that is gone or never was are refused apart.
    const target = idx.getOf(type, id);
    if (target?.IsDeleted === true) throw recordError('ENTITY_IS_DELETED', 'entity is deleted', []);
    if (!target) throw recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', []);
    existingId = id;
  } else if (op.kind === 'upsert') {
    const ext = orgFieldDef(idx.org.schemaChanges, type, op.externalField);
    if (!ext?.externalId)
      throw recordError(
        'INVALID_FIELD',
        `Field name provided, ${op.externalField} is not an External ID or indexed field for ${type}`,
        [op.externalField],
      );
    const key = values[ext.name];
    if (key === null || key === undefined)
      throw recordError('MISSING_ARGUMENT', `${ext.name} not specified`, [ext.name]);
    const matches = idx.org.records[type].filter((r) => r.IsDeleted !== true && r[ext.name] === key);
    if (matches.length > 1)
      throw recordError('DUPLICATE_EXTERNAL_ID', `${ext.name}: more than one record found for external id field`, [
        ext.name,
      ]);
    existingId = matches[0] ? String(matches[0].Id) : undefined;
  }

  const existing = existingId ? idx.getOf(type, existingId) : undefined;
  if (type === 'Lead' && existing?.IsConverted === true)
    throw recordError('CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead', []);
  const merged = { ...(existing ?? {}), ...values };
  const missing = orgFields(idx.org.schemaChanges, type)
    .filter((f) => f.required && (merged[f.name] === null || merged[f.name] === undefined || merged[f.name] === ''))
    .map((f) => f.name);
  if (missing.length)
    throw recordError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
  if (!existing && type === 'Lead' && merged.Status === undefined) values.Status = 'Open - Not Contacted';
  if (
    !existing &&
    idx.org.limits.duplicateRule &&
    (type === 'Lead' || type === 'Contact') &&
    typeof values.Email === 'string'
  ) {
    const email = values.Email.toLowerCase();
    const dup = idx.org.records[type].find(
      (r) => r.IsDeleted !== true && typeof r.Email === 'string' && r.Email.toLowerCase() === email,
    );
    if (dup) throw recordError('DUPLICATES_DETECTED', 'Use one of these records?', []);
  }
  return { type, values, existingId };
}
