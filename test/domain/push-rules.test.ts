import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchAccount } from '../../src/domain/account-match';
import { applyOutbound, defaultFieldMapping } from '../../src/domain/field-mapping';
import { decideAccountPush, decideContactPush } from '../../src/domain/push-conditions';
import { accountSourceOf, defaultPushSettings, duplicatesOf, type PushSettings } from '../../src/domain/push-settings';
import { applySettingsPatch, defaultSettings, pushRulesChanged } from '../../src/domain/settings';

/** The pure push rules of seed 001, one by one. */
describe('push rules', () => {
  const base = defaultPushSettings('hubspot');
  const withConditions = (c: PushSettings['contacts']['conditions']): PushSettings => ({
    ...base,
    contacts: { enabled: true, conditions: c },
  });
  const contact = { email: 'a@b.example', stage: 'Lead', emailStatus: 'verified', custom: { tier: 'gold' } };
  const net = { linked: false, manual: false };

  it('conditions all hold, or the contact stays out, with the reason', () => {
    const s = withConditions({
      stages: ['lead'],
      emailStatuses: ['verified'],
      customField: { field: 'tier', value: 'gold' },
    });
    assert.deepEqual(decideContactPush(contact, s, net), { push: true });
    assert.match(
      (decideContactPush({ ...contact, stage: 'customer' }, s, net) as { reason: string }).reason,
      /stage customer is not in lead/,
    );
    assert.match(
      (decideContactPush({ ...contact, custom: {} }, s, net) as { reason: string }).reason,
      /custom field tier/,
    );
  });

  it('an email-status condition keeps contacts without an email out; without one they may go', () => {
    assert.deepEqual(
      decideContactPush({ ...contact, email: null }, withConditions({ emailStatuses: ['verified'] }), net),
      { push: false, reason: 'no email, and push requires an email status' },
    );
    assert.deepEqual(decideContactPush({ ...contact, email: null }, withConditions({ stages: ['lead'] }), net), {
      push: true,
    });
  });

  it('linked records and manual pushes override everything; disabled push stops only net-new', () => {
    const off: PushSettings = { ...base, contacts: { enabled: false, conditions: { stages: ['nope'] } } };
    assert.equal(decideContactPush(contact, off, net).push, false);
    assert.equal(decideContactPush(contact, off, { linked: true, manual: false }).push, true);
    assert.equal(decideContactPush(contact, off, { linked: false, manual: true }).push, true);
  });

  it("a contact's account goes with it whatever the account settings", () => {
    const off: PushSettings = { ...base, accounts: { enabled: false, conditions: {} } };
    assert.equal(decideAccountPush({ stage: null }, off, { ...net, forContact: false }).push, false);
    assert.equal(decideAccountPush({ stage: null }, off, { ...net, forContact: true }).push, true);
  });

  it('matches a free CRM account by domain deterministically; refuses or duplicates when all are taken', () => {
    const candidates = [
      { crmId: '20', modifiedAt: '2026-01-01T00:00:00Z', linkedTo: null },
      { crmId: '10', modifiedAt: '2026-03-01T00:00:00Z', linkedTo: null },
      { crmId: '30', modifiedAt: '2026-06-01T00:00:00Z', linkedTo: 'other' },
    ];
    assert.deepEqual(matchAccount('me', candidates, true), { action: 'link', crmId: '10', candidates: 2 });
    assert.deepEqual(
      matchAccount('me', [...candidates].reverse(), true),
      { action: 'link', crmId: '10', candidates: 2 },
      'order does not matter',
    );
    assert.deepEqual(matchAccount('me', [candidates[2]], true), { action: 'conflict', crmIds: ['30'] });
    assert.deepEqual(matchAccount('me', [candidates[2]], false), { action: 'create' });
    assert.deepEqual(matchAccount('me', [], true), { action: 'create' });
  });

  it('links an account carrying its own id first, as created: an earlier attempt of its push made it', () => {
    const candidates = [
      { crmId: '10', modifiedAt: '2026-03-01T00:00:00Z', linkedTo: null, createdFor: null },
      { crmId: '20', modifiedAt: '2026-01-01T00:00:00Z', linkedTo: null, createdFor: 'me' },
      { crmId: '30', modifiedAt: '2026-06-01T00:00:00Z', linkedTo: null, createdFor: 'someone-else' },
    ];
    assert.deepEqual(matchAccount('me', candidates, true), {
      action: 'link',
      crmId: '20',
      candidates: 3,
      createdByUs: true,
    });
    // Another record's id makes a candidate like any other, never "ours".
    assert.deepEqual(matchAccount('you', candidates.slice(0, 1).concat(candidates[2]), true), {
      action: 'link',
      crmId: '30',
      candidates: 2,
    });
    // Linked to another workspace account, it is not free, whatever it carries.
    assert.deepEqual(matchAccount('me', [{ ...candidates[1], linkedTo: 'other' }], true), {
      action: 'conflict',
      crmIds: ['20'],
    });
  });

  it('outbound mapping sends push and both fields only, never blanks', () => {
    const props = applyOutbound(
      defaultFieldMapping('hubspot').contact,
      { email: 'a@b.example', first_name: ' Ann ', last_name: '', stage: 'lead' },
      {},
    );
    assert.deepEqual(
      props,
      { email: 'a@b.example', firstname: 'Ann' },
      'lifecyclestage is pull-only; empty last name left out',
    );
  });

  it('settings: HubSpot refuses Leads; a push or mapping change is noticed', () => {
    assert.throws(
      () => applySettingsPatch('hubspot', defaultSettings('hubspot'), { push: { createPeopleAs: 'Lead' } }),
      /^Error: invalid settings: push\.createPeopleAs: HubSpot has no leads/,
    );
    const before = defaultSettings('salesforce');
    const after = applySettingsPatch('salesforce', before, { push: { contacts: { conditions: { stages: ['MQL'] } } } });
    assert.deepEqual(after.push.contacts, { enabled: true, conditions: { stages: ['MQL'] } });
    assert.equal(pushRulesChanged('salesforce', before, after), true);
    assert.equal(
      pushRulesChanged('salesforce', before, applySettingsPatch('salesforce', before, { pullIntervalMinutes: 60 })),
      false,
    );
  });

  it('settings: account source and duplicate handling have defaults, also for settings carried from older runs', () => {
    const sf = defaultSettings('salesforce');
    assert.equal(sf.push.pushGuessedEmails, false, 'seed 004: optional, so off');
    assert.deepEqual(sf.push.accountSource, { field: 'AccountSource', value: 'Apollo' });
    assert.deepEqual(defaultSettings('hubspot').push.accountSource, { field: 'apollo_source', value: 'Apollo' });
    assert.deepEqual(sf.push.duplicates, { contacts: 'email', accounts: 'domain' });
    // State carried from a run before these settings existed holds neither.
    const { accountSource: _a, duplicates: _d, ...older } = sf.push;
    const carried = { ...sf, push: older as PushSettings };
    assert.deepEqual(accountSourceOf('salesforce', carried.push), { field: 'AccountSource', value: 'Apollo' });
    assert.deepEqual(duplicatesOf(carried.push), { contacts: 'email', accounts: 'domain' });
    const after = applySettingsPatch('salesforce', carried, {
      push: { accountSource: { value: 'Partner Referral' }, duplicates: { contacts: 'off' } },
    });
    assert.deepEqual(after.push.accountSource, { field: 'AccountSource', value: 'Partner Referral' });
    assert.deepEqual(after.push.duplicates, { contacts: 'off', accounts: 'domain' });
    assert.throws(
      () => applySettingsPatch('salesforce', sf, { push: { duplicates: { accounts: 'name' } } }),
      /^Error: invalid settings: push\.duplicates\.accounts: /,
    );
  });
});
