// Logout and consent in a real browser. One session signs in at two relying parties; logging
// out at the bridge sends each a logout token, verified here against the JWKS (typ, events,
// sid, sub), the second relying party being down at first and served later by the retries.
// Consent given in one browser context is not asked again in a second, only new scopes are;
// `accounts grants` lists it and revoking it ends the refresh tokens; `accounts sessions`
// lists sessions and ends one with a logout token.
import { createServer, type Server } from 'node:http';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import {
  authorization,
  cliConfig,
  exchange,
  expectAccessible,
  fillPassword,
  type LocalBridge,
  startLocalBridge,
  waitForCallback,
} from '../mfa/support.ts';
import { freePort } from '../support/bridge.ts';
import { hasChromium, launchChromium } from '../support/chromium.ts';
import { runBin } from '../support/cli.ts';
import { registerSecret } from '../support/secrets.ts';
import { waitFor } from '../support/wait.ts';

const PASSWORD = registerSecret('password', 'logout-and-consent-password');
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface LogoutReceiver {
  url: string;
  tokens: string[];
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A relying party's back-channel logout endpoint; not listening until start(). */
async function receiver(): Promise<LogoutReceiver> {
  const port = await freePort();
  const tokens: string[] = [];
  let server: Server | undefined;
  return {
    url: `http://127.0.0.1:${port}/backchannel-logout`,
    tokens,
    async start() {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => {
          body += d;
        });
        req.on('end', () => {
          const token = new URLSearchParams(body).get('logout_token');
          if (req.method === 'POST' && token) tokens.push(token);
          res.statusCode = token ? 200 : 400;
          res.setHeader('cache-control', 'no-store');
          res.end();
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}

let t: LocalBridge;
let browser: Browser;
let alphaUp: LogoutReceiver;
let betaDown: LogoutReceiver;

beforeAll(async () => {
  if (!hasChromium) return;
  t = await startLocalBridge({
    ui: { product_name: 'Acme Market' },
    backchannel_logout: { base_delay_ms: 200, max_delay_ms: 400, poll_interval_ms: 100, timeout_ms: 1000 },
  });
  const accounts = createAccounts(t.bridge.store.db);
  await t.bridge.store.db.transaction(async (trx) => {
    await accounts.insert(trx, {
      sub: 'user-7',
      passwordHash: await hashBridgePassword(PASSWORD),
      claims: {
        email: 'grace@example.com',
        given_name: 'Grace',
        family_name: 'Hopper',
        preferred_username: 'grace',
      },
      source: 'local',
      identifiers: ['grace', 'grace@example.com'],
    });
  });
  alphaUp = await receiver();
  betaDown = await receiver();
  await alphaUp.start();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await alphaUp?.close();
  await betaDown?.close();
  await t?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
  return context.newPage();
}

async function verifyLogoutToken(token: string, clientId: string) {
  const jwks = jose.createRemoteJWKSet(new URL(`${t.url}/jwks`));
  const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
    issuer: t.url,
    audience: clientId,
    typ: 'logout+jwt',
  });
  expect(protectedHeader.alg).toBeTruthy();
  expect(payload.events).toEqual({ [BACKCHANNEL_EVENT]: {} });
  expect(payload.jti).toBeTruthy();
  expect(payload).not.toHaveProperty('nonce');
  return payload;
}

describe.skipIf(!hasChromium)('back-channel logout', () => {
  it('sends a verified logout token to both relying parties of the session, the one that was down included', async () => {
    const alpha = await t.addClient({ id: 'alpha', firstParty: true, backchannelLogoutUri: alphaUp.url });
    const beta = await t.addClient({ id: 'beta', firstParty: true, backchannelLogoutUri: betaDown.url });
    const page = await newPage();

    const a = await authorization(alpha);
    await page.goto(a.url.toString());
    await fillPassword(page, 'grace', PASSWORD);
    const alphaTokens = await exchange(alpha, a, await waitForCallback(page));
    // The same browser session signs in at the second relying party without a password.
    const b = await authorization(beta);
    await page.goto(b.url.toString());
    const betaTokens = await exchange(beta, b, await waitForCallback(page));
    const alphaSid = alphaTokens.claims()!.sid as string;
    const betaSid = betaTokens.claims()!.sid as string;
    expect(alphaSid).toBeTruthy();
    expect(betaSid).toBeTruthy();

    const end = oidc.buildEndSessionUrl(alpha, { id_token_hint: alphaTokens.id_token! });
    await page.goto(end.toString());
    await page.locator('button[name=logout]').click();
    await page.getByRole('status').waitFor();

    await waitFor(
      async () => alphaUp.tokens.length,
      (n) => n === 1,
    );
    const toAlpha = await verifyLogoutToken(alphaUp.tokens[0]!, 'alpha');
    expect(toAlpha.sub).toBe('user-7');
    expect(toAlpha.sid).toBe(alphaSid);

    // beta is down: its token waits in the store and is tried again.
    const pending = await waitFor(
      () => t.bridge.store.db('backchannel_logouts').where({ client_id: 'beta' }).first(),
      (row) => row?.status === 'pending' && row.attempts >= 1 && row.last_error !== null,
    );
    expect(pending.last_error).toMatch(/ECONNREFUSED|answered/);
    await betaDown.start();
    await waitFor(
      async () => betaDown.tokens.length,
      (n) => n === 1,
      20_000,
    );
    const toBeta = await verifyLogoutToken(betaDown.tokens[0]!, 'beta');
    expect(toBeta.sub).toBe('user-7');
    expect(toBeta.sid).toBe(betaSid);
    const delivered = await t.bridge.store.db('backchannel_logouts').where({ client_id: 'beta' }).first();
    expect(delivered.status).toBe('delivered');

    // The session and its grants are gone: the refresh token no longer works.
    await expect(oidc.refreshTokenGrant(alpha, alphaTokens.refresh_token!)).rejects.toThrow();
    await page.context().close();
  });
});

describe.skipIf(!hasChromium)('remembered consent', () => {
  it('asks once across two browser contexts, and again only for a new scope', async () => {
    const shop = await t.addClient({ id: 'partner-shop', name: 'Partner Shop' });

    const first = await newPage();
    const a = await authorization(shop, { scope: 'openid email' });
    await first.goto(a.url.toString());
    await fillPassword(first, 'grace@example.com', PASSWORD);
    await first.locator('form[action$="/confirm"]').waitFor();
    await expectAccessible(first, 'consent-first-time');
    await first.locator('form[action$="/confirm"] button[type=submit]').click();
    const tokens = await exchange(shop, a, await waitForCallback(first));
    expect(tokens.claims()!.email).toBe('grace@example.com');
    expect(tokens.claims()!.amr).toEqual(['pwd']);

    // Another browser: a new session, no consent page.
    const second = await newPage();
    const b = await authorization(shop, { scope: 'openid email' });
    await second.goto(b.url.toString());
    await fillPassword(second, 'grace@example.com', PASSWORD);
    const again = await exchange(shop, b, await waitForCallback(second));
    expect(again.claims()!.email).toBe('grace@example.com');

    // A scope not given before: the consent page asks for that one only.
    const c = await authorization(shop, { scope: 'openid email profile' });
    await second.goto(c.url.toString());
    await second.locator('form[action$="/confirm"]').waitFor();
    const asked = await second.locator('ul.scopes li').allTextContents();
    expect(asked).toContain('Your name and username');
    expect(asked).not.toContain('Your email address');
    await second.locator('form[action$="/confirm"] button[type=submit]').click();
    const wider = await exchange(shop, c, await waitForCallback(second));
    expect(wider.claims()!.given_name).toBe('Grace');

    const remembered = await t.bridge.store
      .db('consents')
      .where({ sub: 'user-7', client_id: 'partner-shop' })
      .first();
    expect(remembered.scope.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    const ttl = t.config.oidc.ttl.grant * 1000;
    expect(Math.abs(new Date(remembered.expires_at).getTime() - (Date.now() + ttl))).toBeLessThan(60_000);

    // The operator's view, and revoking the grant ends its refresh tokens.
    const cfg = cliConfig(t);
    const listed = await runBin(['accounts', 'grants', 'grace', '--json', ...cfg]);
    expect(listed.code).toBe(0);
    const grants = JSON.parse(listed.stdout) as Array<{ client_id: string; active_grants: number }>;
    expect(grants.find((g) => g.client_id === 'partner-shop')?.active_grants).toBeGreaterThanOrEqual(2);
    expect(await oidc.refreshTokenGrant(shop, wider.refresh_token!)).toBeTruthy();
    const revoked = await runBin(['accounts', 'grants', 'user-7', '--revoke', 'partner-shop', ...cfg]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/ended [2-9] grant/);
    await expect(oidc.refreshTokenGrant(shop, tokens.refresh_token!)).rejects.toThrow();
    await expect(oidc.refreshTokenGrant(shop, again.refresh_token!)).rejects.toThrow();

    // Forgotten: the next sign-in asks again.
    const d = await authorization(shop, { scope: 'openid email' });
    await second.context().clearCookies();
    await second.goto(d.url.toString());
    await fillPassword(second, 'grace', PASSWORD);
    await second.locator('form[action$="/confirm"]').waitFor();
    await first.context().close();
    await second.context().close();
  });

  it('lists the sessions of an account and ends one, with a logout token to its relying party', async () => {
    const alpha = await t.addClient({ id: 'alpha-2', firstParty: true, backchannelLogoutUri: alphaUp.url });
    const page = await newPage();
    const a = await authorization(alpha);
    await page.goto(a.url.toString());
    await fillPassword(page, 'grace', PASSWORD);
    const tokens = await exchange(alpha, a, await waitForCallback(page));
    const cfg = cliConfig(t);
    const listed = await runBin(['accounts', 'sessions', 'grace@example.com', '--json', ...cfg]);
    expect(listed.code).toBe(0);
    const sessions = JSON.parse(listed.stdout) as Array<{
      session: string;
      clients: string[];
      amr: string[];
    }>;
    const mine = sessions.find((s) => s.clients.includes('alpha-2'));
    expect(mine?.amr).toEqual(['pwd']);
    const before = alphaUp.tokens.length;
    const ended = await runBin(['accounts', 'sessions', 'user-7', '--revoke', mine!.session, ...cfg]);
    expect(ended.code, `${ended.stderr}\nlisted: ${listed.stdout}`).toBe(0);
    expect(ended.stdout).toContain('1 logout token(s) queued');
    // The running bridge delivers what the command queued.
    await waitFor(
      async () => alphaUp.tokens.length,
      (n) => n === before + 1,
    );
    const payload = await verifyLogoutToken(alphaUp.tokens.at(-1)!, 'alpha-2');
    expect(payload.sid).toBe(tokens.claims()!.sid);
    const after = JSON.parse(
      (await runBin(['accounts', 'sessions', 'user-7', '--json', ...cfg])).stdout,
    ) as unknown[];
    expect(after.find((s) => (s as { session: string }).session === mine!.session)).toBeUndefined();
    await expect(oidc.refreshTokenGrant(alpha, tokens.refresh_token!)).rejects.toThrow();

    const missing = await runBin(['accounts', 'sessions', 'nobody@example.com', ...cfg]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No account "nobody@example.com"/);
    await page.context().close();
  });
});
