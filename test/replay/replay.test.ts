import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/temporal-env';
import { HISTORIES_DIR } from '../workflow/stub-env';
import { readHistoryFiles, replayable } from './history-files';

/**
 * Running integrations replay today's workflow code against the history they recorded. Each
 * committed history (test/histories, one file per lifecycle path, some recorded by older code) must
 * replay without a nondeterminism error: a change that alters the commands a history expects, e.g.
 * another lane count or a removed patched() branch, fails here before it reaches a running workflow.
 */
describe('replay of committed histories', () => {
  const files = readHistoryFiles(HISTORIES_DIR);

  it('has a history for every lifecycle path', () => {
    const names = files.map((f) => f.name);
    for (const path of [
      'window-refusals',
      'start-sync-now',
      'initial-pull',
      'recurring-continue-as-new',
      'push-lanes',
      'reauthorize',
      'daily-limit-pause',
      'disconnect-in-window',
      // Both branches of patched('window-continue-as-new'): the window histories above predate it.
      'window-continue-as-new',
      // Both branches of patched('retry-transient-in-workflow'): an outage that outlasts the
      // activities' attempts failed the pull before it, and is retried by the workflow after.
      'transient-storm-before-workflow-retry',
      'transient-retry-status',
      // Both branches of patched('manual-push-pages'): `all` in one activity, then in pages.
      'push-all-one-call',
      'push-all-pages',
      // Both branches of patched('push-failure-backoff'): a push the CRM refuses drained again at
      // once before it, and backs off after (also across continue-as-new, carrying the wait).
      'push-refused-before-backoff',
      'push-refused-backoff',
      'push-backoff-continue-as-new',
    ]) {
      assert.ok(names.includes(path), `missing history ${path}`);
    }
  });

  for (const { name, file } of files) {
    it(`${name} (${file.histories.length} histories; ${file.recordedWith || 'recorded by the current code'})`, async () => {
      const bundle = await workflowBundle();
      let replayed = 0;
      for await (const result of Worker.runReplayHistories(
        { workflowBundle: bundle, replayName: name },
        replayable(file),
      )) {
        assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
        replayed++;
      }
      assert.equal(replayed, file.histories.length);
    });
  }
});
