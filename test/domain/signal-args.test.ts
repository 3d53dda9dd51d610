import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSignal, pullProgressSchema, reauthorizeArgsSchema } from '../../src/domain/signal-args';

describe('signal arguments', () => {
  it('accepts what the contract describes, including no argument at all', () => {
    assert.deepEqual(parseSignal('reauthorize', reauthorizeArgsSchema, undefined), { ok: true, value: {} });
    assert.deepEqual(parseSignal('reauthorize', reauthorizeArgsSchema, null), { ok: true, value: {} });
    assert.deepEqual(parseSignal('reauthorize', reauthorizeArgsSchema, { connection: 'acme-2' }), {
      ok: true,
      value: { connection: 'acme-2' },
    });
    assert.deepEqual(parseSignal('pullProgress', pullProgressSchema, { seen: 3, total: null }), {
      ok: true,
      value: { seen: 3, total: null },
    });
  });

  it('drops anything else with one sentence naming the signal', () => {
    for (const [name, schema, raw] of [
      ['reauthorize', reauthorizeArgsSchema, 5],
      ['reauthorize', reauthorizeArgsSchema, 'acme'],
      ['reauthorize', reauthorizeArgsSchema, { connection: '' }],
      ['reauthorize', reauthorizeArgsSchema, { connection: 'a', extra: 1 }],
      ['pullProgress', pullProgressSchema, {}],
      ['pullProgress', pullProgressSchema, { seen: -1, total: 3 }],
      ['pullProgress', pullProgressSchema, [1, 2]],
    ] as const) {
      const r = parseSignal(name, schema as never, raw);
      assert.equal(r.ok, false, JSON.stringify(raw));
      if (!r.ok) assert.match(r.reason, new RegExp(`^${name} signal ignored: [^\\n]+$`));
    }
  });
});
