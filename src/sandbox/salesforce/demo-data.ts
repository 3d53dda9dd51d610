import { prng } from '../http';
import { COMPANY_WORDS, FIRST_NAMES, JOB_TITLES, LAST_NAMES } from '../names';
import { convertLead } from './crm-edits';
import { INDUSTRIES, LEAD_SOURCES } from './schema';
import type { OrgIndex } from './state';

export interface SfSeedSpec {
  accounts: number;
  contacts: number;
  leads: number;
  /** Sales users besides the integration user; records are owned by them. */
  users?: number;
  /** Leads with the same email as an existing contact: the same person twice (seed 003). */
  leadContactPairs?: number;
  /** Leads converted to a new contact and account. */
  convertedLeads?: number;
  /** Extra contacts reusing an existing contact's email. */
  duplicates?: number;
  seed?: number;
  /**
   * Records are created as if over this many past days (default 30), oldest first, as a real org
   * fills up, so time slices can separate them. 0: all at one instant, one SystemModstamp.
   */
  spreadDays?: number;
  /**
   * Records created together, as one import batch (Data Loader writes 200 a call): each batch shares
   * one instant, so its records share one SystemModstamp. Default 200; 1 spreads every record apart.
   */
  loadSize?: number;
}

/** Fills an org with plausible, deterministic records. Owners are the org's sales users. */
export function seedOrg(idx: OrgIndex, spec: SfSeedSpec) {
  const rand = prng(spec.seed ?? 42);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const planned =
    spec.accounts +
    spec.contacts +
    spec.leads +
    (spec.leadContactPairs ?? 0) +
    3 * (spec.convertedLeads ?? 0) +
    (spec.duplicates ?? 0);
  const spreadMs = (spec.spreadDays ?? 30) * 86_400_000;
  const startAt = Date.now() - spreadMs;
  const loadSize = Math.max(1, Math.floor(spec.loadSize ?? 200));
  let made = 0;
  /** The creation time of the next record: that of the first record of its import batch. */
  const at = () => {
    const first = Math.floor(made++ / loadSize) * loadSize;
    return Math.floor(startAt + (spreadMs * first) / Math.max(1, planned));
  };
  const existingUsers = idx.org.records.User.filter((u) => u.Id !== idx.org.userId).length;
  for (let i = existingUsers; i < (spec.users ?? 5); i++) {
    const first = FIRST_NAMES[i % FIRST_NAMES.length];
    const last = LAST_NAMES[(i * 5) % LAST_NAMES.length];
    const email = `${first}.${last}${i}@sandbox-sfdc.example`.toLowerCase();
    idx.create('User', { Username: email, Email: email, FirstName: first, LastName: last, IsActive: true });
  }
  const owners = idx.org.records.User.filter((u) => u.Id !== idx.org.userId).map((u) => String(u.Id));
  const owner = () => (owners.length ? pick(owners) : idx.org.userId);

  const accounts: { id: string; domain: string; name: string }[] = [];
  for (let i = 0; i < spec.accounts; i++) {
    const name = `${pick(COMPANY_WORDS)} ${pick(COMPANY_WORDS)} ${i}`;
    const domain = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example`;
    const rec = idx.create(
      'Account',
      {
        Name: name,
        Website: `https://www.${domain}`,
        Industry: pick(INDUSTRIES),
        Phone: `+1 415 555 ${String(i % 10000).padStart(4, '0')}`,
        OwnerId: owner(),
      },
      at(),
    );
    accounts.push({ id: String(rec.Id), domain, name });
  }
  const person = (i: number, domain: string, tag: string) => {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    return {
      FirstName: first,
      LastName: last,
      Email: `${first}.${last}.${tag}${i}@${domain}`.toLowerCase(),
      Title: pick(JOB_TITLES),
      OwnerId: owner(),
      LeadSource: pick(LEAD_SOURCES),
    };
  };
  const contactEmails: string[] = [];
  for (let i = 0; i < spec.contacts; i++) {
    const acc = accounts.length ? pick(accounts) : undefined;
    const p = person(i, acc?.domain ?? 'example.com', 'c');
    idx.create('Contact', { ...p, AccountId: acc?.id ?? null }, at());
    contactEmails.push(p.Email);
  }
  for (let i = 0; i < spec.leads; i++) {
    const p = person(i, `${pick(COMPANY_WORDS).toLowerCase()}-prospect.example`, 'l');
    idx.create(
      'Lead',
      { ...p, Company: `${pick(COMPANY_WORDS)} Prospects ${i}`, Status: 'Open - Not Contacted' },
      at(),
    );
  }
  for (let i = 0; i < (spec.leadContactPairs ?? 0) && contactEmails.length; i++) {
    const email = pick(contactEmails);
    idx.create(
      'Lead',
      {
        FirstName: 'Same',
        LastName: `Person ${i}`,
        Email: email,
        Company: 'Known Account',
        Status: 'Working - Contacted',
        OwnerId: owner(),
      },
      at(),
    );
  }
  for (let i = 0; i < (spec.convertedLeads ?? 0); i++) {
    const p = person(i, 'converted.example', 'v');
    const lead = idx.create('Lead', { ...p, Company: `Converted Co ${i}`, Status: 'Working - Contacted' }, at());
    made++;
    convertLead(idx, String(lead.Id), {}, at());
  }
  for (let i = 0; i < (spec.duplicates ?? 0) && contactEmails.length; i++) {
    idx.create(
      'Contact',
      { FirstName: 'Duplicate', LastName: `Entry ${i}`, Email: pick(contactEmails).toUpperCase(), OwnerId: owner() },
      at(),
    );
  }
  const live = (t: 'Lead' | 'Contact' | 'Account') => idx.org.records[t].filter((r) => r.IsDeleted !== true).length;
  return { users: owners.length, accounts: live('Account'), contacts: live('Contact'), leads: live('Lead') };
}
