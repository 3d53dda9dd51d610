import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectionConfig } from '../src/crm/connections';
import { newSalesforceTenant, startHarness, type Harness, type SalesforceTenant } from './support/harness';

/**
 * Salesforce sessions end (2 hours of inactivity by default, or when an admin or a policy ends
 * them); a connection with a refresh token renews them through the OAuth refresh-token flow
 * (issue 13, item 3). The sandbox's sessions here end half a second of real time after their first use,
 * so a simulated day of pulls and pushes meets dozens of expiries.
 */
describe('salesforce sessions that expire (time-skipping)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.stop();
  });

  const SESSION_TTL_MS = 500;

  /** A tenant whose org has a connected app, and whose connection carries its refresh token. */
  async function refreshingTenant(): Promise<{ t: SalesforceTenant; oauth: Record<string, string> }> {
    const t = await newSalesforceTenant(h, { limits: { sessionTtlMs: SESSION_TTL_MS } });
    const oauth = {
      clientId: `3MVG9-${t.workspaceId}`,
      clientSecret: `secret-${t.workspaceId}-5D2F`,
      refreshToken: `5Aep861-refresh-${t.workspaceId}`,
    };
    await t.admin.addOAuth(oauth);
    h.connections[t.connection] = {
      ...(h.connections[t.connection] as Extract<ConnectionConfig, { crm: 'salesforce' }>),
      ...oauth,
      loginUrl: h.salesforce.url,
    };
    return { t, oauth };
  }

  it('a simulated day of pulls and pushes renews every expired session and never needs reauthorization', async (c) => {
    const { t, oauth } = await refreshingTenant();
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    // Contacts need no company (a Lead does).
    await x.updateSettings({ push: { createPeopleAs: 'Contact' } });
    const [expiredBefore, renewedBefore] = [h.salesforce.sessionExpiries, h.salesforce.sessionRefreshes];

    const ids: string[] = [];
    for (let i = 0; i < 48; i++) {
      const { id } = await x.write('contacts add', { email: `day${i}@session.example`, last_name: `Day ${i}` });
      ids.push(id);
      await h.env.sleep('30m');
      assert.equal((await x.status()).phase, 'syncing', `still syncing after ${(i + 1) / 2} hours`);
    }
    await x.waitForPushDrained();
    const s = await x.status();
    assert.equal(s.needsReauthReason, null);
    assert.equal(s.errors.failedPulls, 0);
    assert.equal(s.lastPull?.kind, 'recurring');
    assert.equal(s.lastPull?.failure, undefined);
    for (const id of ids) assert.ok(await x.crmIdOf(id), 'every contact written during the day was pushed');

    const expired = h.salesforce.sessionExpiries - expiredBefore;
    const renewed = h.salesforce.sessionRefreshes - renewedBefore;
    assert.ok(expired >= 10, `sessions expired ${expired} times`);
    // One renewal per expiry met, not one per activity: renewed sessions are kept for the next adapter.
    assert.ok(renewed >= 10 && renewed <= expired, `${renewed} renewals for ${expired} expiries`);
    c.diagnostic(
      `${expired} sessions expired, ${renewed} renewed, ${h.salesforce.orgStats(t.org.org.orgId).requests} API requests`,
    );

    await x.disconnect();
    // Neither the refresh token, the client secret nor any session reached history or logs.
    const history = JSON.stringify(await x.handle.fetchHistory());
    for (const secret of [oauth.refreshToken, oauth.clientSecret, ...t.org.org.tokens]) {
      assert.ok(!history.includes(secret), 'a secret in workflow history');
      assert.ok(!h.logs.some((l) => l.includes(secret)), 'a secret in the logs');
    }
  });

  it('a refresh token the org no longer honours: needsReauth saying what to do; a new one and reauthorize resume', async () => {
    const { t, oauth } = await refreshingTenant();
    const x = await h.integration(t, { plan: 'free', until: 'syncing' });
    const config = h.connections[t.connection] as Extract<ConnectionConfig, { crm: 'salesforce' }>;
    // The admin revoked the app's refresh token (here: the file holds one the org never issued).
    h.connections[t.connection] = { ...config, refreshToken: 'revoked-refresh-token' };
    await new Promise((r) => setTimeout(r, SESSION_TTL_MS + 200));
    await h.env.sleep('31m');
    const waiting = await x.waitForPhase('needsReauth');
    assert.match(
      waiting.needsReauthReason!,
      /\(session refresh\) failed \(invalid_grant\): expired access\/refresh token \(the refresh token was revoked or has expired: authorize the connected app again/,
    );
    assert.ok(!waiting.needsReauthReason!.includes('revoked-refresh-token'));

    h.connections[t.connection] = { ...config, refreshToken: oauth.refreshToken };
    await x.reauthorize();
    const back = await x.waitForPhase('syncing');
    assert.equal(back.needsReauthReason, null);
    await x.disconnect();
  });
});
