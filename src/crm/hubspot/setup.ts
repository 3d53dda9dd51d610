import type { Client } from '@hubspot/api-client';
import { missingPropertyScope, notUniqueProperty, type SetupProblem, type SetupReport } from '../../domain/crm-setup';
import { isCrmError } from '../errors';
import { createSyncProperty } from './property-create';
import { ACCOUNT_KEY, CONTACT_KEY } from './push';

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;
type HsType = 'contacts' | 'companies';

/** A property the sync writes by, on one object type. Keys must hold unique values. */
interface Needed {
  type: HsType;
  name: string;
  unique: boolean;
}

/**
 * The portal's set-up for pushes: the unique key properties (`apollo_contact_id` on contacts,
 * `apollo_account_id` on companies) and the source properties the sync creates itself. What is
 * missing is created when the token may (scope `crm.schemas.{type}.write`); a 403 MISSING_SCOPES
 * becomes a set-up problem rather than "bad credentials". A key property someone created without
 * unique values is a problem too: an upsert on it could match two records. Two calls (one property
 * list per object), plus one per property created.
 */
export async function checkHubSpotSetup(
  client: Client,
  call: Call,
  sourceProperties: readonly string[],
): Promise<SetupReport> {
  const needed: Needed[] = [
    { type: 'contacts', name: CONTACT_KEY, unique: true },
    { type: 'companies', name: ACCOUNT_KEY, unique: true },
    ...[...new Set(sourceProperties)].flatMap((name) =>
      (['contacts', 'companies'] as const).map((type) => ({ type, name, unique: false })),
    ),
  ];
  const problems: SetupProblem[] = [];
  const created: string[] = [];
  for (const type of ['contacts', 'companies'] as const) {
    const list = await call(`${type} properties`, () => client.crm.properties.coreApi.getAll(type));
    const existing = new Map(list.results.map((p) => [p.name, p]));
    for (const n of needed.filter((x) => x.type === type)) {
      const p = existing.get(n.name);
      if (p) {
        if (n.unique && !p.hasUniqueValue) problems.push(notUniqueProperty(type, n.name));
        continue;
      }
      const outcome = await createProperty(client, call, n);
      if (outcome === 'created')
        created.push(`HubSpot property ${n.name} created on ${type}${n.unique ? ' (unique values)' : ''}.`);
      else if (outcome !== 'exists') problems.push(missingPropertyScope(type, n.name, outcome.scopes));
    }
  }
  return { problems, created };
}

async function createProperty(
  client: Client,
  call: Call,
  n: Needed,
): Promise<'created' | 'exists' | { scopes: string[] }> {
  try {
    await createSyncProperty(client, call, n.type, n.name, n.unique);
    return 'created';
  } catch (err) {
    if (!isCrmError(err)) throw err;
    // Another worker created it between the list and the create.
    if (err.kind === 'conflict') return 'exists';
    if (err.kind === 'setup') return { scopes: err.details.scopes ?? [] };
    throw err;
  }
}
