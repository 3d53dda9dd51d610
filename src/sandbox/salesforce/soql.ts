/**
 * A parser for the SOQL subset the Salesforce adapter sends:
 *
 *   SELECT COUNT() | field, ... FROM SObject
 *     [WHERE cond] [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n]
 *
 * cond: comparisons (= != <> < <= > >=) on string, number, boolean, null, date and datetime
 * literals; LIKE; [NOT] IN (...); AND / OR / NOT with parentheses. Anything else is a
 * SoqlSyntaxError, which the server answers as Salesforce does, with MALFORMED_QUERY.
 */

export type Literal =
  | { t: 'string'; v: string }
  | { t: 'number'; v: number }
  | { t: 'boolean'; v: boolean }
  | { t: 'null' }
  | { t: 'datetime'; v: number; text: string }
  | { t: 'date'; v: string };

export type Cond =
  | { op: 'and' | 'or'; left: Cond; right: Cond }
  | { op: 'not'; inner: Cond }
  | { op: 'cmp'; field: string; cmp: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'like'; value: Literal }
  | { op: 'in'; field: string; negated: boolean; values: Literal[] };

export interface OrderItem {
  field: string;
  desc: boolean;
  nullsLast: boolean;
}

export interface SoqlQuery {
  count: boolean;
  fields: string[];
  sobject: string;
  where: Cond | null;
  orderBy: OrderItem[];
  limit: number | null;
}

export class SoqlSyntaxError extends Error {
  constructor(
    readonly soql: string,
    readonly column: number,
    detail: string,
  ) {
    super(`\n${soql}\n${' '.repeat(Math.max(0, column - 1))}^\nERROR at Row:1:Column:${column}\n${detail}`);
  }
}

interface Token {
  kind: 'ident' | 'string' | 'number' | 'datetime' | 'date' | 'punct' | 'op' | 'end';
  text: string;
  pos: number;
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![\dT])/;

function tokenize(soql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const rest = soql.slice(i);
    const ch = soql[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = DATETIME.exec(rest))) out.push({ kind: 'datetime', text: m[0], pos: i });
    else if ((m = DATE.exec(rest))) out.push({ kind: 'date', text: m[0], pos: i });
    else if ((m = /^-?\d+(\.\d+)?/.exec(rest))) out.push({ kind: 'number', text: m[0], pos: i });
    else if ((m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(rest))) out.push({ kind: 'ident', text: m[0], pos: i });
    else if ((m = /^(<=|>=|!=|<>|=|<|>)/.exec(rest))) out.push({ kind: 'op', text: m[0], pos: i });
    else if ('(),'.includes(ch)) {
      out.push({ kind: 'punct', text: ch, pos: i });
      i++;
      continue;
    } else if (ch === "'") {
      let j = i + 1;
      let v = '';
      for (; j < soql.length && soql[j] !== "'"; j++) {
        if (soql[j] === '\\' && j + 1 < soql.length) v += soql[++j];
        else v += soql[j];
      }
      if (j >= soql.length) throw new SoqlSyntaxError(soql, i + 1, 'unterminated string literal');
      out.push({ kind: 'string', text: v, pos: i });
      i = j + 1;
      continue;
    } else throw new SoqlSyntaxError(soql, i + 1, `unexpected token: '${ch}'`);
    i += m![0].length;
  }
  out.push({ kind: 'end', text: '', pos: soql.length });
  return out;
}

export function parseSoql(soql: string): SoqlQuery {
  const toks = tokenize(soql);
  let p = 0;
  const peek = () => toks[p];
  const fail = (t: Token, detail?: string): never => {
    throw new SoqlSyntaxError(
      soql,
      t.pos + 1,
      detail ?? (t.kind === 'end' ? 'unexpected end of query' : `unexpected token: '${t.text}'`),
    );
  };
  const isKw = (t: Token, kw: string) => t.kind === 'ident' && t.text.toUpperCase() === kw;
  const kw = (word: string) => {
    const t = toks[p];
    if (!isKw(t, word)) fail(t);
    p++;
  };
  const ident = (): string => {
    const t = toks[p];
    if (t.kind !== 'ident' || RESERVED.has(t.text.toUpperCase())) fail(t);
    if (t.text.includes('.')) fail(t, `relationship queries are not supported here: '${t.text}'`);
    p++;
    return t.text;
  };
  const punct = (c: string) => {
    const t = toks[p];
    if (t.kind !== 'punct' || t.text !== c) fail(t);
    p++;
  };

  kw('SELECT');
  let count = false;
  const fields: string[] = [];
  if (isKw(peek(), 'COUNT') && toks[p + 1]?.text === '(') {
    p++;
    punct('(');
    punct(')');
    count = true;
  } else {
    fields.push(ident());
    while (peek().text === ',') {
      p++;
      fields.push(ident());
    }
  }
  kw('FROM');
  const sobject = ident();

  let where: Cond | null = null;
  if (isKw(peek(), 'WHERE')) {
    p++;
    where = parseOr();
  }
  const orderBy: OrderItem[] = [];
  if (isKw(peek(), 'ORDER')) {
    p++;
    kw('BY');
    do {
      if (peek().text === ',') p++;
      const field = ident();
      let desc = false;
      if (isKw(peek(), 'ASC')) p++;
      else if (isKw(peek(), 'DESC')) {
        p++;
        desc = true;
      }
      // Salesforce's default: nulls first ascending, last descending.
      let nullsLast = desc;
      if (isKw(peek(), 'NULLS')) {
        p++;
        if (isKw(peek(), 'FIRST')) nullsLast = false;
        else if (isKw(peek(), 'LAST')) nullsLast = true;
        else fail(peek());
        p++;
      }
      orderBy.push({ field, desc, nullsLast });
    } while (peek().text === ',');
  }
  let limit: number | null = null;
  if (isKw(peek(), 'LIMIT')) {
    p++;
    const t = peek();
    if (t.kind !== 'number' || !/^\d+$/.test(t.text)) fail(t);
    limit = Number(t.text);
    p++;
  }
  if (peek().kind !== 'end') fail(peek());
  return { count, fields, sobject, where, orderBy, limit };

  function parseOr(): Cond {
    let left = parseAnd();
    while (isKw(peek(), 'OR')) {
      p++;
      left = { op: 'or', left, right: parseAnd() };
    }
    return left;
  }
  function parseAnd(): Cond {
    let left = parseNot();
    while (isKw(peek(), 'AND')) {
      p++;
      left = { op: 'and', left, right: parseNot() };
    }
    return left;
  }
  function parseNot(): Cond {
    if (isKw(peek(), 'NOT')) {
      p++;
      return { op: 'not', inner: parseNot() };
    }
    if (peek().text === '(' && peek().kind === 'punct') {
      p++;
      const inner = parseOr();
      punct(')');
      return inner;
    }
    return parseComparison();
  }
  function parseComparison(): Cond {
    const field = ident();
    const t = peek();
    if (t.kind === 'op') {
      p++;
      const cmp = t.text === '<>' ? '!=' : (t.text as '=' | '!=' | '<' | '<=' | '>' | '>=');
      return { op: 'cmp', field, cmp, value: literal() };
    }
    if (isKw(t, 'LIKE')) {
      p++;
      const v = literal();
      if (v.t !== 'string') fail(toks[p - 1], 'LIKE needs a string literal');
      return { op: 'cmp', field, cmp: 'like', value: v };
    }
    let negated = false;
    if (isKw(t, 'NOT') && isKw(toks[p + 1], 'IN')) {
      p++;
      negated = true;
    }
    if (isKw(peek(), 'IN')) {
      p++;
      punct('(');
      const values = [literal()];
      while (peek().text === ',') {
        p++;
        values.push(literal());
      }
      punct(')');
      return { op: 'in', field, negated, values };
    }
    return fail(t);
  }
  function literal(): Literal {
    const t = peek();
    p++;
    switch (t.kind) {
      case 'string':
        return { t: 'string', v: t.text };
      case 'number':
        return { t: 'number', v: Number(t.text) };
      case 'datetime':
        return { t: 'datetime', v: parseDatetime(t.text), text: t.text };
      case 'date':
        return { t: 'date', v: t.text };
      case 'ident': {
        const u = t.text.toUpperCase();
        if (u === 'TRUE' || u === 'FALSE') return { t: 'boolean', v: u === 'TRUE' };
        if (u === 'NULL') return { t: 'null' };
      }
    }
    return fail(t);
  }
}

const RESERVED = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'IN',
  'LIKE',
  'ORDER',
  'BY',
  'LIMIT',
  'ASC',
  'DESC',
  'NULLS',
  'NULL',
  'TRUE',
  'FALSE',
]);

/** `2024-05-01T10:00:00Z`, `...000+0000`, `...+00:00` -> epoch ms. */
export function parseDatetime(text: string): number {
  const normalised = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  return Date.parse(normalised);
}
