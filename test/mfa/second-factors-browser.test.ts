// Second factors in a real browser against a Laravel-shaped legacy table on MariaDB: a user
// whose two_factor_secret Laravel's encrypter sealed (made by php-cli) migrates and is asked
// for a code from that secret, wrong and replayed codes refused; a user without one sets
// up an authenticator app when the client asks for aal2 and gets recovery codes; a passkey
// is created through Chromium's virtual authenticator and then signs in with the legacy
// database cut off. openid-client checks every ID token, and its amr and acr.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcrypt';
import knexPkg from 'knex';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/mfa/totp.ts';
import { legacyLookups } from '../support/bridge.ts';
import { hasChromium, launchChromium } from '../support/chromium.ts';
import { createMariaDatabase, type TestDatabase } from '../support/databases.ts';
import { registerSecret } from '../support/secrets.ts';
import { type TcpProxy, tcpProxy } from '../support/tcp-proxy.ts';
import {
  addVirtualAuthenticator,
  authorization,
  exchange,
  expectAccessible,
  fillPassword,
  type LocalBridge,
  startLocalBridge,
  waitForCallback,
} from './support.ts';

const { knex } = knexPkg;
const PHP_ENCRYPT = fileURLToPath(new URL('./fixtures/laravel-encrypt.php', import.meta.url));
const APP_KEY = registerSecret('key', 'base64:3Q9k0b6m8m5Wc3mJ0w2o1B9y8kq0vHf3c2Yx7Tt6Xx4=');
const TOTP_SECRET = registerSecret('key', 'JBSWY3DPEHPK3PXPKRSXG5CT');
const PASSWORD = registerSecret('password', 'laravel-user-password-1');
const totp = { secret: TOTP_SECRET, digits: 6, period: 30, algorithm: 'SHA1' as const };

let legacyDb: TestDatabase;
let proxy: TcpProxy;
let t: LocalBridge;
let browser: Browser;
let rp: Awaited<ReturnType<LocalBridge['addClient']>>;

beforeAll(async () => {
  if (!hasChromium) return;
  legacyDb = await createMariaDatabase();
  const legacy = knex({ client: 'mysql2', connection: legacyDb.url, pool: { min: 0, max: 1 } });
  const hash = (await bcrypt.hash(PASSWORD, 4)).replace(/^\$2b\$/, '$2y$');
  // What Fortify writes: encrypt($google2fa->generateSecretKey()), serialized, AES-256-CBC.
  const sealed = execFileSync('php', [
    PHP_ENCRYPT,
    APP_KEY,
    'aes-256-cbc',
    TOTP_SECRET,
    'serialize',
  ]).toString();
  try {
    await legacy.schema.createTable('users', (tb) => {
      tb.bigIncrements('id');
      tb.string('name');
      tb.string('email').unique();
      tb.string('password');
      tb.text('two_factor_secret').nullable();
      tb.timestamp('two_factor_confirmed_at').nullable();
    });
    await legacy('users').insert([
      {
        id: 1,
        name: 'Taylor',
        email: 'taylor@example.com',
        password: hash,
        two_factor_secret: sealed,
        two_factor_confirmed_at: new Date(),
      },
      // Set up but never confirmed: Fortify does not ask this user for a code, nor may the bridge.
      {
        id: 2,
        name: 'Una',
        email: 'unconfirmed@example.com',
        password: hash,
        two_factor_secret: sealed,
        two_factor_confirmed_at: null,
      },
      { id: 3, name: 'Jordan', email: 'jordan@example.com', password: hash },
      { id: 4, name: 'Morgan', email: 'morgan@example.com', password: hash },
      { id: 5, name: 'Casey', email: 'casey@example.com', password: hash },
      { id: 6, name: 'Deniz', email: 'deniz@example.com', password: hash },
    ]);
  } finally {
    await legacy.destroy();
  }
  proxy = await tcpProxy(3306);
  const legacyUrl = new URL(legacyDb.url);
  legacyUrl.port = String(proxy.port);
  t = await startLocalBridge({
    ui: { product_name: 'Acme Shop' },
    key_encryption_key: registerSecret('key', 'second-factor-tests-key-encryption-key-0123456789'),
    legacy: {
      connection: legacyUrl.toString(),
      table: 'users',
      identifiers: ['email'],
      columns: {
        id: 'id',
        password: 'password',
        totp_secret: 'two_factor_secret',
        totp_confirmed_at: 'two_factor_confirmed_at',
      },
      totp: { encryption: 'laravel', key: APP_KEY },
      claims: { email: 'email', name: 'name' },
      query_timeout_ms: 1500,
    },
  });
  rp = await t.addClient({ id: 'shop', firstParty: true, name: 'Acme Shop' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await proxy?.close();
  await legacyDb?.drop();
});

async function freshContext(locale = 'en-US'): Promise<{ context: BrowserContext; page: Page }> {
  // axe is injected from outside the pages' CSP.
  const context = await browser.newContext({ bypassCSP: true, locale });
  return { context, page: await context.newPage() };
}

async function enterCode(page: Page, code: string): Promise<void> {
  await page.locator('#code').fill(code);
  await page.locator('form[action$="/second-factor"] button[type=submit]').click();
}

describe.skipIf(!hasChromium)('a TOTP secret carried over from the legacy table', () => {
  /** When the first sign-in below entered its code: the next one reuses that code. */
  let acceptedAt = 0;

  it('migrates the user and asks for a code from that secret; a wrong code is refused', async () => {
    const { context, page } = await freshContext();
    const auth = await authorization(rp);
    await page.goto(auth.url.toString());
    await fillPassword(page, 'taylor@example.com', PASSWORD);
    await page.waitForURL(/\/second-factor$/);
    await expectAccessible(page, 'mfa-code');

    const row = await t.bridge.store.db('account_second_factors').where({ sub: '1' }).first();
    expect(row.totp_source).toBe('legacy');
    expect(row.totp_secret).not.toContain(TOTP_SECRET);

    const wrong = totpCode(totp, Date.now() - 10 * 60_000);
    await enterCode(page, wrong === totpCode(totp) ? '000000' : wrong);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not right');
    await expectAccessible(page, 'mfa-code-wrong');

    acceptedAt = Date.now();
    await enterCode(page, totpCode(totp, acceptedAt));
    const tokens = await exchange(rp, auth, await waitForCallback(page));
    const claims = tokens.claims()!;
    expect(claims.sub).toBe('1');
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe('aal2');
    await context.close();
  });

  it('refuses a code already used, and accepts the next one', async () => {
    const { context, page } = await freshContext();
    const auth = await authorization(rp);
    await page.goto(auth.url.toString());
    await fillPassword(page, 'taylor@example.com', PASSWORD);
    await page.waitForURL(/\/second-factor$/);
    // The code the sign-in above was accepted with, whether or not a new time step began since.
    await enterCode(page, totpCode(totp, acceptedAt));
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('already used');
    expect(page.url()).toMatch(/\/second-factor$/);
    await enterCode(page, totpCode(totp, Date.now() + 30_000));
    const tokens = await exchange(rp, auth, await waitForCallback(page));
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    await context.close();
  });

  it('does not ask for a code when the legacy secret was never confirmed', async () => {
    const { context, page } = await freshContext();
    const auth = await authorization(rp);
    await page.goto(auth.url.toString());
    await fillPassword(page, 'unconfirmed@example.com', PASSWORD);
    const tokens = await exchange(rp, auth, await waitForCallback(page));
    expect(tokens.claims()!.amr).toEqual(['pwd']);
    expect(tokens.claims()!.acr).toBe('aal1');
    expect(await t.bridge.store.db('account_second_factors').where({ sub: '2' }).first()).toBeUndefined();
    await context.close();
  });
});

describe.skipIf(!hasChromium)('enrolment of an authenticator app', () => {
  let recoveryCodes: string[] = [];
  let secret = '';

  it('sets one up when the client asks for aal2, and shows recovery codes once', async () => {
    const { context, page } = await freshContext();
    const auth = await authorization(rp, { acr_values: 'aal2' });
    await page.goto(auth.url.toString());
    await fillPassword(page, 'jordan@example.com', PASSWORD);
    await page.waitForURL(/\/totp-setup$/);
    await page.locator('.qr svg').waitFor();
    await expectAccessible(page, 'mfa-totp-setup');
    secret = registerSecret(
      'key',
      ((await page.locator('#secret-key').textContent()) ?? '').replace(/\s/g, ''),
    );
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    await page.locator('#code').fill('123456' === totpCode({ ...totp, secret }) ? '654321' : '123456');
    await page.locator('form[action$="/totp-setup"] button[type=submit]').click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not right');

    await page.locator('#code').fill(totpCode({ ...totp, secret }));
    await page.locator('form[action$="/totp-setup"] button[type=submit]').click();
    await page.locator('#recovery-codes').waitFor();
    recoveryCodes = await page.locator('#recovery-codes li').allTextContents();
    for (const c of recoveryCodes) registerSecret('token', c);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    await expectAccessible(page, 'mfa-recovery-codes');

    const stored = await t.bridge.store.db('account_recovery_codes').where({ sub: '3' }).select('digest');
    expect(stored).toHaveLength(10);
    const dump = JSON.stringify(await t.bridge.store.db('account_recovery_codes').select());
    for (const c of recoveryCodes) {
      expect(dump).not.toContain(c);
      expect(dump).not.toContain(c.replace(/-/g, ''));
    }

    await page.locator('input[name=saved]').check();
    await page.locator('form[action$="/continue"] button[type=submit]').click();
    const tokens = await exchange(rp, auth, await waitForCallback(page));
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(tokens.claims()!.acr).toBe('aal2');
    await context.close();
  });

  it('asks the enrolled user for a code at every sign-in, and takes a recovery code once', async () => {
    const { context, page } = await freshContext('tr-TR');
    const auth = await authorization(rp);
    await page.goto(auth.url.toString());
    await fillPassword(page, 'jordan@example.com', PASSWORD);
    await page.waitForURL(/\/second-factor$/);
    expect(await page.locator('h1').textContent()).toBe('İki adımlı doğrulama');
    await expectAccessible(page, 'mfa-code-tr');
    await enterCode(page, recoveryCodes[0]!.toUpperCase());
    const tokens = await exchange(rp, auth, await waitForCallback(page));
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    await context.close();

    const again = await freshContext();
    const auth2 = await authorization(rp);
    await again.page.goto(auth2.url.toString());
    await fillPassword(again.page, 'jordan@example.com', PASSWORD);
    await again.page.waitForURL(/\/second-factor$/);
    await enterCode(again.page, recoveryCodes[0]!);
    await expect.poll(() => again.page.getByRole('alert').textContent()).toContain('not right');
    await again.context.close();
  });

  it('pauses code checks after too many wrong codes', async () => {
    const { context, page } = await freshContext();
    const auth = await authorization(rp);
    await page.goto(auth.url.toString());
    await fillPassword(page, 'jordan@example.com', PASSWORD);
    await page.waitForURL(/\/second-factor$/);
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && r.url().endsWith('/second-factor')) statuses.push(r.status());
    });
    for (let i = 0; i < 6; i++) {
      await enterCode(page, `99999${i}` === totpCode({ ...totp, secret }) ? '888888' : `99999${i}`);
      await page.locator('#form-error').waitFor();
    }
    // The right code now waits too: the throttle does not tell right from wrong.
    await enterCode(page, totpCode({ ...totp, secret }, Date.now() + 30_000));
    await page.locator('#form-error').waitFor();
    await expect.poll(() => statuses.length).toBe(7);
    // The used recovery code entered in the test before was this account's first wrong code.
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429]);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Too many wrong codes');
    await context.close();
  });
});

describe.skipIf(!hasChromium)('a client that requires a second factor', () => {
  it('asks a session signed in with a password for the second step only, when the client was added with --require-mfa', async () => {
    const bank = await t.addClient({ id: 'bank', firstParty: true, requireMfa: true });
    const { context, page } = await freshContext();
    const first = await authorization(rp);
    await page.goto(first.url.toString());
    await fillPassword(page, 'unconfirmed@example.com', PASSWORD);
    expect((await exchange(rp, first, await waitForCallback(page))).claims()!.amr).toEqual(['pwd']);

    // Same browser session, a client that needs aal2: no password again, the enrolment at once.
    const second = await authorization(bank);
    await page.goto(second.url.toString());
    await page.waitForURL(/\/totp-setup$/);
    const secret = ((await page.locator('#secret-key').textContent()) ?? '').replace(/\s/g, '');
    registerSecret('key', secret);
    await page.locator('#code').fill(totpCode({ ...totp, secret }));
    await page.locator('form[action$="/totp-setup"] button[type=submit]').click();
    await page.locator('input[name=saved]').check();
    await page.locator('form[action$="/continue"] button[type=submit]').click();
    const tokens = await exchange(bank, second, await waitForCallback(page));
    expect(tokens.claims()!.sub).toBe('2');
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(tokens.claims()!.acr).toBe('aal2');
    await context.close();
  });
});

describe.skipIf(!hasChromium)('passkeys', () => {
  it('offers one after a password sign-in, creates it, and then signs in with it while the legacy database is down', async () => {
    const { context, page } = await freshContext();
    const authenticator = await addVirtualAuthenticator(page);
    const auth = await authorization(rp);
    await page.goto(auth.url.toString());
    await page.waitForFunction("document.getElementById('passkey-capable')?.value === '1'");
    await page.locator('#passkey-button').waitFor({ state: 'visible' });
    await expectAccessible(page, 'login-with-passkey');
    await fillPassword(page, 'morgan@example.com', PASSWORD);
    await page.waitForURL(/\/passkey$/);
    await expectAccessible(page, 'passkey-offer');
    await page.locator('#passkey-button').click();
    const first = await exchange(rp, auth, await waitForCallback(page));
    expect(first.claims()!.amr).toEqual(['pwd']);
    expect(await authenticator.credentials()).toBe(1);
    expect(await t.bridge.store.db('account_passkeys').where({ sub: '4' }).count({ n: '*' }).first()).toEqual(
      { n: 1 },
    );

    await proxy.stop();
    try {
      const queriesBefore = await legacyLookups(t.bridge);
      await context.clearCookies();
      const auth2 = await authorization(rp);
      await page.goto(auth2.url.toString());
      await page.locator('#passkey-button').click();
      const second = await exchange(rp, auth2, await waitForCallback(page));
      expect(second.claims()!.sub).toBe('4');
      expect(second.claims()!.amr).toEqual(['hwk', 'user', 'mfa']);
      expect(second.claims()!.acr).toBe('aal2');
      expect(await legacyLookups(t.bridge)).toBe(queriesBefore);
      expect(
        await t.bridge.store.db('audit_events').where({ type: 'login', reason: 'passkey', sub: '4' }).first(),
      ).toBeTruthy();
    } finally {
      await proxy.start();
    }
    await context.close();
  });

  it('does not offer a passkey again to a user who declined it', async () => {
    const { context, page } = await freshContext();
    await addVirtualAuthenticator(page);
    const auth = await authorization(rp);
    await page.goto(auth.url.toString());
    await page.waitForFunction("document.getElementById('passkey-capable')?.value === '1'");
    await fillPassword(page, 'casey@example.com', PASSWORD);
    await page.waitForURL(/\/passkey$/);
    await page.locator('#passkey-skip').click();
    await exchange(rp, auth, await waitForCallback(page));

    await context.clearCookies();
    const auth2 = await authorization(rp);
    await page.goto(auth2.url.toString());
    await page.waitForFunction("document.getElementById('passkey-capable')?.value === '1'");
    await fillPassword(page, 'casey@example.com', PASSWORD);
    const tokens = await exchange(rp, auth2, await waitForCallback(page));
    expect(tokens.claims()!.amr).toEqual(['pwd']);
    await context.close();
  });
});

describe.skipIf(!hasChromium)('the new pages in Turkish', () => {
  it('sets up an app, shows recovery codes and offers a passkey in Turkish, each page accessible', async () => {
    const { context, page } = await freshContext('tr-TR');
    await addVirtualAuthenticator(page);
    const auth = await authorization(rp, { acr_values: 'aal2' });
    await page.goto(auth.url.toString());
    await page.waitForFunction("document.getElementById('passkey-capable')?.value === '1'");
    expect(await page.locator('#passkey-button').textContent()).toBe('Geçiş anahtarı kullan');
    await fillPassword(page, 'deniz@example.com', PASSWORD);
    await page.waitForURL(/\/totp-setup$/);
    expect(await page.locator('h1').textContent()).toBe('İki adımlı doğrulamayı kurun');
    await expectAccessible(page, 'mfa-totp-setup-tr');
    const secret = registerSecret(
      'key',
      ((await page.locator('#secret-key').textContent()) ?? '').replace(/\s/g, ''),
    );
    await page.locator('#code').fill(totpCode({ ...totp, secret }));
    await page.locator('form[action$="/totp-setup"] button[type=submit]').click();
    await page.locator('#recovery-codes').waitFor();
    for (const c of await page.locator('#recovery-codes li').allTextContents()) registerSecret('token', c);
    expect(await page.locator('h1').textContent()).toBe('Kurtarma kodlarınızı kaydedin');
    await expectAccessible(page, 'mfa-recovery-codes-tr');
    await page.locator('input[name=saved]').check();
    await page.locator('form[action$="/continue"] button[type=submit]').click();
    await page.waitForURL(/\/passkey$/);
    expect(await page.locator('h1').textContent()).toBe('Bir dahaki sefere daha hızlı giriş yapın');
    await expectAccessible(page, 'passkey-offer-tr');
    await page.locator('#passkey-skip').click();
    const tokens = await exchange(rp, auth, await waitForCallback(page));
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(tokens.claims()!.acr).toBe('aal2');
    await context.close();
  });
});
