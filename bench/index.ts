import { hubspotInitialPull } from './hubspot-initial-pull';
import { hubspotPush, pushLatency, salesforcePush } from './push';
import { hubspotPushTwoWorkers } from './push-two-workers';
import { pushLatencyDuringPull } from './push-during-pull';
import { reconcileIds } from './reconcile-ids';
import { salesforceInitialPull } from './salesforce-initial-pull';
import { formatBench, type BenchResult } from './result';

/**
 * `npm run bench`: runs each scenario in turn (they share the machine's two cores, so never at once)
 * and prints one BENCH line per scenario. BENCH_ONLY=<scenario> runs one.
 */
const SCENARIOS: Record<string, () => Promise<BenchResult>> = {
  'hubspot-initial-pull': hubspotInitialPull,
  'salesforce-initial-pull': salesforceInitialPull,
  'hubspot-push': hubspotPush,
  'hubspot-push-two-workers': hubspotPushTwoWorkers,
  'salesforce-push': salesforcePush,
  'push-latency': pushLatency,
  'push-latency-during-pull': pushLatencyDuringPull,
  'reconcile-ids': reconcileIds,
};

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  let failed = false;
  for (const [name, run] of Object.entries(SCENARIOS)) {
    if (only && only !== name) continue;
    try {
      process.stdout.write(formatBench(await run()) + '\n');
    } catch (err) {
      failed = true;
      process.stdout.write(`BENCH ${name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      console.error(err);
    }
  }
  process.exit(failed ? 1 : 0);
}

void main();
