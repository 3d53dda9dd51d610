import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { newTenant, startHarness, type Harness } from './support/harness';
import { runsOf } from './support/runs';

/**
 * Every activity attempt of a workflow id, across its continue-as-new runs. Temporal records only
 * the last attempt of an activity in history, with its attempt number: 1 means no attempt failed.
 */
async function activityAttempts(client: Client, workflowId: string): Promise<{ type: string; attempt: number }[]> {
  const out: { type: string; attempt: number }[] = [];
  for (const { events } of await runsOf(client.workflow, workflowId)) {
    const scheduled = new Map<string, string>();
    for (const e of events) {
      if (e.activityTaskScheduledEventAttributes)
        scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
      const started = e.activityTaskStartedEventAttributes;
      if (started)
        out.push({ type: scheduled.get(String(started.scheduledEventId)) ?? '?', attempt: started.attempt ?? 1 });
    }
  }
  return out;
}

describe('initial pull under a 100 requests / 10 s limit (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    // Short chunks, so the pull is many activities and each one starts against a busy window.
    h = await startHarness({ chunkBudgetMs: 2_000 });
  });
  after(async () => {
    await h?.stop();
  });

  it('pulls 10,000 contacts with no failed activity', async (t) => {
    const tenant = await newTenant(h, {
      contacts: 10_000,
      companies: 200,
      owners: 4,
      rateLimit: { tenSecondMax: 100 },
    });
    const x = await h.integration(tenant, { plan: 'free' });
    const t0 = Date.now();
    const s = await x.waitForStatus('initial pull done', (st) => st.phase === 'syncing', 180_000);
    const wallS = (Date.now() - t0) / 1000;
    await x.disconnect();

    assert.equal(s.lastPull?.kind, 'initial');
    assert.equal(s.lastPull?.created, 10_200);
    assert.equal(s.errors.failedPulls, 0);
    const counts = await x.counts();
    assert.equal(counts.contacts, 10_000);
    assert.equal(counts.accounts, 200);

    const attempts = await activityAttempts(h.env.client, `${x.handle.workflowId}/pull-1`);
    const chunks = attempts.filter((a) => a.type === 'pullChunk').length;
    assert.ok(chunks >= 3, `the pull ran as several chunks (${chunks})`);
    assert.deepEqual(
      attempts.filter((a) => a.attempt > 1),
      [],
      'every activity succeeded on its first attempt',
    );

    const stats = await tenant.admin.stats();
    const calls = Object.values(stats.byRoute).reduce((n, c) => n + c, 0);
    t.diagnostic(
      `429s met: ${stats.throttled}; CRM calls: ${calls}; pullChunk activities: ${chunks}; wall: ${wallS.toFixed(1)} s`,
    );
    assert.equal(stats.throttled, 0, 'pacing kept the pull under the limit');
  });
});
