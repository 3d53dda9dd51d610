import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountFirst } from '../../src/domain/primary-company';

describe("a HubSpot contact's account among its companies", () => {
  it('is the primary company wherever it is listed, the others after it by id', () => {
    const listed = [
      { companyId: '900', primary: false },
      { companyId: '1000', primary: true },
      { companyId: '1000', primary: false },
      { companyId: '95', primary: false },
    ];
    assert.deepEqual(accountFirst(listed), ['1000', '95', '900']);
    assert.deepEqual(accountFirst([...listed].reverse()), ['1000', '95', '900']);
  });

  it('with none primary, is the lowest id, in numeric order whatever the listing', () => {
    const listed = [
      { companyId: '1000', primary: false },
      { companyId: '95', primary: false },
    ];
    assert.deepEqual(accountFirst(listed), ['95', '1000']);
    assert.deepEqual(accountFirst([...listed].reverse()), ['95', '1000']);
    assert.deepEqual(accountFirst([]), []);
  });
});
