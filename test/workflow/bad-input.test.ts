import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { integrationWorkflowId } from '../../src/domain/integration-input';
import { TASK_QUEUE, type IntegrationStatus } from '../../src/workflows/contract';
import { refusal, waitFor } from '../support/wait';
import { BAD_SIGNALS, BAD_STARTS, BAD_UPDATES, JUNK_ACCEPTED_SIGNALS } from './bad-input-cases';
import { newStubCrm } from './stub-activities';
import { startStubEnv, type StubEnv } from './stub-env';

/**
 * What the Temporal UI's forms let anyone send (no input, null, numbers, strings, arrays, objects
 * with junk keys), to every signal, update, query and to the start input: nothing fails a workflow
 * task. A bad signal is dropped and counted, a bad update refused with one sentence, a bad start
 * ends the run as Failed at once; the integration goes on answering, pulling and pushing. The cases
 * are listed in docs/bad-input-cases-handlers.md.
 */
describe('bad input from callers (workflow tier, stub activities)', () => {
  let s: StubEnv;
  before(async () => {
    s = await startStubEnv();
  });
  after(async () => {
    await s?.stop();
  });

  /** A failed workflow task is retried forever: none may be in the history. */
  async function assertNoTaskFailed(handle: WorkflowHandle) {
    const { events } = await handle.fetchHistory();
    const failed = (events ?? []).filter((e) => e.workflowTaskFailedEventAttributes);
    assert.deepEqual(
      failed.map((e) => e.workflowTaskFailedEventAttributes?.failure?.message),
      [],
      'no workflow task failed',
    );
  }

  it('malformed signals are dropped, counted and named in status; the integration still pulls and pushes', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    const raw = s.client.workflow.getHandle(x.handle.workflowId);
    const connectsBefore = x.crm.calls.filter((c) => c.name === 'connect').length;
    let dropped = 0;
    for (const c of BAD_SIGNALS) {
      await raw.signal(c.signal, ...c.args);
      dropped++;
      const st = await x.waitForStatus(`${c.signal} ${c.label} dropped`, (v) => v.ignoredSignals === dropped, 10_000);
      assert.match(st.lastIgnoredSignal ?? '', c.reason, `${c.signal} ${c.label}`);
      assert.equal(st.phase, 'syncing', `${c.signal} ${c.label}`);
    }
    const st = await x.status();
    assert.deepEqual(st.initialPull, { done: 25, total: 25, finished: true }, 'progress untouched by bad reports');
    assert.equal(x.crm.calls.filter((c) => c.name === 'connect').length, connectsBefore, 'no reauthorization');

    // Arguments the signal does not need do not stop it: each of these still asks for a push.
    for (const c of JUNK_ACCEPTED_SIGNALS) {
      x.crm.outbox = 150;
      await raw.signal(c.signal, ...c.args);
      await waitFor(
        `pushPending ${c.label} pushes`,
        async () => x.crm.outbox,
        (n) => n === 0,
      );
    }
    // A signal no handler knows is buffered by the SDK, never run.
    await raw.signal('noSuchSignal', { a: 1 });
    assert.equal((await x.status()).ignoredSignals, dropped, 'accepted ones are not counted');

    const pullsBefore = x.crm.calls.filter((c) => c.name === 'beginPull').length;
    await s.env.sleep('16m');
    await x.waitForStatus(
      'the next recurring pull',
      () => x.crm.calls.filter((c) => c.name === 'beginPull').length > pullsBefore,
    );
    // disconnect's junk keys do not matter: the name is the whole message.
    await raw.signal('disconnect', { please: true });
    assert.deepEqual(await x.handle.result(), { phase: 'disconnected' });
    await assertNoTaskFailed(x.handle);
  });

  it('malformed updates are refused with one sentence and change nothing', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    const before = await x.settings();
    for (const c of BAD_UPDATES) {
      const reason = await refusal(x.handle.executeUpdate<unknown, [unknown]>(c.update, { args: c.args as [unknown] }));
      assert.match(reason, c.reason, `${c.update} ${c.label}`);
      assert.doesNotMatch(reason, /\n/, 'one line');
    }
    assert.deepEqual(await x.settings(), before, 'settings unchanged');
    // What the contract describes still works after all of it.
    await x.handle.executeUpdate('pullNow', { args: [null] });
    await x.waitForStatus('manual pull ran', (v) => v.lastPull?.kind === 'manual');
    assert.equal((await x.updateSettings({ pullIntervalMinutes: 30 })).pullIntervalMinutes, 30);
    await x.disconnect();
    await assertNoTaskFailed(x.handle);
  });

  it('queries answer whatever argument they get; an unknown query fails alone', async () => {
    const x = await s.start();
    await x.waitForPhase('syncing');
    for (const arg of [undefined, null, 5, 'x', [1], { junk: 1 }]) {
      assert.equal((await x.handle.query<IntegrationStatus, [unknown]>('status', arg)).phase, 'syncing');
      assert.equal(
        (await x.handle.query<{ pullIntervalMinutes: number }, [unknown]>('settings', arg)).pullIntervalMinutes,
        15,
      );
    }
    await assert.rejects(x.handle.query('noSuchQuery'));
    assert.equal((await x.status()).phase, 'syncing');
    await x.disconnect();
    await assertNoTaskFailed(x.handle);
  });

  let seq = 0;
  for (const c of BAD_STARTS) {
    it(`start input ${c.label}: the run fails at once, not retried, with the reason`, async () => {
      const workspaceId = `bad${++seq}-${process.pid}`;
      s.world.set(workspaceId, newStubCrm());
      const handle = await s.client.workflow.start('integrationWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId: integrationWorkflowId(workspaceId, 'hubspot'),
        args: c.args(workspaceId),
      });
      // A failed workflow task would retry forever and result() never settle: give up after 20 s.
      const err = await Promise.race([
        handle.result().then(
          () => assert.fail('the run should have failed'),
          (e: unknown) => e,
        ),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('the run did not end (a failing workflow task?)')), 20_000).unref(),
        ),
      ]);
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
      assert.equal(err.cause.type, 'InvalidInput');
      assert.equal(err.cause.nonRetryable, true);
      assert.match(err.cause.message, c.reason);
      assert.doesNotMatch(err.cause.message, /\n/, 'one line');
      await assertNoTaskFailed(handle);
    });
  }

  it('carried null is no carried state; a valid one from an older run (no push) resumes where it was', async () => {
    const workspaceId = `carried-${process.pid}`;
    const crm = newStubCrm();
    s.world.set(workspaceId, crm);
    const base = {
      workspaceId,
      crm: 'hubspot',
      connection: `${workspaceId}-conn`,
      syncUserId: 'u-admin',
      plan: 'free',
    };
    const connectedAt = Date.parse('2026-01-01T00:00:00Z');
    const handle = await s.client.workflow.start('integrationWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: integrationWorkflowId(workspaceId, 'hubspot'),
      args: [
        {
          ...base,
          carried: {
            phase: 'syncing',
            connection: `${workspaceId}-conn`,
            settings: { pullIntervalMinutes: 15, fieldMapping: { contact: [], account: [] } },
            connectedAt,
            windowEndsAt: null,
            initialPullDone: true,
            pullSeq: 3,
            nextPullAt: Date.now() + 60_000,
            lastPull: null,
            errors: { ownerSync: 2, failedPulls: 1 },
            manualPullQueued: false,
          },
        },
      ],
    });
    const st = await waitFor(
      'resumed',
      () => handle.query<IntegrationStatus>('status'),
      (v) => v.phase === 'syncing',
    );
    assert.equal(st.connectedAt, new Date(connectedAt).toISOString(), 'carried state kept');
    assert.deepEqual(st.errors, { ownerSync: 2, failedPulls: 1 });
    assert.equal(crm.calls.filter((c) => c.name === 'connect').length, 0, 'not connected again');
    await handle.signal('disconnect');
    await handle.result();
    await assertNoTaskFailed(handle);

    s.world.set(`${workspaceId}n`, newStubCrm());
    const nullCarried = await s.client.workflow.start('integrationWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: integrationWorkflowId(`${workspaceId}n`, 'hubspot'),
      args: [{ ...base, workspaceId: `${workspaceId}n`, carried: null }],
    });
    await waitFor(
      'a fresh start',
      () => nullCarried.query<IntegrationStatus>('status'),
      (v) => v.phase === 'syncing',
    );
    await nullCarried.signal('disconnect', null);
    await nullCarried.result();
    await assertNoTaskFailed(nullCarried);
  });
});
