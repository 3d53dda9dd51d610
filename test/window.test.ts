import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DEFAULT_PULL_INTERVAL_MINUTES } from '../src/domain/settings';
import { CRM_NAMES } from '../src/domain/types';
import { newSalesforceTenant, newTenant, refusal, startHarness, waitFor, type Harness } from './support/harness';

/** The configuration window of seeds 001/003, on the time-skipping server: the same for both CRMs. */
for (const crm of CRM_NAMES)
  describe(`${crm}: configuration window and pull cadence (time-skipping)`, () => {
    // One environment per test: the Java test server can leak its time-skipping lock when a workflow
    // ends with an activity in flight, which would stall every later test sharing it.
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness();
    });
    afterEach(async () => {
      await h?.stop();
    });

    const interval = DEFAULT_PULL_INTERVAL_MINUTES[crm];
    /** HubSpot: 20 contacts + 5 companies. Salesforce: 5 accounts, 20 contacts, 10 leads. */
    const seeded = crm === 'hubspot' ? 25 : 35;

    async function start(plan: 'free' | 'paid') {
      const t = crm === 'hubspot' ? await newTenant(h) : await newSalesforceTenant(h);
      return h.integration(t, { plan });
    }

    it('refuses a manual pull at 5 h 59 min, starts syncing by itself at 6 h, then accepts it', async () => {
      const x = await start('paid');
      const configuring = await x.waitForPhase('configuring');
      assert.ok(configuring.windowEndsAt);
      const windowEnd = Date.parse(configuring.windowEndsAt);
      assert.equal(windowEnd - Date.parse(configuring.connectedAt!), 6 * 3600_000);

      await h.env.sleep('359m');
      assert.equal((await x.status()).phase, 'configuring');
      const reason = await refusal(x.pullNow());
      assert.equal(
        reason,
        `manual pull is not available during the configuration window, which ends at ${configuring.windowEndsAt}`,
      );
      assert.equal((await x.pullHistory()).length, 0, 'nothing pulled inside the window');

      await h.env.sleep('1m');
      const syncing = await x.waitForStatus('syncing after the window', (s) => s.phase === 'syncing');
      assert.equal(syncing.initialPull?.finished, true);
      assert.equal(syncing.manualPushAvailable, true);
      const history = await x.pullHistory();
      assert.ok(history.length >= 2 && history.every((r) => r.kind === 'initial'), 'one initial run per CRM stream');
      const streams = history.length;

      const accepted = await x.pullNow();
      assert.deepEqual(accepted, { accepted: true, kind: 'manual' });
      await waitFor(
        'manual pull rows',
        () => x.pullHistory(),
        (rows) => rows.filter((r) => r.kind === 'manual' && r.finishedAt).length === streams,
      );
      assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
    });

    it('startSyncNow ends the window early', async () => {
      const x = await start('paid');
      await x.waitForPhase('configuring');
      await h.env.sleep('1h');
      await x.startSyncNow();
      const s = await x.waitForPhase('syncing');
      assert.ok(
        Date.parse(s.lastPull!.startedAt) < Date.parse(s.windowEndsAt!),
        'the initial pull ran before the window would have ended',
      );
      assert.ok((await x.pullHistory()).some((r) => r.kind === 'initial'));
      assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
    });

    it('a free plan has no window and syncs at once', async () => {
      const x = await start('free');
      const s = await x.waitForPhase('syncing');
      assert.equal(s.windowEndsAt, null);
      assert.equal(s.lastPull?.kind, 'initial');
      assert.equal(s.lastPull?.created, seeded);
      assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
    });

    it('rejects an invalid settings update with a clear message and carries on', async () => {
      const x = await start('paid');
      await x.waitForPhase('configuring');
      const reason = await refusal(x.updateSettings({ pullIntervalMinutes: 1 }));
      assert.equal(reason, 'invalid settings: pullIntervalMinutes: pullIntervalMinutes must be at least 5');
      const reason2 = await refusal(
        x.updateSettings({
          fieldMapping: { contact: [{ crmField: 'email', localField: 'nope', direction: 'pull' }] },
        } as never),
      );
      assert.match(reason2, /^invalid settings: contact field mapping names unknown workspace field "nope"/);
      assert.equal((await x.settings()).pullIntervalMinutes, interval, 'settings unchanged');

      const updated = await x.updateSettings({ pullIntervalMinutes: 45 });
      assert.equal(updated.pullIntervalMinutes, 45);
      assert.equal((await x.status()).phase, 'configuring', 'still in the window');
      assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
    });

    it(`a day of ${interval}-minute pulls gives ${1440 / interval} recurring pull runs per CRM stream`, async () => {
      const perDay = 1440 / interval;
      const x = await start('free');
      await x.waitForPhase('syncing');
      const streams = (await x.pullHistory()).map((r) => r.stream);
      await h.env.sleep('1445m');
      const rows = await waitFor(
        `${perDay} recurring pulls`,
        async () => (await x.pullHistory(1000)).filter((r) => r.kind === 'recurring' && r.finishedAt),
        (r) => r.length >= perDay * streams.length,
      );
      for (const stream of streams) assert.equal(rows.filter((r) => r.stream === stream).length, perDay, stream);
      const s = await x.status();
      assert.equal(s.lastPull?.kind, 'recurring');
      assert.deepEqual(await x.disconnect(), { phase: 'disconnected' });
    });
  });
