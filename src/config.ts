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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    databaseUrl: env.DATABASE_URL || undefined,
    poolMax: env.PG_POOL_MAX ? Number(env.PG_POOL_MAX) : undefined,
    pgliteDataDir: env.PGLITE_DATA_DIR || undefined,
    connectionsFile: env.CRM_CONNECTIONS_FILE ?? resolve(DATA_DIR, 'connections.json'),
  };
}
