import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodedLength, packInLists, soqlQuote, SOQL_URL_BUDGET } from '../../src/domain/soql-in-lists';

describe('SOQL IN lists within Salesforce URL limit', () => {
  const fixed = 'SELECT Id, Email, Apollo_Id__c FROM Lead WHERE Email IN () AND IsConverted = false ORDER BY Id';
  const query = (group: string[]) => fixed.replace('IN ()', `IN (${group.join(', ')})`);

  it('200 long emails of a push batch become queries that each fit the budget, every email once, in order', () => {
    const emails = Array.from({ length: 200 }, (_, i) =>
      soqlQuote(`firstname.middlename.lastname-${i}@subsidiary.a-long-company-name-${i}.example.com`),
    );
    assert.ok(encodedLength(query(emails)) > 16_384, 'as one query it would pass the 16,384-byte limit');
    const groups = packInLists(emails, (e) => [e], fixed);
    assert.ok(groups.length >= 2);
    for (const g of groups) assert.ok(encodedLength(query(g)) <= SOQL_URL_BUDGET, `${encodedLength(query(g))} bytes`);
    assert.deepEqual(groups.flat(), emails);
  });

  it('a short list stays one query; an item too long for any group goes alone', () => {
    assert.equal(packInLists(['a', 'b', 'c'].map(soqlQuote), (e) => [e], fixed).length, 1);
    const huge = soqlQuote('x'.repeat(SOQL_URL_BUDGET));
    assert.deepEqual(
      packInLists(["'a'", huge, "'b'"], (e) => [e], fixed),
      [["'a'"], [huge], ["'b'"]],
    );
    assert.deepEqual(
      packInLists([], (e: string) => [e], fixed),
      [],
    );
  });

  it('an item counts all its literals (a domain is asked for in its 12 spellings)', () => {
    const spellings = (d: string) => Array.from({ length: 12 }, (_, i) => soqlQuote(`https://www.${d}/${i}`));
    const domains = Array.from({ length: 100 }, (_, i) => `domain-number-${i}.example`);
    const groups = packInLists(domains, spellings, 'SELECT Id FROM Account WHERE Website IN ()');
    for (const g of groups) assert.ok(encodedLength(g.flatMap(spellings).join(', ')) < SOQL_URL_BUDGET);
    assert.equal(groups.flat().length, 100);
  });

  it('quotes escape backslashes and single quotes', () => {
    assert.equal(soqlQuote("o'hara\\x"), "'o\\'hara\\\\x'");
  });
});
