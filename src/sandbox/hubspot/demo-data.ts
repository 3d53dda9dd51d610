import { prng } from '../http';
import { COMPANY_WORDS as WORDS, FIRST_NAMES as FIRST, JOB_TITLES as TITLES, LAST_NAMES as LAST } from '../names';
import type { PortalIndex } from './state';

export interface SeedSpec {
  contacts: number;
  companies: number;
  owners?: number;
  /** Extra contacts reusing an existing email (other case), and companies reusing a domain. */
  duplicates?: number;
  seed?: number;
  /** Stamp every seeded record with this one instant, as a bulk import does (ISO time). */
  importedAt?: string;
}

const INDUSTRIES = [
  'COMPUTER_SOFTWARE',
  'FINANCIAL_SERVICES',
  'HOSPITAL_HEALTH_CARE',
  'RETAIL',
  'MARKETING_AND_ADVERTISING',
];
const STAGES = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'];

/** Fills a portal with plausible, deterministic records: owners, companies, contacts, a few duplicates. */
export function seedPortal(idx: PortalIndex, spec: SeedSpec): { owners: number; companies: number; contacts: number } {
  const rand = prng(spec.seed ?? 42);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const ownersWanted = spec.owners ?? 5;
  const now = new Date().toISOString();
  const at = spec.importedAt ? new Date(spec.importedAt) : undefined;
  for (let i = idx.portal.owners.length; i < ownersWanted; i++) {
    const first = FIRST[i % FIRST.length];
    const last = LAST[(i * 7) % LAST.length];
    idx.portal.owners.push({
      id: String(70000 + i),
      email: `${first}.${last}${i}@sandbox-sales.example`.toLowerCase(),
      firstName: first,
      lastName: last,
      userId: 9000 + i,
      createdAt: now,
      updatedAt: now,
      archived: false,
    });
  }
  const ownerIds = idx.portal.owners.map((o) => o.id);
  const companyIds: string[] = [];
  for (let i = 0; i < spec.companies; i++) {
    const name = `${pick(WORDS)} ${pick(WORDS)} ${i}`;
    const rec = idx.create(
      'companies',
      {
        name,
        domain: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example`,
        industry: pick(INDUSTRIES),
        phone: `+1 555 ${String(1000 + (i % 9000)).padStart(4, '0')}`,
        hubspot_owner_id: pick(ownerIds),
      },
      undefined,
      at,
    );
    companyIds.push(rec.id);
  }
  /**
   * Every tenth contact also works with a second company, associated after its primary one: the
   * company created just before it, so HubSpot lists the secondary first. Chosen without `rand`,
   * so the rest of the seeded data stays as it was.
   */
  const secondCompany = (i: number, primary: string): string[] => {
    if (i % 10 !== 9 || companyIds.length < 2) return [];
    const k = companyIds.indexOf(primary);
    return [companyIds[(k + companyIds.length - 1) % companyIds.length]];
  };
  const dupCount = spec.duplicates ?? 0;
  const emails: string[] = [];
  for (let i = 0; i < spec.contacts; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const company = companyIds.length ? pick(companyIds) : undefined;
    const domain = company ? idx.get('companies', company)!.properties.domain : 'example.com';
    const email = `${first}.${last}.${i}@${domain}`.toLowerCase();
    emails.push(email);
    idx.create(
      'contacts',
      {
        email,
        firstname: first,
        lastname: last,
        jobtitle: pick(TITLES),
        phone: null,
        lifecyclestage: pick(STAGES),
        hubspot_owner_id: pick(ownerIds),
      },
      company ? [company, ...secondCompany(i, company)] : [],
      at,
    );
  }
  for (let i = 0; i < dupCount && emails.length; i++) {
    const email = emails[Math.floor(rand() * emails.length)].toUpperCase();
    idx.create(
      'contacts',
      {
        email,
        firstname: 'Duplicate',
        lastname: `Entry ${i}`,
        lifecyclestage: 'lead',
        hubspot_owner_id: pick(ownerIds),
      },
      [],
      at,
    );
  }
  return { owners: ownerIds.length, companies: spec.companies, contacts: spec.contacts + dupCount };
}
