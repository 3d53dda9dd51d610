import { serveUntilSignal } from '../serve-main';
import { startHubSpotSandbox } from './server';

/**
 * `node lib/src/sandbox/hubspot/main.js`: the HubSpot sandbox as its own process, for the bench
 * (so the worker's memory and CPU are measured alone) and for docker-compose. Portals are created
 * and seeded through the admin API; HUBSPOT_SANDBOX_DATA_FILE keeps them across restarts.
 */
serveUntilSignal('HubSpot sandbox', () =>
  startHubSpotSandbox({
    port: Number(process.env.HUBSPOT_SANDBOX_PORT ?? 4010),
    host: process.env.HUBSPOT_SANDBOX_HOST ?? '127.0.0.1',
    dataFile: process.env.HUBSPOT_SANDBOX_DATA_FILE || undefined,
  }),
);
