// A real relying party (openid-client v6) runs every flow it expects against a running
// bridge on PostgreSQL: login, consent, code exchange, id_token against the JWKS, userinfo,
// refresh, introspection, revocation, logout, client credentials, and the failures.
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { tokenIdKey } from '../../src/oidc/adapter.ts';
import { storedId } from '../../src/oidc/stored-id.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { Browser, formOf } from '../support/browser.ts';
import {
  beginLogin,
  exchange,
  loginThroughBrowser,
  REDIRECT_URI,
  relyingParty,
  submitLogin,
} from '../support/rp.ts';

const SECRET = 'app-client-secret-for-tests';
const PASSWORD = 'correct horse battery staple';

let t: TestBridge;
let rp: oidc.Configuration;

beforeAll(async () => {
  t = await startTestBridge({ oidc: { ttl: { interaction: 5 } } });
  await t.addClient({
    id: 'app',
    redirectUris: [REDIRECT_URI],
    secret: SECRET,
    postLogoutRedirectUris: ['http://127.0.0.1:8080/bye'],
  });
  await t.addClient({ id: 'first', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
  const accounts = createAccounts(t.bridge.store.db);
  await t.bridge.store.db.transaction(async (trx) => {
    await accounts.insert(trx, {
      sub: 'user-1',
      passwordHash: await hashBridgePassword(PASSWORD),
      claims: {
        email: 'ada@example.com',
        given_name: 'Ada',
        family_name: 'Lovelace',
        preferred_username: 'ada',
      },
      source: 'local',
      identifiers: ['ada', 'ada@example.com'],
    });
  });
  rp = await relyingParty(t.url, 'app', SECRET);
});

afterAll(async () => {
  await t?.close();
});

/** The stored row of a token or code, found by its value. */
function storedRow(type: string, value: string): Promise<Record<string, unknown> | undefined> {
  const id = storedId(type, value, tokenIdKey(t.config.key_encryption_key));
  return t.bridge.store.db('oidc_payloads').where({ type, id }).first();
}

/** A token request from the client "app", answered as status, headers and JSON body. */
async function tokenRequest(params: Record<string, string>) {
  const res = await fetch(rp.serverMetadata().token_endpoint!, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`app:${SECRET}`).toString('base64')}`,
    },
    body: new URLSearchParams(params),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/**
 * Runs the requests while the row of `value` is locked, and lets them go once both wait at
 * its consume: each has read the row unconsumed, so the consume alone decides between them.
 */
async function whileLocked<T>(type: string, value: string, start: () => Array<Promise<T>>): Promise<T[]> {
  const db = t.bridge.store.db;
  const id = storedId(type, value, tokenIdKey(t.config.key_encryption_key));
  const lock = await db.transaction();
  await lock('oidc_payloads').where({ type, id }).forUpdate().first('id');
  const requests = Promise.all(start());
  const waiting = async () =>
    Number(
      (
        await db.raw(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
      ).rows[0].n,
    );
  const until = Date.now() + 10_000;
  while ((await waiting()) < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(await waiting()).toBe(2);
  await lock.commit();
  return requests;
}

describe('discovery', () => {
  it('lists the code flow, S256, userinfo, revocation, introspection, end_session and a JWKS with RS256 and ES256 keys', async () => {
    const meta = rp.serverMetadata();
    expect(meta.response_types_supported).toContain('code');
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.userinfo_endpoint).toBe(`${t.url}/me`);
    expect(meta.revocation_endpoint).toBeTruthy();
    expect(meta.introspection_endpoint).toBeTruthy();
    expect(meta.end_session_endpoint).toBeTruthy();
    expect(meta.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
    );
    const jwks = (await (await fetch(meta.jwks_uri!)).json()) as { keys: Array<{ alg: string; d?: string }> };
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
  });
});

describe('the code flow with a third-party client', () => {
  it('logs in by posting the form, asks for consent, and exchanges the code for tokens that verify', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'ada@example.com', PASSWORD);
    const tokens = await exchange(rp, run, callbackUrl);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe('user-1');
    expect(claims.iss).toBe(t.url);
    // verified again, independently, against the published JWKS
    const jwks = jose.createRemoteJWKSet(new URL(`${t.url}/jwks`));
    const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token!, jwks, {
      issuer: t.url,
      audience: 'app',
    });
    expect(payload.sub).toBe('user-1');
    expect(protectedHeader.alg).toBe('RS256');

    const info = await oidc.fetchUserInfo(rp, tokens.access_token, 'user-1');
    expect(info).toMatchObject({
      sub: 'user-1',
      email: 'ada@example.com',
      given_name: 'Ada',
      family_name: 'Lovelace',
      preferred_username: 'ada',
    });

    const introspected = await oidc.tokenIntrospection(rp, tokens.access_token);
    expect(introspected.active).toBe(true);
    expect(introspected.sub).toBe('user-1');

    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()?.sub).toBe('user-1');

    await oidc.tokenRevocation(rp, refreshed.access_token);
    expect((await oidc.tokenIntrospection(rp, refreshed.access_token)).active).toBe(false);
  });

  it('shows the consent page to a third-party client and skips it for a first-party one', async () => {
    // A client this account never allowed: consent given to "app" earlier is remembered.
    await t.addClient({ id: 'partner', redirectUris: [REDIRECT_URI], secret: SECRET });
    const run = await beginLogin(await relyingParty(t.url, 'partner', SECRET));
    const afterLogin = await submitLogin(run, 'ada', PASSWORD);
    expect(afterLogin.html).toContain('/confirm');

    const first = await relyingParty(t.url, 'first', SECRET);
    const run2 = await beginLogin(first);
    const after = await submitLogin(run2, 'ada', PASSWORD);
    expect(after.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(first, run2, new URL(after.url));
    expect(tokens.claims()?.sub).toBe('user-1');
  });

  it('ends the session through RP-initiated logout and returns to the post-logout URI', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'ada', PASSWORD);
    const tokens = await exchange(rp, run, callbackUrl);
    const endUrl = oidc.buildEndSessionUrl(rp, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://127.0.0.1:8080/bye',
    });
    const browser = new Browser('http://127.0.0.1:8080/bye');
    for (const [k, v] of run.browser.cookies) browser.cookies.set(k, v);
    const page = await browser.get(endUrl.toString());
    expect(page.status).toBe(200);
    const form = formOf(page, /\/session\/end\/confirm$/);
    const done = await browser.post(form.action, { ...form.fields, logout: 'yes' });
    expect(done.url.startsWith('http://127.0.0.1:8080/bye')).toBe(true);
    // the session is gone: a new authorization asks for a login again
    const again = await browser.get(
      oidc
        .buildAuthorizationUrl(rp, {
          redirect_uri: REDIRECT_URI,
          scope: 'openid',
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        })
        .toString(),
    );
    expect(again.html).toContain('name="password"');
  });

  it('issues client-credentials tokens to a confidential client', async () => {
    const tokens = await oidc.clientCredentialsGrant(rp, { scope: '' });
    expect(tokens.access_token).toBeTruthy();
  });
});

describe('failures a relying party relies on', () => {
  it('refuses a replayed authorization code', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'ada', PASSWORD);
    await exchange(rp, run, callbackUrl);
    await expect(exchange(rp, run, callbackUrl)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('gives exactly one of 10 concurrent redemptions of one code its tokens', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'ada', PASSWORD);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => exchange(rp, run, callbackUrl)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
    }
  });

  it('gives one of two exchanges of one code, both past their read of it, the tokens, and the other a 400 invalid_grant with nothing stored', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'ada', PASSWORD);
    const code = callbackUrl.searchParams.get('code')!;
    const row = await storedRow('AuthorizationCode', code);
    const grantId = row!.grant_id as string;
    const answers = await whileLocked('AuthorizationCode', code, () => [
      tokenRequest({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: run.verifier,
      }),
      tokenRequest({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: run.verifier,
      }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const winner = answers.find((a) => a.status === 200)!;
    const loser = answers.find((a) => a.status === 400)!;
    expect(loser.body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    expect(loser.headers.get('content-type')).toMatch(/^application\/json/);
    expect(loser.headers.get('cache-control')).toBe('no-store');

    // The winner's tokens verify and are the store's: the only ones issued under the grant.
    const jwks = jose.createRemoteJWKSet(new URL(`${t.url}/jwks`));
    const { payload } = await jose.jwtVerify(winner.body.id_token as string, jwks, {
      issuer: t.url,
      audience: 'app',
    });
    expect(payload.sub).toBe('user-1');
    expect(await storedRow('AccessToken', winner.body.access_token as string)).toBeDefined();
    expect(await storedRow('RefreshToken', winner.body.refresh_token as string)).toBeDefined();
    const issued = await t.bridge.store
      .db('oidc_payloads')
      .where({ grant_id: grantId })
      .whereIn('type', ['AccessToken', 'RefreshToken'])
      .select('type');
    expect(issued.map((r) => r.type).sort()).toEqual(['AccessToken', 'RefreshToken']);
    expect((await oidc.tokenIntrospection(rp, winner.body.access_token as string)).active).toBe(true);
    expect((await storedRow('AuthorizationCode', code))?.consumed_at).toBeInstanceOf(Date);
  });

  it('rotates a refresh token for one of two concurrent refreshes with it, and still revokes the grant when it comes back', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'ada', PASSWORD);
    const tokens = await exchange(rp, run, callbackUrl);
    const used = tokens.refresh_token!;
    const answers = await whileLocked('RefreshToken', used, () => [
      tokenRequest({ grant_type: 'refresh_token', refresh_token: used }),
      tokenRequest({ grant_type: 'refresh_token', refresh_token: used }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const winner = answers.find((a) => a.status === 200)!;
    expect(answers.find((a) => a.status === 400)!.body).toMatchObject({ error: 'invalid_grant' });
    const rotated = winner.body.refresh_token as string;
    expect(await storedRow('RefreshToken', rotated)).toBeDefined();
    expect(await storedRow('AccessToken', winner.body.access_token as string)).toBeDefined();
    const grantId = (await storedRow('RefreshToken', used))!.grant_id;
    const refreshTokens = await t.bridge.store
      .db('oidc_payloads')
      .where({ grant_id: grantId, type: 'RefreshToken' });
    expect(refreshTokens).toHaveLength(2);

    // The used one presented again: the grant ends, with the token that replaced it.
    const replay = await tokenRequest({ grant_type: 'refresh_token', refresh_token: used });
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await storedRow('RefreshToken', rotated)).toBeUndefined();
    const next = await tokenRequest({ grant_type: 'refresh_token', refresh_token: rotated });
    expect(next).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await oidc.tokenIntrospection(rp, winner.body.access_token as string)).active).toBe(false);
  });

  it('renders a readable error page, not a redirect, for a wrong redirect_uri', async () => {
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: 'http://evil.example/cb',
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const page = await new Browser().get(url.toString());
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.html).toContain('redirect_uri');
    expect(page.html).not.toMatch(/at .*\.js:\d+/);
  });

  it('renders a readable error page for an unknown client', async () => {
    const page = await new Browser().get(
      `${t.url}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
    );
    expect(page.status).toBe(400);
    expect(page.html).toContain('invalid_client');
  });

  it('refuses an authorization request without a PKCE challenge', async () => {
    const url = new URL(`${t.url}/auth`);
    url.search = new URLSearchParams({
      client_id: 'app',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: REDIRECT_URI,
      state: 's',
    }).toString();
    const page = await new Browser(REDIRECT_URI).get(url.toString());
    const back = new URL(page.url);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('refuses a wrong client secret at the token endpoint', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'ada', PASSWORD);
    const wrong = await relyingParty(t.url, 'app', 'not-the-secret');
    const err = await exchange(wrong, run, callbackUrl).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, cause: [{ parameters: { error: 'invalid_client' } }] });
  });

  it('shows a clear page when the login page has expired', async () => {
    const run = await beginLogin(rp);
    await new Promise((r) => setTimeout(r, 6000));
    const page = await submitLogin(run, 'ada', PASSWORD);
    expect(page.status).toBe(400);
    expect(page.html).toContain('expired');
  });

  it('answers a wrong password with the login page and 401, and creates no session', async () => {
    const run = await beginLogin(rp);
    const page = await submitLogin(run, 'ada', 'wrong password');
    expect(page.status).toBe(401);
    expect(page.html).toContain('Wrong username or password.');
    expect(page.html).toContain('name="password"');
  });
});
