import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isolationBudget, sendIsolating } from '../../src/crm/batch-isolation';
import { CrmError } from '../../src/crm/errors';

/**
 * A CRM that refuses a whole call when it holds a bad input: `bad` inputs fail any batch holding
 * them (naming them when `names`), and `pairs` fail a batch holding both. Counts calls and writes.
 */
function fakeCrm(o: { bad?: number[]; names?: boolean; pairs?: [number, number][]; error?: () => CrmError }) {
  const written = new Map<number, number>();
  const refused = new Map<number, string>();
  const deferred = new Set<number>();
  let calls = 0;
  const iso = {
    keyOf: (i: number) => String(i),
    async send(batch: number[]) {
      calls++;
      if (o.error) throw o.error();
      const hit = batch.filter((i) => o.bad?.includes(i));
      if (hit.length)
        throw new CrmError('invalid', 'refused', {
          crmMessage: `input ${hit[0]} is bad`,
          ...(o.names ? { inputs: [String(hit[0])] } : {}),
        });
      for (const [a, b] of o.pairs ?? [])
        if (batch.includes(a) && batch.includes(b))
          throw new CrmError('conflict', 'refused', { crmMessage: `${a} and ${b} clash` });
      for (const i of batch) written.set(i, (written.get(i) ?? 0) + 1);
    },
    refuse: (i: number, err: CrmError) => refused.set(i, err.details.crmMessage!),
    defer: (i: number) => deferred.add(i),
  };
  return { iso, written, refused, deferred, calls: () => calls };
}

const hundred = Array.from({ length: 100 }, (_, i) => i);

describe('isolating a batch the CRM refuses as a whole', () => {
  it('one unnamed bad input among 100, wherever it is: only it is refused, with its own message, in at most 10 calls', () =>
    (async () => {
      let most = 0;
      for (const bad of hundred) {
        const crm = fakeCrm({ bad: [bad] });
        await sendIsolating(hundred, crm.iso);
        assert.deepEqual([...crm.refused], [[bad, `input ${bad} is bad`]]);
        assert.equal(crm.written.size, 99);
        assert.ok(
          [...crm.written.values()].every((n) => n === 1),
          'each good input written once',
        );
        most = Math.max(most, crm.calls());
      }
      // 1 refused call + 7 halvings + the lone suspect confirmed + the waiting halves once.
      assert.ok(most <= 10, `most calls: ${most}`);
    })());

  it('a refusal naming its input costs one more call', async () => {
    const crm = fakeCrm({ bad: [42], names: true });
    await sendIsolating(hundred, crm.iso);
    assert.equal(crm.calls(), 2);
    assert.deepEqual([...crm.refused.keys()], [42]);
    assert.equal(crm.written.size, 99);
  });

  it('two bad inputs: both refused, the rest written once', async () => {
    const crm = fakeCrm({ bad: [3, 77] });
    await sendIsolating(hundred, crm.iso);
    assert.deepEqual(
      [...crm.refused.keys()].sort((a, b) => a - b),
      [3, 77],
    );
    assert.equal(crm.written.size, 98);
    assert.ok(crm.calls() <= 1 + isolationBudget(100), `calls: ${crm.calls()}`);
  });

  it('two inputs refused only together: nobody is refused for it', async () => {
    const crm = fakeCrm({ pairs: [[10, 90]] });
    await sendIsolating(hundred, crm.iso);
    assert.deepEqual([...crm.refused.keys()], []);
    assert.equal(crm.written.size, 100);
  });

  it('every input bad: the calls stay within the budget and the undecided are deferred, not refused unproven', async () => {
    const crm = fakeCrm({ bad: hundred });
    await sendIsolating(hundred, crm.iso);
    assert.ok(crm.calls() <= 1 + isolationBudget(100), `calls: ${crm.calls()}`);
    assert.equal(crm.written.size, 0);
    assert.equal(crm.refused.size + crm.deferred.size, 100);
    for (const i of crm.refused.keys()) assert.equal(crm.refused.get(i), `input ${i} is bad`);
  });

  it('rate limits, outages and auth failures are thrown as they came, after one call', async () => {
    for (const kind of ['rateLimited', 'transient', 'auth'] as const) {
      const crm = fakeCrm({ error: () => new CrmError(kind, kind) });
      await assert.rejects(sendIsolating(hundred, crm.iso), (e: CrmError) => e.kind === kind);
      assert.equal(crm.calls(), 1);
    }
  });
});
