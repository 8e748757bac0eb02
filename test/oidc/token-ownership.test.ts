// Who may learn about a token, and what a replayed refresh token costs: introspection
// answers inactive to a client that neither owns the token nor was allowed it at
// registration; every refresh rotates the refresh token, and a replay of a used one revokes
// the grant. Also: endpoint URLs come from the issuer, whatever Host a request names.

import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacyTable, type LegacyTable } from '../security/support.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { exchange, loginThroughBrowser, REDIRECT_URI, relyingParty } from '../support/rp.ts';

const PASSWORD = 'Ownership-Password-6631';
const SECRETS = {
  app: 'app-client-secret-6632',
  other: 'other-client-secret-6633',
  api: 'api-client-secret-6634',
};

let legacy: LegacyTable;
let t: TestBridge;

beforeAll(async () => {
  legacy = await createLegacyTable(
    'postgres',
    [{ username: 'owner', email: 'owner@example.com', password: PASSWORD }],
    {
      cost: 4,
    },
  );
  t = await startTestBridge({ legacy: legacy.config });
  await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRETS.app });
  await t.addClient({ id: 'other', redirectUris: [REDIRECT_URI], secret: SECRETS.other });
  await t.addClient({ id: 'api', redirectUris: [REDIRECT_URI], secret: SECRETS.api, introspectFor: ['app'] });
});

afterAll(async () => {
  await t?.close();
  await legacy?.drop();
});

async function post(path: string, client: keyof typeof SECRETS, body: Record<string, string>) {
  const res = await fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client}:${SECRETS[client]}`).toString('base64')}`,
    },
    body: new URLSearchParams(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function tokensOfApp() {
  const rp = await relyingParty(t.url, 'app', SECRETS.app);
  const { run, callbackUrl } = await loginThroughBrowser(rp, 'owner', PASSWORD, {
    scope: 'openid email offline_access',
    prompt: 'consent',
  });
  return exchange(rp, run, callbackUrl);
}

describe('introspection', () => {
  it('tells the owner about its token, and the allowed resource server too', async () => {
    const tokens = await tokensOfApp();
    const own = await post('/token/introspection', 'app', { token: tokens.access_token });
    expect(own.body).toMatchObject({ active: true, client_id: 'app' });
    const allowed = await post('/token/introspection', 'api', { token: tokens.access_token });
    expect(allowed.body).toMatchObject({ active: true, client_id: 'app' });
  });

  it('answers inactive, with nothing else, to a client that neither owns nor was allowed the token', async () => {
    const tokens = await tokensOfApp();
    for (const token of [tokens.access_token, tokens.refresh_token!]) {
      const answer = await post('/token/introspection', 'other', { token });
      expect(answer).toEqual({ status: 200, body: { active: false } });
    }
  });
});

describe('refresh tokens', () => {
  it('rotate at every refresh, and a replay of a used one revokes the grant and all its tokens', async () => {
    const tokens = await tokensOfApp();
    const first = await post('/token', 'app', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
    });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toEqual(expect.any(String));
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);

    const replay = await post('/token', 'app', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
    });
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // The thief's replay cost the grant: the rotated token and the access token are gone too.
    const next = await post('/token', 'app', {
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token as string,
    });
    expect(next).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const me = await fetch(`${t.url}/me`, {
      headers: { authorization: `Bearer ${first.body.access_token}` },
    });
    expect(me.status).toBe(401);
  });
});

/** A GET with a Host header of the test's choosing (fetch will not send one). */
function getWithHost(path: string, host: string): Promise<{ status: number; body: string }> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the Host header', () => {
  it('is never reflected: discovery names the issuer’s endpoints whatever the Host', async () => {
    const { status, body } = await getWithHost('/.well-known/openid-configuration', 'evil.example');
    expect(status).toBe(200);
    expect(body).not.toContain('evil.example');
    const meta = JSON.parse(body) as Record<string, unknown>;
    for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
      expect(String(meta[key]).startsWith(`${t.config.issuer}/`)).toBe(true);
    }
  });

  it('answers a Host with a port out of range without a 500', async () => {
    for (const path of ['/.well-known/openid-configuration', '/auth?client_id=app', '/interaction/x', '/']) {
      const { status, body } = await getWithHost(path, '127.0.0.1:99999');
      expect(status, path).toBeLessThan(500);
      expect(body).not.toContain('99999');
    }
  });
});
