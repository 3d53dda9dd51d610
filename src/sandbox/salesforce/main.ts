import { serveUntilSignal } from '../serve-main';
import { startSalesforceSandbox } from './server';

/**
 * `node lib/src/sandbox/salesforce/main.js`: the Salesforce sandbox as its own process (bench,
 * docker-compose). SALESFORCE_SANDBOX_PORT / _HOST / _DATA_FILE keep its orgs across restarts.
 */
serveUntilSignal('Salesforce sandbox', () =>
  startSalesforceSandbox({
    port: Number(process.env.SALESFORCE_SANDBOX_PORT ?? 4020),
    host: process.env.SALESFORCE_SANDBOX_HOST ?? '127.0.0.1',
    dataFile: process.env.SALESFORCE_SANDBOX_DATA_FILE || undefined,
  }),
);
