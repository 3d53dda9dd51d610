/** Keys that say two records are the same person or company (seed 000 step 5). */
export function emailKey(email: string | null | undefined): string | null {
  const e = email?.trim().toLowerCase();
  return e ? e : null;
}

export function domainKey(domain: string | null | undefined): string | null {
  if (!domain) return null;
  const d = domain
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/^www\./, '')
    .split(/[/?#]/)[0];
  return d ? d : null;
}
