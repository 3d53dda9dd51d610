import type { Client } from '@hubspot/api-client';

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/**
 * Creates one of the sync's own properties (its key properties, `apollo_source`): single-line text
 * in the object's default group. The push (on first use) and the set-up check both create them, the
 * same way; a 409 (another worker made it first) is the caller's to read.
 */
export function createSyncProperty(
  client: Client,
  call: Call,
  type: 'contacts' | 'companies',
  name: string,
  unique: boolean,
) {
  return call(`create ${type} property ${name}`, () =>
    client.crm.properties.coreApi.create(type, {
      name,
      label: name.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase()),
      type: 'string' as never,
      fieldType: 'text' as never,
      groupName: type === 'contacts' ? 'contactinformation' : 'companyinformation',
      hasUniqueValue: unique,
    }),
  );
}
