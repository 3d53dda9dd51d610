import { resolve } from 'node:path';

/** Worker and CLI configuration, from the environment, with the embedded defaults of the main job. */
export interface AppConfig {
  temporalAddress: string;
  namespace: string;
  databaseUrl?: string;
  poolMax?: number;
  pgliteDataDir?: string;
  connectionsFile: string;
}

export const DATA_DIR = resolve(process.env.CRM_SYNC_DATA_DIR ?? '.data');

/** Throws an Error whose message is one line naming the variable, when a value cannot be used. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const databaseUrl = env.DATABASE_URL || undefined;
  // Not echoed: the URL may carry the database password.
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL');
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    databaseUrl,
    poolMax: env.PG_POOL_MAX ? positiveInteger('PG_POOL_MAX', env.PG_POOL_MAX) : undefined,
    pgliteDataDir: env.PGLITE_DATA_DIR || undefined,
    connectionsFile: env.CRM_CONNECTIONS_FILE || resolve(DATA_DIR, 'connections.json'),
  };
}

/** Where a database URL points, for messages: host and port, never the user or password. */
export function databaseHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return 'the DATABASE_URL host';
  }
}

function positiveInteger(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1)
    throw new Error(`${name} must be a whole number of at least 1 (got "${value}")`);
  return n;
}
