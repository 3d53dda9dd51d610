import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCarriedState } from '../../src/domain/carried-state';
import { readHistoryFiles } from '../replay/history-files';
import { ROOT } from '../support/tools';

/** The `carried` of every run start in the committed histories (older code's shapes included). */
function carriedStates(): { name: string; carried: unknown }[] {
  const out: { name: string; carried: unknown }[] = [];
  for (const { name, file } of readHistoryFiles(join(ROOT, 'test/histories'))) {
    // Pull children carry their own state; only the integration's is checked here.
    for (const h of file.histories.filter((x) => !x.workflowId.includes('/pull-'))) {
      for (const e of h.history.events ?? []) {
        for (const p of e.workflowExecutionStartedEventAttributes?.input?.payloads ?? []) {
          const value = JSON.parse(Buffer.from(String(p.data), 'base64').toString('utf8')) as { carried?: unknown };
          if (value && typeof value === 'object' && value.carried) out.push({ name, carried: value.carried });
        }
      }
    }
  }
  return out;
}

describe('carried state', () => {
  it('accepts what every recorded run carried, unchanged', () => {
    const states = carriedStates();
    assert.ok(states.length >= 3, `${states.length} carried states found`);
    for (const { name, carried } of states) assert.deepEqual(parseCarriedState(carried), carried, name);
  });

  it('refuses a wrong type anywhere with one line naming the field', () => {
    const good = carriedStates()[0].carried as Record<string, unknown>;
    for (const [bad, reason] of [
      [{ ...good, pullSeq: -1 }, /^Error: invalid carried state: pullSeq: Number must be greater than or equal to 0$/],
      [{ ...good, nextPullAt: 'soon' }, /^Error: invalid carried state: nextPullAt: Expected number, received string$/],
      [{ ...good, phase: 'paused' }, /^Error: invalid carried state: phase: Invalid enum value/],
      [{ ...good, errors: { ownerSync: 1 } }, /^Error: invalid carried state: errors\.failedPulls: Required$/],
      [
        { ...good, settings: { ...(good.settings as object), pullIntervalMinutes: 1 } },
        /pullIntervalMinutes must be at least 5$/,
      ],
      [[good], /^Error: invalid carried state: carried must be the state object a previous run carried$/],
    ] as const) {
      assert.throws(() => parseCarriedState(bad), reason);
    }
  });

  it('keeps a set-up list (status.setup) and refuses a malformed one', () => {
    const good = carriedStates()[0].carried as Record<string, unknown>;
    const problem = {
      code: 'missingField',
      subject: 'Contact.Apollo_Id__c',
      message: 'Salesforce Contact has no field.',
    };
    const withSetup = {
      ...good,
      setup: [problem],
      setupCreated: ['HubSpot property apollo_source created on contacts.'],
    };
    assert.deepEqual(parseCarriedState(withSetup), withSetup);
    assert.throws(
      () => parseCarriedState({ ...good, setup: [{ ...problem, code: 'broken' }] }),
      /^Error: invalid carried state: setup\.0\.code: Invalid enum value/,
    );
  });

  it('takes a handed-off pull as recorded, and refuses a malformed one with one line', () => {
    const handed = carriedStates().find((c) => (c.carried as { pullHandOff?: unknown }).pullHandOff);
    assert.ok(handed, 'a recorded run carried a pull between two segments');
    const good = handed.carried as Record<string, unknown> & { pullHandOff: Record<string, unknown> };
    assert.deepEqual(parseCarriedState(good), good);
    const h = good.pullHandOff;
    for (const [bad, reason] of [
      [{ ...h, kind: 'full' }, /^Error: invalid carried state: pullHandOff\.kind: Invalid enum value/],
      [{ ...h, segments: 0 }, /^Error: invalid carried state: pullHandOff\.segments: Number must be greater/],
      [
        { ...h, cursors: { runs: [], potentialDuplicates: 0 } },
        /^Error: invalid carried state: pullHandOff\.cursors\.runs: Array must contain at least 1/,
      ],
      [
        { ...h, pause: { untilMs: 'later', reason: '' } },
        /^Error: invalid carried state: pullHandOff\.pause\.untilMs: Expected number/,
      ],
    ] as const) {
      assert.throws(() => parseCarriedState({ ...good, pullHandOff: bad }), reason);
    }
  });

  it('takes null and absent as no carried state', () => {
    assert.equal(parseCarriedState(undefined), undefined);
    assert.equal(parseCarriedState(null), undefined);
  });
});
