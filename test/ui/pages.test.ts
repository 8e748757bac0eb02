// Small things a new user meets on the pages: an expired sign-in says so once and links back
// to the application, a lockout names its wait in the language's own plural, the login name
// label can be set, and the consent page says who is signed in, with a way to switch.
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { retryWait } from '../../src/ui/i18n.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { beginLogin, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';

const SECRET = 'pages-client-secret-5512';
const PASSWORD = 'pages-password-5512';
let t: TestBridge;
let rp: oidc.Configuration;

beforeAll(async () => {
  t = await startTestBridge({ ui: { identifier_label: { en: 'Email address', tr: 'E-posta adresi' } } });
  // Not first-party: the consent page is shown.
  await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET });
  rp = await relyingParty(t.url, 'app', SECRET);
  const db = t.bridge.store.db;
  await db.transaction(async (trx) =>
    createAccounts(db).insert(trx, {
      sub: 'p1',
      passwordHash: await hashBridgePassword(PASSWORD),
      claims: { email: 'pia@pages.example' },
      source: 'local',
      identifiers: ['pia@pages.example'],
    }),
  );
});

afterAll(async () => {
  await t?.close();
});

describe('an expired sign-in page', () => {
  it('says its sentence once and links back to the application', async () => {
    const run = await beginLogin(rp);
    await t.bridge.store.db('oidc_payloads').where({ type: 'Interaction' }).delete();
    const page = await submitLogin(run, 'pia@pages.example', PASSWORD);
    expect(page.status).toBe(400);
    expect(page.html.match(/took too long/g)).toHaveLength(1);
    expect(page.html.match(/start again/g)).toHaveLength(1);
    expect(page.html).toContain('href="http://127.0.0.1:8080"');
  });
});

describe('the lockout wait', () => {
  it('uses the plural of the language, never "minute(s)"', () => {
    expect(retryWait('en', 30).wait).toBe('1 minute');
    expect(retryWait('en', 300).wait).toBe('5 minutes');
    expect(retryWait('tr', 60).wait).toBe('1 dakika');
    expect(retryWait('tr', 300).wait).toBe('5 dakika');
  });
});

describe('the login page', () => {
  it('labels the login name field as configured, per language', async () => {
    const en = await beginLogin(rp);
    expect(en.loginPage.html).toContain('<label for="identifier">Email address</label>');
    expect(en.loginPage.html).not.toContain('Username or email');
    const tr = await beginLogin(rp, { ui_locales: 'tr' });
    expect(tr.loginPage.html).toContain('<label for="identifier">E-posta adresi</label>');
  });
});

describe('the consent page', () => {
  it('says who is signed in, and "Not you?" starts the same request with a fresh login', async () => {
    const run = await beginLogin(rp);
    const consent = await submitLogin(run, 'pia@pages.example', PASSWORD);
    expect(consent.html).toContain('/confirm');
    expect(consent.html).toContain('Signed in as pia@pages.example.');
    const link = /<a href="([^"]+)">Not you\?<\/a>/.exec(consent.html)?.[1]?.replaceAll('&amp;', '&');
    expect(link).toBeDefined();
    const url = new URL(link!, t.url);
    expect(url.pathname).toBe('/auth');
    expect(url.searchParams.get('prompt')).toBe('login');
    expect(url.searchParams.get('client_id')).toBe('app');
    const login = await run.browser.get(url.toString());
    expect(login.status).toBe(200);
    expect(login.html).toContain('name="password"');
  });
});
