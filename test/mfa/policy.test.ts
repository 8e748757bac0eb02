// The rules around second factors without a browser's JavaScript: mfa.required sends every
// password-only sign-in to enrolment; with enrolment off, a sign-in that needs a second
// factor the account lacks ends at the client with unmet_authentication_requirements; the
// discovery document says what the bridge supports; `accounts second-factors` shows and
// resets an account's factors; a logout token for a client that is gone is given up.
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { enqueueLogouts } from '../../src/sessions/logout-queue.ts';
import { Browser, formOf } from '../support/browser.ts';
import { runBin } from '../support/cli.ts';
import { registerSecret } from '../support/secrets.ts';
import { waitFor } from '../support/wait.ts';
import { authorization, CALLBACK, cliConfig, type LocalBridge, startLocalBridge } from './support.ts';

const PASSWORD = registerSecret('password', 'policy-test-password-1');

async function withAccount(t: LocalBridge, sub: string, name: string): Promise<void> {
  const accounts = createAccounts(t.bridge.store.db);
  const passwordHash = await hashBridgePassword(PASSWORD);
  await t.bridge.store.db.transaction(async (trx) => {
    await accounts.insert(trx, {
      sub,
      passwordHash,
      claims: { email: `${name}@example.com` },
      source: 'local',
      identifiers: [name],
    });
  });
}

/** Signs in with the password through plain HTTP (no JavaScript); the page it stops at. */
async function passwordSignIn(rp: oidc.Configuration, name: string, params: Record<string, string> = {}) {
  const browser = new Browser(CALLBACK);
  const auth = await authorization(rp, params);
  const login = await browser.get(auth.url.toString());
  const form = formOf(login, /\/login$/);
  return browser.post(form.action, { ...form.fields, identifier: name, password: PASSWORD });
}

describe('mfa.required', () => {
  let t: LocalBridge;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    t = await startLocalBridge({ mfa: { required: true } });
    await withAccount(t, 'u-1', 'ada');
    rp = await t.addClient({ id: 'app', firstParty: true });
  });
  afterAll(async () => t?.close());

  it('sends a password-only sign-in to the set-up of an authenticator app', async () => {
    const page = await passwordSignIn(rp, 'ada');
    expect(page.url).toMatch(/\/totp-setup$/);
    expect(page.html).toContain('Set up two-step verification');
  });

  it('says in discovery which acr values and back-channel logout it supports', () => {
    const meta = rp.serverMetadata();
    expect(meta.acr_values_supported).toEqual(expect.arrayContaining(['aal1', 'aal2']));
    expect(meta.backchannel_logout_supported).toBe(true);
    expect(meta.backchannel_logout_session_supported).toBe(true);
  });
});

describe('a second factor required, with enrolment off', () => {
  let t: LocalBridge;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    t = await startLocalBridge({ mfa: { totp_enrolment: false } });
    await withAccount(t, 'u-2', 'bob');
    rp = await t.addClient({ id: 'app', firstParty: true });
  });
  afterAll(async () => t?.close());

  it('returns unmet_authentication_requirements to the client instead of a sign-in with one factor', async () => {
    const page = await passwordSignIn(rp, 'bob', { acr_values: 'aal2' });
    expect(page.url.startsWith(CALLBACK)).toBe(true);
    expect(new URL(page.url).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('lets the same account in with its password when the client asks for nothing more', async () => {
    const page = await passwordSignIn(rp, 'bob');
    expect(new URL(page.url).searchParams.get('code')).toBeTruthy();
  });

  it('shows and resets an account’s second factors from the command line', async () => {
    await t.bridge.store.db('account_second_factors').insert({
      sub: 'u-2',
      totp_secret: 'JBSWY3DPEHPK3PXP',
      totp_source: 'legacy',
      totp_added_at: new Date(),
    });
    const cfg = cliConfig(t);
    const shown = await runBin(['accounts', 'second-factors', 'bob', '--json', ...cfg]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ sub: 'u-2', authenticator_app: 'legacy', passkeys: [] });
    expect(shown.stdout).not.toContain('JBSWY3DPEHPK3PXP');
    const reset = await runBin(['accounts', 'second-factors', 'u-2', '--reset', ...cfg]);
    expect(reset.code).toBe(0);
    expect(await t.bridge.store.db('account_second_factors').where({ sub: 'u-2' }).first()).toBeUndefined();
    expect(
      await t.bridge.store
        .db('audit_events')
        .where({ type: 'admin.second_factors_reset', sub: 'u-2' })
        .first(),
    ).toBeTruthy();
  });

  it('gives up a logout token whose client is gone, with the reason', async () => {
    await enqueueLogouts(t.bridge.store.db, [{ clientId: 'removed-app', sub: 'u-2', sid: 'sid-1' }]);
    const row = await waitFor(
      () => t.bridge.store.db('backchannel_logouts').where({ client_id: 'removed-app' }).first(),
      (r) => r?.status === 'dead',
    );
    expect(row.last_error).toBe('client removed');
  });
});
