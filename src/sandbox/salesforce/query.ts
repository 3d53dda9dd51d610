import { orgFieldDef, sobjectName, type FieldDef, type SObjectName } from './schema';
import { parseSoql, type Cond, type Literal, type SoqlQuery } from './soql';
import { sfDatetime, type Org, type SfRecord, type SfValue } from './state';

/**
 * Runs a parsed SOQL query over an org's records: the filter, the QUERY_TIMEOUT threshold (rows the
 * filter matches, standing in for rows scanned), ordering and LIMIT. Errors carry Salesforce's code.
 */

export class SfApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }
  get body(): unknown {
    return [{ message: this.message, errorCode: this.errorCode, ...(this.fields ? { fields: this.fields } : {}) }];
  }
}

export interface QueryResult {
  sobject: SObjectName;
  count: boolean;
  /** Canonical field names, in the order asked. */
  fields: string[];
  ids: string[];
}

export function runQuery(org: Org, soql: string, includeDeleted: boolean): QueryResult {
  let q: SoqlQuery;
  try {
    q = parseSoql(soql);
  } catch (err) {
    throw new SfApiError(400, 'MALFORMED_QUERY', (err as Error).message);
  }
  const sobject = sobjectName(q.sobject);
  if (!sobject) {
    throw new SfApiError(
      400,
      'INVALID_TYPE',
      `\n${soql}\n^\nERROR at Row:1:Column:1\nsObject type '${q.sobject}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`,
    );
  }
  const col = (name: string): FieldDef => {
    const def = orgFieldDef(org.schemaChanges, sobject, name);
    if (!def)
      throw new SfApiError(
        400,
        'INVALID_FIELD',
        `\n${soql}\n^\nERROR at Row:1:Column:1\nNo such column '${name}' on entity '${sobject}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
      );
    return def;
  };
  const fields = q.fields.map((f) => col(f).name);
  const where = q.where ? compile(q.where, sobject, col) : () => true;
  const order = q.orderBy.map((o) => ({ ...o, def: col(o.field) }));

  let rows = org.records[sobject].filter((r) => (includeDeleted || r.IsDeleted !== true) && where(r));
  if (org.limits.queryTimeoutRows > 0 && rows.length > org.limits.queryTimeoutRows) {
    throw new SfApiError(400, 'QUERY_TIMEOUT', 'Your query request was running for too long.');
  }
  if (order.length) {
    rows = [...rows].sort((a, b) => {
      for (const o of order) {
        const c = compareValues(a[o.def.name], b[o.def.name], o.def, o.nullsLast !== o.desc);
        if (c !== 0) return o.desc ? -c : c;
      }
      return 0;
    });
  }
  if (q.limit !== null) rows = rows.slice(0, q.limit);
  return { sobject, count: q.count, fields, ids: rows.map((r) => String(r.Id)) };
}

type Pred = (r: SfRecord) => boolean;

function compile(c: Cond, sobject: SObjectName, col: (name: string) => FieldDef): Pred {
  switch (c.op) {
    case 'and': {
      const l = compile(c.left, sobject, col);
      const r = compile(c.right, sobject, col);
      return (x) => l(x) && r(x);
    }
    case 'or': {
      const l = compile(c.left, sobject, col);
      const r = compile(c.right, sobject, col);
      return (x) => l(x) || r(x);
    }
    case 'not': {
      const inner = compile(c.inner, sobject, col);
      return (x) => !inner(x);
    }
    case 'in': {
      const def = col(c.field);
      const values = c.values.map((v) => coerce(v, def));
      const pred: Pred = (x) => values.some((v) => equal(x[def.name], v, def));
      return c.negated ? (x) => !pred(x) : pred;
    }
    case 'cmp': {
      const def = col(c.field);
      if (c.cmp === 'like') {
        const pattern = new RegExp(
          `^${(c.value as { v: string }).v
            .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
            .replace(/%/g, '.*')
            .replace(/_/g, '.')}$`,
          'is',
        );
        return (x) => typeof x[def.name] === 'string' && pattern.test(x[def.name] as string);
      }
      const v = coerce(c.value, def);
      switch (c.cmp) {
        case '=':
          return (x) => equal(x[def.name], v, def);
        case '!=':
          return (x) => !equal(x[def.name], v, def);
        default: {
          const want = {
            '<': (n: number) => n < 0,
            '<=': (n: number) => n <= 0,
            '>': (n: number) => n > 0,
            '>=': (n: number) => n >= 0,
          }[c.cmp];
          // Salesforce: a range comparison with null matches nothing.
          return (x) => x[def.name] !== null && v !== null && want(compareValues(x[def.name], v, def, false));
        }
      }
    }
  }
}

/** A literal as the field's type wants it; the wrong kind of literal is Salesforce's filter error. */
function coerce(lit: Literal, def: FieldDef): SfValue {
  if (lit.t === 'null') return null;
  const wrong = (want: string): never => {
    throw new SfApiError(
      400,
      'INVALID_QUERY_FILTER_OPERATOR',
      `value of filter criterion for field '${def.name}' must be of type ${want} and should not be enclosed in quotes`,
    );
  };
  switch (def.type) {
    case 'datetime':
      // Stored datetimes share one fixed-width UTC format, so they compare as strings.
      return lit.t === 'datetime' ? sfDatetime(lit.v) : wrong('dateTime');
    case 'date':
      return lit.t === 'date' ? lit.v : wrong('date');
    case 'boolean':
      return lit.t === 'boolean' ? lit.v : wrong('boolean');
    case 'int':
      // Stored as their decimal text (see writes.ts), compared as numbers.
      return lit.t === 'number' ? String(lit.v) : wrong('integer');
    default:
      if (lit.t !== 'string')
        throw new SfApiError(
          400,
          'INVALID_QUERY_FILTER_OPERATOR',
          `value of filter criterion for field '${def.name}' must be of type string and should be enclosed in quotes`,
        );
      return lit.v;
  }
}

function equal(a: SfValue, b: SfValue, def: FieldDef): boolean {
  if (a === null || b === null) return a === b;
  if (def.type === 'datetime') return a === b;
  // Text equality in SOQL is case-insensitive.
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

function compareValues(a: SfValue, b: SfValue, def: FieldDef, nullsLast: boolean): number {
  if (a === null || b === null) {
    if (a === b) return 0;
    return (a === null) === nullsLast ? 1 : -1;
  }
  if (typeof a === 'boolean') return Number(a) - Number(b);
  if (def.type === 'int') return Number(a) - Number(b);
  // Ids and datetimes (one fixed-width format) compare as they are; text ignoring case.
  const exact = def.type === 'id' || def.type === 'reference' || def.type === 'datetime' || def.type === 'date';
  const [x, y] = exact ? [String(a), String(b)] : [String(a).toLowerCase(), String(b).toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
}
