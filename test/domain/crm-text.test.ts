import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanCrmProperties, cleanCrmText } from '../../src/domain/crm-text';
import { applyInbound, crmValue, defaultFieldMapping } from '../../src/domain/field-mapping';

/** Text PostgreSQL's jsonb refuses: what a CRM may hand over anyway, and what the workspace keeps. */
describe('CRM text the database cannot hold', () => {
  it('removes NUL and replaces lone surrogates with U+FFFD; well-formed text is untouched', () => {
    assert.equal(cleanCrmText('Ann\u0000e'), 'Anne');
    assert.equal(cleanCrmText('\u0000'), '');
    assert.equal(cleanCrmText('Bad \uD800 high'), 'Bad \uFFFD high');
    assert.equal(cleanCrmText('Bad \uDC00 low'), 'Bad \uFFFD low');
    assert.equal(cleanCrmText('two \uDC00\uD800 reversed'), 'two \uFFFD\uFFFD reversed');
    assert.equal(cleanCrmText('ends \uD83D'), 'ends \uFFFD');
    // A real pair (an emoji) and other non-ASCII text stay as they are.
    assert.equal(cleanCrmText('Zoë 😀 Ørsted'), 'Zoë 😀 Ørsted');
    // A NUL between the halves of a pair leaves the pair whole once removed.
    assert.equal(cleanCrmText('\uD83D\u0000\uDE00'), '😀');
  });

  it('the cleaned text survives the JSON a page insert sends PostgreSQL', () => {
    // jsonb refuses the escapes \u0000 and a lone \ud800; none is left after cleaning.
    const json = JSON.stringify({ v: cleanCrmText('a\u0000b\uD800c') });
    assert.doesNotMatch(json, /\\u0000|\\ud8/i);
    assert.equal(JSON.parse(json).v, 'ab\uFFFDc');
  });

  it('cleans each property value and keeps the object when nothing needed it', () => {
    const clean = { email: 'ann@x.example', lastname: null };
    assert.equal(cleanCrmProperties(clean), clean);
    assert.deepEqual(cleanCrmProperties({ firstname: 'A\u0000nn', lastname: 'Lee\uDFFF', phone: null }), {
      firstname: 'Ann',
      lastname: 'Lee\uFFFD',
      phone: null,
    });
  });

  it('applyInbound maps cleaned values, and a value that was only NUL is no value', () => {
    const mapping = defaultFieldMapping('hubspot').contact;
    const { columns } = applyInbound(mapping, { firstname: 'Jo\u0000', lastname: '\u0000', jobtitle: 'CTO\uD800' });
    assert.deepEqual(columns, { first_name: 'Jo', last_name: null, title: 'CTO\uFFFD' });
    assert.equal(crmValue({ phone: '+1\u0000 555' }, 'phone'), '+1 555');
  });
});
