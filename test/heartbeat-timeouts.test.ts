import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import type { BeganRun, PullChunkResult } from '../src/activities/pull';
import { CrmConnections, staticConnections, type ConnectionConfig } from '../src/crm/connections';
import { HubSpotAdapter } from '../src/crm/hubspot/adapter';
import { defaultFieldMapping } from '../src/domain/field-mapping';
import { FAILURE_TYPE } from '../src/domain/failure-types';
import { createLogger } from '../src/logger';
import { startHubSpotSandbox, type HubSpotSandbox } from '../src/sandbox/hubspot/server';
import { startSalesforceSandbox, type SalesforceSandbox } from '../src/sandbox/salesforce/server';
import { openDb, type Db } from '../src/store/db';
import { getPullRun } from '../src/store/pull-store';
import type { Harness } from './support/harness';
import { newSalesforceTenant, newTenant, type Tenant } from './support/tenants';

/**
 * Heartbeats and request deadlines, end to end through the official clients against the sandboxes:
 * the real pull activities run in Temporal's MockActivityEnvironment, which records heartbeats and
 * cancels like a worker does. Request timeouts are shortened to a few hundred milliseconds and the
 * sandboxes stall chosen requests (faults stallCount / stallMs) past them.
 */
const REQUEST_TIMEOUT_MS = 400;
// Heartbeats go every third of it; the margin absorbs the in-process database blocking the event loop.
const HEARTBEAT_TIMEOUT_MS = 600;

const quiet = new DefaultLogger('ERROR');

describe('heartbeats and request timeouts', () => {
  let hubspot: HubSpotSandbox;
  let salesforce: SalesforceSandbox;
  let db: Db;
  const connections: Record<string, ConnectionConfig> = {};
  let activities: ReturnType<typeof createActivities>;
  /** The same with the default (long) request timeouts, for requests that are slow but answered. */
  let patient: ReturnType<typeof createActivities>;

  before(async () => {
    [hubspot, salesforce, db] = await Promise.all([startHubSpotSandbox(), startSalesforceSandbox(), openDb()]);
    activities = createActivities({
      db,
      connections: new CrmConnections(staticConnections(connections), {
        requestTimeoutMs: { hubspot: REQUEST_TIMEOUT_MS, salesforce: REQUEST_TIMEOUT_MS },
      }),
      logger: createLogger({ level: 'silent' }),
      chunkBudgetMs: 60_000,
    });
    patient = createActivities({
      db,
      connections: new CrmConnections(staticConnections(connections)),
      logger: createLogger({ level: 'silent' }),
      chunkBudgetMs: 60_000,
    });
  });
  after(async () => {
    await Promise.all([hubspot?.close(), salesforce?.close(), db?.close()]);
  });

  // The tenant helpers need only these parts of the full harness.
  const harness = () => ({ sandbox: hubspot, salesforce, db, connections }) as unknown as Harness;

  /** Opens the pull runs (first attempt, no faults) and returns the first stream's run. */
  async function openRun(t: Tenant) {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS }, { logger: quiet });
    const { runs }: { runs: BeganRun[] } = await env.run(activities.beginPull, {
      workspaceId: t.workspaceId,
      crm: t.crm,
      connection: t.connection,
      kind: 'initial' as const,
      runKey: `pull:${t.workspaceId}:${Math.random()}`,
    });
    return runs[0];
  }

  /** One pullChunk attempt, with its heartbeats timed. */
  function chunkAttempt(t: Tenant, runId: string, objectKind: 'contact' | 'account', acts = activities) {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS }, { logger: quiet });
    const beats: number[] = [];
    env.on('heartbeat', () => beats.push(Date.now()));
    const started = Date.now();
    const result: Promise<PullChunkResult> = env.run(acts.pullChunk, {
      runId,
      connection: t.connection,
      syncUserId: t.syncUserId,
      mapping: defaultFieldMapping(t.crm)[objectKind],
    });
    // Settled either way, so a test that cancels can still read the beats.
    result.catch(() => undefined);
    /** The longest silence between the start, each heartbeat and the end. */
    const longestSilence = (end: number) => {
      const stamps = [started, ...beats, end];
      return Math.max(...stamps.slice(1).map((s, i) => s - stamps[i]));
    };
    return { env, result, beats, longestSilence };
  }

  async function failureOf(p: Promise<unknown>): Promise<unknown> {
    try {
      await p;
    } catch (err) {
      return err;
    }
    assert.fail('the attempt succeeded');
  }

  for (const crm of ['hubspot', 'salesforce'] as const) {
    const tenant = () =>
      crm === 'hubspot'
        ? newTenant(harness(), { contacts: 10, companies: 3 })
        : newSalesforceTenant(harness(), { seed: { accounts: 3, contacts: 10, leads: 5 } });

    it(`${crm}: a request that hangs is abandoned at its timeout as a retryable failure; the retry pulls the page`, async () => {
      const t = await tenant();
      const run = await openRun(t);
      await t.admin.setFaults({ stallCount: 1, stallMs: 5_000 });
      const first = chunkAttempt(t, run.runId, run.objectKind);
      const started = Date.now();
      const err = await failureOf(first.result);
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.equal(err.type, FAILURE_TYPE.CrmTransient);
      assert.equal(err.nonRetryable, false);
      assert.match(err.message, /got no answer within 0\.4 s/);
      assert.ok(Date.now() - started < 3_000, `abandoned after ${Date.now() - started} ms, not at the timeout`);

      const retry = chunkAttempt(t, run.runId, run.objectKind);
      const r = await retry.result;
      assert.ok(r.pages >= 1 && r.run.seen > 0, JSON.stringify(r));
    });

    it(`${crm}: heartbeats flow while a slow request is in flight`, async () => {
      const t = await tenant();
      const run = await openRun(t);
      // Answered, but only after more than three heartbeat timeouts.
      await t.admin.setFaults({ stallCount: 1, stallMs: 2_000 });
      const a = chunkAttempt(t, run.runId, run.objectKind, patient);
      const started = Date.now();
      const r = await a.result;
      const silence = a.longestSilence(Date.now());
      assert.ok(Date.now() - started >= 2_000 && r.pages >= 1, 'the slow page was pulled');
      assert.ok(silence < HEARTBEAT_TIMEOUT_MS, `${silence} ms without a heartbeat (timeout ${HEARTBEAT_TIMEOUT_MS})`);
      assert.ok(a.beats.length >= 6, `${a.beats.length} heartbeats`);
    });

    it(`${crm}: a cancelled attempt stops at once and writes nothing after the stalled answer arrives`, async () => {
      const t = await tenant();
      const run = await openRun(t);
      await t.admin.setFaults({ stallCount: 1, stallMs: 1_000 });
      const a = chunkAttempt(t, run.runId, run.objectKind);
      await new Promise((r) => setTimeout(r, 150));
      const cancelledAt = Date.now();
      a.env.cancel();
      const err = await failureOf(a.result);
      assert.ok(err instanceof CancelledFailure, String(err));
      assert.ok(Date.now() - cancelledAt < 200, `stopped ${Date.now() - cancelledAt} ms after the cancellation`);
      // Past the stalled answer (and what a prefetch would have done with it): nothing was applied.
      await new Promise((r) => setTimeout(r, 1_500));
      const row = await getPullRun(db, run.runId);
      assert.equal(row.seen, 0);
      assert.equal(row.cursor, null);
    });
  }

  it('hubspot: heartbeats flow while the activity waits for a slot of the rate pacer', async () => {
    const t = await newTenant(harness(), { contacts: 10, companies: 3 });
    const run = await openRun(t);
    // The connection's process-wide pacer holds every request for 1.5 s, as after a ten-second 429.
    const pacer = new HubSpotAdapter(t.connection, { accessToken: t.token, baseUrl: hubspot.url }).pacer;
    pacer.backOff(2_000);
    const a = chunkAttempt(t, run.runId, run.objectKind);
    const r = await a.result;
    const silence = a.longestSilence(Date.now());
    assert.ok(r.pages >= 1);
    assert.ok(pacer.waitedMs >= 1_500, `waited ${pacer.waitedMs} ms in the pacer`);
    assert.ok(silence < HEARTBEAT_TIMEOUT_MS, `${silence} ms without a heartbeat (timeout ${HEARTBEAT_TIMEOUT_MS})`);
  });

  it("hubspot: a daily 429 fails as CrmDailyLimit with its cause, and the connection's next calls are refused without a request", async () => {
    const t = await newTenant(harness(), { contacts: 10, companies: 3 });
    const run = await openRun(t);
    await t.admin.setRateLimit({ dailyMax: 1 });
    const err = await failureOf(chunkAttempt(t, run.runId, run.objectKind).result);
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, FAILURE_TYPE.CrmDailyLimit);
    assert.equal(err.nonRetryable, true, 'the workflow pauses on a timer (shown in status) instead');
    assert.match(err.message, /429.*daily limit/i);
    const waitMs = (err.details?.[0] as { retryAfterMs: number }).retryAfterMs;
    assert.ok(waitMs > 0 && waitMs <= 3_600_000, `pause of ${waitMs} ms`);

    const requestsBefore = (await t.admin.stats()).requests;
    const again = await failureOf(chunkAttempt(t, run.runId, run.objectKind).result);
    assert.ok(again instanceof ApplicationFailure && again.type === FAILURE_TYPE.CrmDailyLimit, String(again));
    assert.equal((await t.admin.stats()).requests, requestsBefore, 'the suspended pacer sent nothing');
  });
});
