import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { CrmName } from '../src/domain/types';
import { openDb, type Db } from '../src/store/db';
import { claimWakeups, clearWakeup, releaseWakeup } from '../src/store/push-wakeups';
import { startHarness, type Harness } from './support/harness';
import { newTenant } from './support/tenants';

/**
 * Workspace writes signal an integration only when its push has looked at the outbox since the last
 * signal (store/push-wakeups.ts): bounded history before the initial pull, and no write missed.
 */
describe('push wake-ups: one signal per look at the outbox, no write missed', () => {
  let db: Db;
  before(async () => {
    db = await openDb();
  });
  after(async () => db?.close());

  /**
   * The protocol over the real table, with an in-memory outbox: writes commit, then claim (any steps
   * may come between); a signal, when it arrives, drains (clear, then read what has committed); a
   * signal may be lost (Temporal down: released). At the end the remaining signals arrive. Every
   * write claimed after the last lost signal is read by a drain; the ones before it are the 5-minute
   * sweep's, as they are today.
   */
  it('random interleavings of writes, claims, drains and lost signals: no signalled write is missed', async () => {
    type Op = 'commit' | 'claim' | 'deliver' | 'lose';
    const op = fc.constantFrom<Op>('commit', 'claim', 'deliver', 'lose');
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const ws = `wake-${++run}`;
        const crm: CrmName = 'hubspot';
        const committed: number[] = []; // outbox rows
        const unclaimed: number[] = []; // committed writes that have not claimed yet
        const claimedAt = new Map<number, number>();
        const read = new Set<number>();
        let clock = 0;
        let lastLoss = -1;
        let inFlight = 0;
        let losses = 0;
        let sinceLook = 0; // signals sent since the last clear or release
        let mostSinceLook = 0;
        const claim = async () => {
          const w = unclaimed.shift()!;
          claimedAt.set(w, ++clock);
          if ((await claimWakeups(db, ws, [crm])).length) {
            inFlight++;
            mostSinceLook = Math.max(mostSinceLook, ++sinceLook);
          }
        };
        const deliver = async () => {
          inFlight--;
          sinceLook = 0;
          await clearWakeup(db, ws, crm);
          for (const w of committed) read.add(w);
        };
        for (const o of ops) {
          if (o === 'commit') {
            committed.push(committed.length);
            unclaimed.push(committed.length - 1);
          } else if (o === 'claim' && unclaimed.length) await claim();
          else if (o === 'deliver' && inFlight) await deliver();
          else if (o === 'lose' && inFlight) {
            inFlight--;
            losses++;
            lastLoss = ++clock;
            sinceLook = 0;
            await releaseWakeup(db, ws, crm);
          }
        }
        while (unclaimed.length) await claim();
        while (inFlight) await deliver();
        const missed = committed.filter((w) => claimedAt.get(w)! > lastLoss && !read.has(w));
        assert.deepEqual(missed, [], 'a write claimed after the last lost signal is read by a drain');
        if (!losses) assert.equal(read.size, committed.length, 'no signal lost: every write read');
        // However many writes come between two looks at the outbox, at most one of them signals.
        assert.ok(mostSinceLook <= 1, `${mostSinceLook} signals between two looks`);
      }),
      { numRuns: 200 },
    );
  });

  it('claims are per integration: one CRM already told does not silence the other', async () => {
    assert.deepEqual(await claimWakeups(db, 'wake-pair', ['hubspot', 'salesforce']), ['hubspot', 'salesforce']);
    assert.deepEqual(await claimWakeups(db, 'wake-pair', ['hubspot', 'salesforce']), []);
    await clearWakeup(db, 'wake-pair', 'salesforce');
    assert.deepEqual(await claimWakeups(db, 'wake-pair', ['hubspot', 'salesforce']), ['salesforce']);
  });
});

describe('workspace writes during the configuration window (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.stop());

  it('300 writes add one pushPending signal to the history; all are pushed after the initial pull; later writes signal again', async () => {
    const t = await newTenant(h, { contacts: 5, companies: 2 });
    const x = await h.integration(t, { plan: 'paid', until: 'configuring' });
    const WRITES = 300;
    const ids: string[] = [];
    for (let i = 0; i < WRITES; i++)
      ids.push((await x.write('contacts add', { email: `w${i}@window-writes.example`, last_name: `W${i}` })).id);
    const signalled = async () =>
      ((await x.handle.fetchHistory()).events ?? []).filter(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'pushPending',
      ).length;
    assert.equal(await signalled(), 1, 'one signal for the whole burst: the push has not looked yet');

    await x.startSyncNow();
    await x.waitForPhase('syncing');
    await x.waitForPushDrained();
    const pushed = await Promise.all(ids.map((id) => x.crmIdOf(id)));
    assert.equal(pushed.filter(Boolean).length, WRITES, 'every write made in the window was pushed');

    // The push has looked: the next write signals, and goes out without waiting for the sweep.
    const before = await signalled();
    const t0 = await h.env.currentTimeMs();
    const late = await x.write('contacts add', { email: 'late@window-writes.example', last_name: 'Late' });
    await x.waitForPushDrained();
    assert.ok(await x.crmIdOf(late.id), 'the later write was pushed');
    assert.equal(await signalled(), before + 1);
    assert.ok((await h.env.currentTimeMs()) - t0 < 5 * 60_000, 'pushed on its signal, not by the 5-minute sweep');
    await x.disconnect();
  });
});
