import { startHubSpotSandbox } from './server';

/**
 * `node lib/src/sandbox/hubspot/main.js`: the HubSpot sandbox as its own process, for the bench
 * (so the worker's memory and CPU are measured alone) and for docker-compose. Portals are created
 * and seeded through the admin API; HUBSPOT_SANDBOX_DATA_FILE keeps them across restarts.
 * Prints one line, `listening <url>`, once it accepts requests.
 */
async function main(): Promise<void> {
  const sandbox = await startHubSpotSandbox({
    port: Number(process.env.HUBSPOT_SANDBOX_PORT ?? 4010),
    host: process.env.HUBSPOT_SANDBOX_HOST ?? '127.0.0.1',
    dataFile: process.env.HUBSPOT_SANDBOX_DATA_FILE || undefined,
  });
  process.stdout.write(`listening ${sandbox.url}\n`);
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(`HubSpot sandbox failed to start: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
