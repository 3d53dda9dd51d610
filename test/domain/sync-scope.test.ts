import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAccountPush, decideContactPush, decideScope } from '../../src/domain/push-conditions';
import { defaultPushSettings, type PushSettings } from '../../src/domain/push-settings';
import { applySettingsPatch, defaultSettings, pushRulesChanged } from '../../src/domain/settings';

/** The sync scope (seed 000, "Sync Scope"): net-new records go only from the chosen lists. */
describe('sync scope', () => {
  const scoped: PushSettings = { ...defaultPushSettings('hubspot'), scope: { lists: ['mql-ready', 'events'] } };
  const contact = { email: 'a@b.example', stage: null, emailStatus: null, custom: {} };
  const net = { linked: false, manual: false };

  it('without a scope every record is in it; with one, members of any of its lists', () => {
    assert.deepEqual(decideScope(null, []), { push: true });
    assert.deepEqual(decideScope(undefined, undefined), { push: true });
    assert.deepEqual(decideScope(scoped.scope, ['events']), { push: true });
    assert.deepEqual(decideScope(scoped.scope, ['other']), {
      push: false,
      reason: "in none of the sync scope's lists (mql-ready, events)",
    });
    assert.equal(decideScope(scoped.scope, undefined).push, false, 'lists not read: in none');
  });

  it('governs net-new contacts only: a linked record and a manual push go whatever the scope says', () => {
    assert.equal(decideContactPush(contact, scoped, net).push, false);
    assert.equal(decideContactPush({ ...contact, lists: ['mql-ready'] }, scoped, net).push, true);
    assert.equal(decideContactPush(contact, scoped, { linked: true, manual: false }).push, true);
    assert.equal(decideContactPush(contact, scoped, { linked: false, manual: true }).push, true);
    // The conditions still hold inside the scope.
    const withStage = { ...scoped, contacts: { enabled: true, conditions: { stages: ['lead'] } } };
    assert.equal(decideContactPush({ ...contact, lists: ['events'] }, withStage, net).push, false);
  });

  it("accounts: members of the scope's lists, and a contact's account goes with it", () => {
    const ctx = { ...net, forContact: false };
    assert.equal(decideAccountPush({ stage: null }, scoped, ctx).push, false);
    assert.equal(decideAccountPush({ stage: null, lists: ['events'] }, scoped, ctx).push, true);
    assert.equal(decideAccountPush({ stage: null }, scoped, { ...ctx, forContact: true }).push, true);
    assert.equal(decideAccountPush({ stage: null }, scoped, { ...ctx, manual: true }).push, true);
  });

  it('is set, replaced and removed through push settings; a malformed one is refused in one sentence', () => {
    const base = defaultSettings('hubspot');
    assert.equal('scope' in base.push, false, 'no scope by default: everything is pushed');
    const set = applySettingsPatch('hubspot', base, { push: { scope: { lists: ['mql-ready'] } } });
    assert.deepEqual(set.push.scope, { lists: ['mql-ready'] });
    assert.equal(pushRulesChanged('hubspot', base, set), true, 'records the CRM rejected are judged again');
    const kept = applySettingsPatch('hubspot', set, { push: { pushGuessedEmails: false } });
    assert.deepEqual(kept.push.scope, { lists: ['mql-ready'] }, 'a patch without scope keeps it');
    assert.equal(applySettingsPatch('hubspot', set, { push: { scope: null } }).push.scope, null);
    assert.equal(
      pushRulesChanged('hubspot', base, applySettingsPatch('hubspot', base, { pullIntervalMinutes: 30 })),
      false,
      'settings that never had a scope stay as they were',
    );
    for (const [scope, message] of [
      [{ lists: [] }, /^invalid settings: push\.scope\.lists: scope\.lists must name at least one list/],
      [{ lists: ['MQL Ready'] }, /^invalid settings: push\.scope\.lists\.0: a list id is lower-case/],
      [{ list: ['a'] }, /^invalid settings: .*push\.scope: Unrecognized key/],
      ['mql-ready', /^invalid settings: push\.scope: Expected object, received string$/],
    ] as const)
      assert.throws(
        () => applySettingsPatch('hubspot', base, { push: { scope } }),
        (err: Error) => message.test(err.message) && err.message.split('\n').length === 1,
      );
  });
});
