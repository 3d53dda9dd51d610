/**
 * Text from a CRM as the workspace can store it. PostgreSQL text and jsonb hold neither NUL
 * (U+0000) nor lone UTF-16 surrogates, yet both CRMs hand them over in JSON (`\u0000`, `\ud800`)
 * when an import or an integration wrote them. One such value made a whole pull page's insert fail,
 * and the page was retried for ever. So every CRM string is cleaned where it enters: NUL is removed
 * (it carries no meaning in a name, title or phone), and a lone surrogate becomes U+FFFD, the
 * replacement character, so the damage stays visible instead of silently shortening the value.
 */
const SUSPECT = /[\u0000\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function cleanCrmText(s: string): string {
  // Nearly every value is clean: one scan, no copy.
  if (!SUSPECT.test(s)) return s;
  return s.replace(/\u0000/g, '').replace(LONE_SURROGATE, '\uFFFD');
}

/** The same for an optional value. */
export function cleanCrmValue<T extends string | null | undefined>(s: T): T {
  return (typeof s === 'string' ? cleanCrmText(s) : s) as T;
}

/** A record's properties, each value cleaned; the object is returned as is when nothing needed it. */
export function cleanCrmProperties<T extends string | null>(props: Record<string, T>): Record<string, T> {
  let out: Record<string, T> | null = null;
  for (const [k, v] of Object.entries(props)) {
    if (typeof v !== 'string' || !SUSPECT.test(v)) continue;
    out ??= { ...props };
    out[k] = cleanCrmText(v) as T;
  }
  return out ?? props;
}
