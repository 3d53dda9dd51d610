import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  manualPushRefusal,
  pullNowRefusal,
  retryFailedRefusal,
  startSyncNowRefusal,
  type CommandContext,
} from '../../src/domain/command-refusals';
import { PHASES, type Phase } from '../../src/domain/phase';

const at = (phase: Phase, o: Partial<CommandContext> = {}): CommandContext => ({
  phase,
  windowEndsAt: null,
  progress: null,
  needsReauthReason: null,
  ...o,
});

describe('command refusals by phase', () => {
  it('manual pull: refused in the window with its end, during the initial pull with progress, without a verified connection', () => {
    assert.equal(
      pullNowRefusal(at('configuring', { windowEndsAt: '2026-11-22T18:00:00.000Z' })),
      'manual pull is not available during the configuration window, which ends at 2026-11-22T18:00:00.000Z',
    );
    assert.equal(
      pullNowRefusal(at('initialPull', { progress: { done: 120, total: 500 } })),
      'manual pull is not available while the initial pull runs (120 of 500 records)',
    );
    assert.equal(
      pullNowRefusal(at('initialPull')),
      'manual pull is not available while the initial pull runs (0 of ? records)',
    );
    assert.equal(
      pullNowRefusal(at('needsReauth', { needsReauthReason: 'token revoked' })),
      'manual pull needs a verified CRM connection (phase needsReauth: token revoked)',
    );
    assert.equal(pullNowRefusal(at('connecting')), 'manual pull needs a verified CRM connection (phase connecting)');
    assert.equal(pullNowRefusal(at('disconnected')), 'the integration is disconnected');
    assert.equal(pullNowRefusal(at('syncing')), null);
  });

  it('manual push: needs a connected CRM, a finished initial pull and push enabled for the kind (seed 001)', () => {
    assert.equal(
      manualPushRefusal(at('connecting'), 'contact', true),
      'manual push needs a connected CRM (phase connecting)',
    );
    assert.equal(
      manualPushRefusal(at('needsReauth', { needsReauthReason: '401' }), 'contact', true),
      'manual push needs a connected CRM (phase needsReauth: 401)',
    );
    assert.equal(
      manualPushRefusal(at('disconnected'), 'account', true),
      'manual push needs a connected CRM: the integration is disconnected',
    );
    for (const phase of ['configuring', 'initialPull'] as const) {
      assert.equal(
        manualPushRefusal(at(phase, { progress: { done: 3, total: null } }), 'contact', true),
        'manual push is not available until the initial pull finishes (3 of ? records)',
      );
    }
    assert.equal(
      manualPushRefusal(at('syncing'), 'account', false),
      'manual push is refused: account push is disabled in the sync settings',
    );
    assert.equal(manualPushRefusal(at('syncing'), 'contact', true), null);
  });

  it('startSyncNow needs a verified connection; retryFailed only refuses a disconnected integration', () => {
    assert.equal(
      startSyncNowRefusal(at('needsReauth')),
      'sync cannot start before the CRM connection is verified (phase needsReauth)',
    );
    assert.equal(
      startSyncNowRefusal(at('connecting')),
      'sync cannot start before the CRM connection is verified (phase connecting)',
    );
    assert.equal(startSyncNowRefusal(at('disconnected')), 'the integration is disconnected');
    for (const phase of ['configuring', 'initialPull', 'syncing'] as const)
      assert.equal(startSyncNowRefusal(at(phase)), null);
    for (const phase of PHASES)
      assert.equal(retryFailedRefusal(at(phase)), phase === 'disconnected' ? 'the integration is disconnected' : null);
  });

  it('every refusal is one sentence on one line', () => {
    for (const phase of PHASES) {
      const c = at(phase, { windowEndsAt: '2026-11-22T18:00:00.000Z', needsReauthReason: 'x' });
      for (const r of [
        pullNowRefusal(c),
        manualPushRefusal(c, 'contact', false),
        startSyncNowRefusal(c),
        retryFailedRefusal(c),
      ]) {
        if (r !== null) assert.match(r, /^[^\n]+$/);
      }
    }
  });
});
