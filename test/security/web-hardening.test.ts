// The browser-facing defences, against a running bridge: CSRF tokens on login and consent,
// over-long passwords refused before any hashing, SameSite and HttpOnly cookies, and the
// security headers (CSP with a nonce, frame-ancestors, no-store, HSTS on an https issuer).
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { legacyLookups, startTestBridge, type TestBridge } from '../support/bridge.ts';
import { Browser, formOf } from '../support/browser.ts';
import { beginLogin, loginThroughBrowser, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';
import { createLegacyTable, type LegacyTable, writableCounts } from './support.ts';

const SECRET = 'hardening-client-secret-8812';
const LEGACY_PASSWORD = 'Legacy-Right-Password-8813';
const LOCAL_PASSWORD = registerSecret('password', 'Local-Right-Password-8814');
const MAX_BYTES = 100;

let legacy: LegacyTable;
let t: TestBridge;
let rp: oidc.Configuration;

beforeAll(async () => {
  legacy = await createLegacyTable('postgres', [
    { username: 'ida', email: 'ida@example.com', password: LEGACY_PASSWORD },
  ]);
  t = await startTestBridge({ legacy: legacy.config, security: { max_password_bytes: MAX_BYTES } });
  await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET });
  rp = await relyingParty(t.url, 'app', SECRET);
  const accounts = createAccounts(t.bridge.store.db);
  await t.bridge.store.db.transaction(async (trx) => {
    await accounts.insert(trx, {
      sub: 'local-1',
      passwordHash: registerSecret('hash', await hashBridgePassword(LOCAL_PASSWORD)),
      claims: { email: 'jo@example.com' },
      source: 'local',
      identifiers: ['jo', 'jo@example.com'],
    });
  });
});

afterAll(async () => {
  await t?.close();
  await legacy?.drop();
});

const auditCount = async () => Number((await t.bridge.store.db('audit_events').count({ n: '*' }))[0]!.n);

describe('CSRF on the login form', () => {
  it.each([
    ['without a token', (f: Record<string, string>) => ({ ...f, csrf: undefined })],
    [
      'with a wrong token',
      (f: Record<string, string>) => ({ ...f, csrf: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
    ],
  ])('refuses a post %s with 403 and writes nothing, even with the right password', async (_what, tamper) => {
    const run = await beginLogin(rp);
    const form = formOf(run.loginPage, /\/login$/);
    const before = { ...(await writableCounts(t.bridge.store.db)), audit: await auditCount() };
    const queries = await legacyLookups(t.bridge);
    const fields = Object.fromEntries(
      Object.entries(tamper(form.fields)).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const page = await run.browser.post(form.action, {
      ...fields,
      identifier: 'ida',
      password: LEGACY_PASSWORD,
    });
    expect(page.status).toBe(403);
    expect(page.html).toContain('This form has expired');
    expect({ ...(await writableCounts(t.bridge.store.db)), audit: await auditCount() }).toEqual(before);
    expect(await legacyLookups(t.bridge)).toBe(queries);
  });

  it('refuses the token of another interaction, which is worth nothing for this one', async () => {
    const mine = await beginLogin(rp);
    const theirs = await beginLogin(rp);
    const form = formOf(mine.loginPage, /\/login$/);
    const foreign = formOf(theirs.loginPage, /\/login$/).fields.csrf!;
    const page = await mine.browser.post(form.action, {
      csrf: foreign,
      identifier: 'ida',
      password: LEGACY_PASSWORD,
    });
    expect(page.status).toBe(403);
  });
});

describe('CSRF on the consent form', () => {
  it('refuses a confirm without or with a wrong token with 403, and grants nothing', async () => {
    const run = await beginLogin(rp);
    const consent = await submitLogin(run, 'jo', LOCAL_PASSWORD);
    const form = formOf(consent, /\/confirm$/);
    const before = await writableCounts(t.bridge.store.db);
    const { csrf: _dropped, ...without } = form.fields;
    for (const fields of [without, { ...form.fields, csrf: 'forged-token-value' }]) {
      const page = await run.browser.post(form.action, fields);
      expect(page.status).toBe(403);
      expect(page.url).not.toContain(REDIRECT_URI);
    }
    expect(await writableCounts(t.bridge.store.db)).toEqual(before);
    // and the genuine form still works afterwards
    const done = await run.browser.post(form.action, form.fields);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
  });
});

describe('an over-long password', () => {
  it('is refused with 400 and a message before any lookup or hashing', async () => {
    const run = await beginLogin(rp);
    const queries = await legacyLookups(t.bridge);
    const verifications = (await t.bridge.metrics.hashVerifySeconds.get()).values.length;
    const audits = await auditCount();
    // 34 euro signs: 34 characters, 102 bytes
    const page = await submitLogin(run, 'ida', '€'.repeat(34));
    expect(page.status).toBe(400);
    expect(page.html).toContain(`longer than the ${MAX_BYTES} characters allowed`);
    expect(await legacyLookups(t.bridge)).toBe(queries);
    expect((await t.bridge.metrics.hashVerifySeconds.get()).values.length).toBe(verifications);
    expect(await auditCount()).toBe(audits);
  });

  it('is checked at exactly max_password_bytes: that many bytes are verified as usual', async () => {
    const run = await beginLogin(rp);
    const queries = await legacyLookups(t.bridge);
    const page = await submitLogin(run, 'ida', 'x'.repeat(MAX_BYTES));
    expect(page.status).toBe(401);
    expect(await legacyLookups(t.bridge)).toBe(queries + 1);
  });
});

describe('cookies', () => {
  it('are all SameSite=Lax and HttpOnly, through a whole login', async () => {
    const seen: string[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
      const res = await original(...args);
      seen.push(...res.headers.getSetCookie());
      return res;
    };
    try {
      await loginThroughBrowser(rp, 'jo', LOCAL_PASSWORD);
    } finally {
      globalThis.fetch = original;
    }
    const names = new Set(seen.map((c) => c.split('=')[0]));
    expect([...names]).toEqual(
      expect.arrayContaining(['_interaction', '_interaction.sig', '_session', '_session.sig']),
    );
    for (const c of seen) {
      expect(c.toLowerCase(), c.split('=')[0]).toContain('samesite=lax');
      expect(c.toLowerCase(), c.split('=')[0]).toContain('httponly');
    }
  });
});

function cspOf(headers: Headers) {
  const csp = headers.get('content-security-policy') ?? '';
  return { csp, nonce: /'nonce-([^']+)'/.exec(csp)?.[1] };
}

describe('security headers on http', () => {
  it('give the login page a CSP whose nonce is the one on its inline tags, framing refused, no caching', async () => {
    const { loginPage } = await beginLogin(rp);
    const { csp, nonce } = cspOf(loginPage.headers);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'nonce-[^']+'/);
    expect(nonce).toBeTruthy();
    const inline = [...loginPage.html.matchAll(/<(?:script|style)\b[^>]*>/g)].map((m) => m[0]);
    expect(inline.length).toBeGreaterThan(0);
    for (const tag of inline) expect(tag).toContain(`nonce="${nonce}"`);
    expect(loginPage.headers.get('x-frame-options')).toBe('DENY');
    expect(loginPage.headers.get('cache-control')).toBe('no-store');
    expect(loginPage.headers.get('x-content-type-options')).toBe('nosniff');
    expect(loginPage.headers.get('strict-transport-security')).toBeNull();
  });

  it("let the login form post only to the bridge and end only at the client's redirect_uri (form-action)", async () => {
    const { loginPage } = await beginLogin(rp);
    const { csp } = cspOf(loginPage.headers);
    expect(csp).toContain(`form-action 'self' ${new URL(REDIRECT_URI).origin}`);
    expect(csp.match(/form-action [^;]*/)?.[0].split(' ')).toHaveLength(3);
  });

  it('give every page a fresh nonce', async () => {
    const a = cspOf((await beginLogin(rp)).loginPage.headers).nonce;
    const b = cspOf((await beginLogin(rp)).loginPage.headers).nonce;
    expect(a).not.toBe(b);
  });

  it('cover error pages and the provider’s own responses too', async () => {
    const error = await new Browser().get(`${t.url}/interaction/not-a-real-uid`);
    expect(error.status).toBe(400);
    expect(cspOf(error.headers).csp).toContain("frame-ancestors 'none'");
    expect(error.headers.get('cache-control')).toBe('no-store');
    const discovery = await fetch(`${t.url}/.well-known/openid-configuration`);
    expect(discovery.headers.get('x-frame-options')).toBe('DENY');
    expect(discovery.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('security headers behind a TLS-terminating proxy, with an https issuer', () => {
  let s: TestBridge;
  const HOST = 'login.bridge.test';
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': HOST };

  beforeAll(async () => {
    s = await startTestBridge({ issuer: `https://${HOST}`, security: { trust_proxy: true } });
    await s.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET });
  });

  afterAll(async () => {
    await s?.close();
  });

  it('send HSTS on the login page and on the provider’s responses, and mark cookies Secure', async () => {
    const discovery = await fetch(`${s.url}/.well-known/openid-configuration`, { headers: forwarded });
    expect(discovery.headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/);
    const meta = (await discovery.json()) as { issuer: string; authorization_endpoint: string };
    expect(meta.issuer).toBe(`https://${HOST}`);

    const auth = new URL(meta.authorization_endpoint);
    const params = new URLSearchParams({
      client_id: 'app',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: REDIRECT_URI,
      code_challenge: oidc.randomPKCECodeVerifier().slice(0, 43),
      code_challenge_method: 'S256',
      state: 'st',
    });
    const start = await fetch(`${s.url}${auth.pathname}?${params}`, {
      headers: forwarded,
      redirect: 'manual',
    });
    expect(start.status).toBe(303);
    const cookies = start.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect(c.toLowerCase()).toContain('secure');
    const location = new URL(start.headers.get('location')!, `https://${HOST}`);
    const page = await fetch(`${s.url}${location.pathname}`, {
      headers: { ...forwarded, cookie: cookies.map((c) => c.split(';')[0]).join('; ') },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}; includeSubDomains/);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});
