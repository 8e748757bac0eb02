// Hostile input the form fuzzing does not reach: a repeated ui_locales on the interaction
// page, the login POST and /auth, a login POST whose body claims gzip or br and is not, and a
// NUL character (which PostgreSQL's text cannot hold) in the parameters and tokens of the
// OAuth endpoints. Each answers a clear 4xx, never a 500 or a stack trace.
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { formOf } from '../support/browser.ts';
import { beginLogin, type LoginRun, REDIRECT_URI, relyingParty } from '../support/rp.ts';

const SECRET = 'hostile-params-secret-1180';
let t: TestBridge;
let rp: oidc.Configuration;

beforeAll(async () => {
  t = await startTestBridge();
  await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET });
  rp = await relyingParty(t.url, 'app', SECRET);
});

afterAll(async () => {
  await t?.close();
});

function cookies(run: LoginRun): string {
  return [...run.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

function expectClear400(status: number, body: string) {
  expect(status).toBe(400);
  expect(body).toContain('<h1>');
  expect(body).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('a repeated ui_locales', () => {
  it('on the interaction page answers a 400 page', async () => {
    const run = await beginLogin(rp);
    const res = await fetch(`${run.loginPage.url}?ui_locales=en&ui_locales=tr`, {
      headers: { cookie: cookies(run) },
    });
    const body = await res.text();
    expectClear400(res.status, body);
    expect(body).toContain('more than once');
  });

  it('on the login POST answers a 400 page', async () => {
    const run = await beginLogin(rp);
    const form = formOf(run.loginPage, /\/login$/);
    const res = await fetch(`${form.action}?ui_locales=en&ui_locales=tr`, {
      method: 'POST',
      headers: { cookie: cookies(run), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form.fields, identifier: 'x', password: 'y' }).toString(),
    });
    expectClear400(res.status, await res.text());
  });

  it('on /auth answers a 400 page naming the parameter', async () => {
    const url = new URL(`${t.url}/auth`);
    // No redirect_uri to send the error to: oidc-provider renders it, through our page.
    url.search = 'client_id=nobody&response_type=code&scope=openid&ui_locales=en&ui_locales=tr';
    const res = await fetch(url, { headers: { accept: 'text/html' }, redirect: 'manual' });
    const body = await res.text();
    expectClear400(res.status, body);
    expect(body).toContain('ui_locales');
  });

  it('on /auth with a registered redirect_uri sends invalid_request back to the client', async () => {
    const url = new URL(`${t.url}/auth`);
    url.search = 'client_id=app&response_type=code&scope=openid&ui_locales=en&ui_locales=tr';
    url.searchParams.set('redirect_uri', REDIRECT_URI);
    const res = await fetch(url, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location') ?? '');
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toContain('ui_locales');
  });
});

describe('a NUL character (U+0000) in a request', () => {
  const form = (path: string, body: string) =>
    fetch(`${t.url}${path}`, {
      method: 'POST',
      body,
      redirect: 'manual',
      headers: {
        authorization: `Basic ${Buffer.from(`app:${SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
    });

  it.each(['state=%00', 'nonce=a%00b', 'login_hint=%00', 'ui_locales=%00', 'acr_values=%00'])(
    'in /auth (%s) sends invalid_request back to the client',
    async (param) => {
      const url = new URL(`${t.url}/auth`);
      url.search = `client_id=app&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&${param}`;
      url.searchParams.set('redirect_uri', REDIRECT_URI);
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(303);
      const back = new URL(res.headers.get('location') ?? '');
      expect(back.origin + back.pathname).toBe(REDIRECT_URI);
      expect(back.searchParams.get('error')).toBe('invalid_request');
      expect(back.searchParams.get('error_description')).toContain('NUL character');
    },
  );

  it('in a token, a code or a refresh token answers as a token the bridge does not know', async () => {
    const code = await form(
      '/token',
      `grant_type=authorization_code&code=ab%00cd&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_verifier=${'a'.repeat(43)}`,
    );
    expect(code.status).toBe(400);
    expect(await code.json()).toMatchObject({ error: 'invalid_grant' });
    const refresh = await form('/token', 'grant_type=refresh_token&refresh_token=ab%00cd');
    expect(refresh.status).toBe(400);
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
    const introspection = await form('/token/introspection', 'token=ab%00cd');
    expect(introspection.status).toBe(200);
    expect(await introspection.json()).toEqual({ active: false });
    expect((await form('/token/revocation', 'token=ab%00cd')).status).toBe(200);
  });

  it('in the logout request answers a 400 page that names it', async () => {
    const res = await fetch(`${t.url}/session/end?client_id=app&state=%00`, {
      redirect: 'manual',
      headers: { accept: 'text/html' },
    });
    const body = await res.text();
    expectClear400(res.status, body);
    expect(body).toContain('NUL character');
  });

  it('is answered beside a login page asked for in the same moment, which still loads', async () => {
    const run = await beginLogin(rp);
    const [hostile, page] = await Promise.all([
      form('/token/introspection', 'token=ab%00cd'),
      fetch(run.loginPage.url, { headers: { cookie: cookies(run) } }),
    ]);
    expect(hostile.status).toBe(200);
    expect(page.status).toBe(200);
  });
});

describe('a login POST with a compressed body that is not', () => {
  for (const encoding of ['gzip', 'br', 'deflate']) {
    it(`answers ${encoding} garbage with a 400 page`, async () => {
      const run = await beginLogin(rp);
      const form = formOf(run.loginPage, /\/login$/);
      const res = await fetch(form.action, {
        method: 'POST',
        headers: {
          cookie: cookies(run),
          'content-type': 'application/x-www-form-urlencoded',
          'content-encoding': encoding,
        },
        body: Buffer.from('this is not compressed at all \x00\xff\xfe'),
      });
      expectClear400(res.status, await res.text());
    });
  }

  it('still reads a form that is really gzip- or br-compressed', async () => {
    for (const [encoding, pack] of [
      ['gzip', gzipSync],
      ['br', brotliCompressSync],
    ] as const) {
      const run = await beginLogin(rp);
      const form = formOf(run.loginPage, /\/login$/);
      const body = new URLSearchParams({
        ...form.fields,
        identifier: 'nobody',
        password: 'wrong',
      }).toString();
      const res = await fetch(form.action, {
        method: 'POST',
        headers: {
          cookie: cookies(run),
          'content-type': 'application/x-www-form-urlencoded',
          'content-encoding': encoding,
        },
        body: pack(Buffer.from(body)),
      });
      expect(res.status, encoding).toBe(401);
    }
  });
});

describe('the login form body limit', () => {
  async function post(run: LoginRun, fields: Record<string, string>) {
    const form = formOf(run.loginPage, /\/login$/);
    const res = await fetch(form.action, {
      method: 'POST',
      headers: { cookie: cookies(run), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form.fields, ...fields }).toString(),
    });
    return { status: res.status, body: await res.text() };
  }

  it('is counted in bytes: a 300 KB body is refused with 413 (max_password_bytes 1024)', async () => {
    const run = await beginLogin(rp);
    const r = await post(run, { identifier: 'x', password: 'y', filler: 'z'.repeat(300 * 1024) });
    expect(r.status).toBe(413);
    expect(r.body).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('takes a 100 KB password, to say that it is too long', async () => {
    const run = await beginLogin(rp);
    const r = await post(run, { identifier: 'nobody', password: 'x'.repeat(100 * 1024) });
    expect(r.status).toBe(400);
    expect(r.body).toContain('1024');
  });

  it('still takes the longest password allowed, percent-encoded, and says when one is too long', async () => {
    const longest = 'é'.repeat(512); // 1024 bytes, 3072 once percent-encoded
    const run = await beginLogin(rp);
    expect((await post(run, { identifier: 'nobody', password: longest })).status).toBe(401);
    const tooLong = await post(run, { identifier: 'nobody', password: `${longest}é` });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toContain('1024');
  });
});
