import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

// Re-exported for the dev launcher's `temporal server start-dev --search-attribute` flags: nothing but
// the client and the worker imports src/workflows (ARCHITECTURE.md, Layers).
export { SEARCH_ATTRIBUTES };

const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

/**
 * Registers the project's search attributes if the namespace lacks them. Needed because the dev
 * server's --search-attribute flag only applies when it creates the namespace (temporal-facts §0.5).
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = SEARCH_ATTRIBUTES.filter((k) => !have.has(k.name));
  if (!missing.length) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, KEYWORD])),
  });
}
