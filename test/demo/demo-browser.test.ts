// The zero-configuration demo as a person meets it: the real `oidc-bridge demo` command,
// started with no config file and no database, and headless Chromium clicking through the
// demo page, the bridge's login form and back, for users of several legacy hash formats.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/bridge.ts';
import { hasChromium, launchChromium, screenshot } from '../support/chromium.ts';
import { startBin } from '../support/cli.ts';

// Nothing that could point the demo at a database or a configuration file.
const NO_DATABASE: NodeJS.ProcessEnv = {
  OIDC_BRIDGE_CONFIG: undefined,
  OIDC_BRIDGE_KEY: undefined,
  DATABASE_URL: undefined,
  PGHOST: undefined,
  PGDATABASE: undefined,
  TEST_PG_URL: undefined,
  TEST_MARIADB_URL: undefined,
  TEST_STORE_URL: undefined,
  LOG_LEVEL: 'info',
};

let demo: Awaited<ReturnType<typeof startBin>>;
let browser: Browser;
let cwd: string;
let bridgeUrl: string;
let rpUrl: string;

beforeAll(async () => {
  const [port, rpPort, targetPort] = [await freePort(), await freePort(), await freePort()];
  cwd = mkdtempSync(join(tmpdir(), 'obt-demo-'));
  demo = await startBin(
    ['demo', '--port', String(port), '--rp-port', String(rpPort), '--target-port', String(targetPort)],
    /Open http:\/\/\S+ and log in/,
    { env: NO_DATABASE, cwd, timeoutMs: 120_000 },
  );
  bridgeUrl = `http://localhost:${port}`;
  rpUrl = `http://localhost:${rpPort}`;
  if (hasChromium) browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (demo && demo.child.exitCode === null) {
    demo.child.kill('SIGTERM');
    await demo.exited;
  }
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

async function signIn(page: Page, identifier: string, password: string): Promise<void> {
  await page.getByLabel('Username or email').fill(identifier);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The delivery happens in the background: reload the result page until it shows an outcome. */
async function deliveryStatus(page: Page): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = (await page.locator('#delivery-status').textContent())?.trim() ?? '';
    if (status !== 'pending' || Date.now() > deadline) return status;
    await page.waitForTimeout(500);
    await page.reload();
  }
}

describe('oidc-bridge demo', () => {
  it('starts with no configuration and prints the users, their passwords and the URL to open', () => {
    const out = demo.output();
    expect(out).toContain(`Open ${rpUrl} and log in as ayse with password demo-bcrypt`);
    for (const text of [
      'demo-bcrypt',
      'demo-md5',
      'demo-sha1',
      'demo-sha256',
      'demo-django',
      'bcrypt $2y$',
      'pbkdf2_sha256',
    ]) {
      expect(out).toContain(text);
    }
    expect(out).not.toMatch(/\$2y\$10\$[./A-Za-z0-9]{53}/);
  });

  describe.skipIf(!hasChromium)('in a browser', () => {
    it('logs the bcrypt user in from the demo page, and shows their claims, migration and delivery', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(rpUrl);
        await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('Log in');
        await screenshot(page, 'demo-start');

        await page.getByRole('link', { name: 'Log in', exact: true }).click();
        await page.waitForURL(`${bridgeUrl}/interaction/**`);
        await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in');
        await screenshot(page, 'login');

        await signIn(page, 'ayse', 'not-her-password');
        await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong username or password.');
        await expect(page.getByLabel('Username or email').inputValue()).resolves.toBe('ayse');
        await screenshot(page, 'login-error');

        await page.getByLabel('Password', { exact: true }).fill('demo-bcrypt');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(`${rpUrl}/me`);
        await expect(page.locator('#claim-given_name').textContent()).resolves.toBe('Ayşe');
        await expect(page.locator('#claim-email').textContent()).resolves.toBe('ayse.yilmaz@example.com');
        await expect(page.locator('#userinfo-family_name').textContent()).resolves.toBe('Yılmaz');
        await expect(page.locator('#migration-source').textContent()).resolves.toBe('legacy');
        await expect(page.locator('#legacy-scheme').textContent()).resolves.toBe('bcrypt');
        await expect(page.locator('#migrated-at').textContent()).resolves.toMatch(
          /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
        );

        expect(await deliveryStatus(page)).toBe('delivered');
        const held = (await page.locator('#target-user').textContent()) ?? '';
        expect(JSON.parse(held)).toMatchObject({
          customer_code: '28801',
          email: 'ayse.yilmaz@example.com',
          first_name: 'Ayşe',
          password_algorithm: 'sha256',
        });
        expect(JSON.parse(held)).not.toHaveProperty('password');
        await screenshot(page, 'result');

        await page.getByRole('button', { name: 'Log out' }).click();
        await page.waitForURL(`${bridgeUrl}/session/end**`);
        await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign out');
        await screenshot(page, 'logout');
        await page.getByRole('button', { name: 'Yes, sign me out' }).click();
        await page.waitForURL(`${rpUrl}/signed-out`);
        await expect(page.getByRole('status').textContent()).resolves.toContain('You are signed out');
        await screenshot(page, 'demo-signed-out');
      } finally {
        await context.close();
      }
    });

    it('shows the bridge’s own signed-out page when the session is ended at the bridge', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(`${rpUrl}/login`);
        await signIn(page, 'ayse.yilmaz@example.com', 'demo-bcrypt');
        await page.waitForURL(`${rpUrl}/me`);
        // Now a migrated user: the bridge checks its own hash and leaves the legacy row alone.
        await expect(page.locator('#migration-source').textContent()).resolves.toBe('legacy');

        await page.goto(`${bridgeUrl}/session/end`);
        await page.getByRole('button', { name: 'Yes, sign me out' }).click();
        await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Signed out');
        await expect(page.getByRole('status').textContent()).resolves.toBe('You have been signed out.');
        await screenshot(page, 'logged-out');
      } finally {
        await context.close();
      }
    });

    it.each([
      {
        who: 'the md5 user',
        identifier: 'mehmet',
        password: 'demo-md5',
        given: 'Mehmet',
        scheme: 'md5(password)',
      },
      {
        who: 'the Django user',
        identifier: 'elif.sahin@example.com',
        password: 'demo-django',
        given: 'Elif',
        scheme: 'django_pbkdf2',
      },
      {
        who: 'the salted sha256 user',
        identifier: 'can',
        password: 'demo-sha256',
        given: 'Can',
        scheme: 'sha256(password + salt)',
      },
    ])(
      'logs in $who, migrated from their own hash scheme and delivered',
      async ({ identifier, password, given, scheme }) => {
        const context = await browser.newContext();
        const page = await context.newPage();
        try {
          await page.goto(rpUrl);
          await page.getByRole('link', { name: 'Log in', exact: true }).click();
          await signIn(page, identifier, password);
          await page.waitForURL(`${rpUrl}/me`);
          await expect(page.locator('#claim-given_name').textContent()).resolves.toBe(given);
          await expect(page.locator('#legacy-scheme').textContent()).resolves.toBe(scheme);
          expect(await deliveryStatus(page)).toBe('delivered');
        } finally {
          await context.close();
        }
      },
    );

    it('asks for consent when a third-party application signs a user in', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(rpUrl);
        await page.getByRole('link', { name: /third-party app/ }).click();
        await signIn(page, 'zeynep', 'demo-sha1');
        await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Allow access');
        await expect(page.locator('main').textContent()).resolves.toContain('Partner App');
        await screenshot(page, 'consent');
        await page.getByRole('button', { name: 'Allow' }).click();
        await page.waitForURL(`${rpUrl}/me`);
        await expect(page.locator('#claim-given_name').textContent()).resolves.toBe('Zeynep');
        await expect(page.locator('#legacy-scheme').textContent()).resolves.toBe('sha1(salt + password)');
      } finally {
        await context.close();
      }
    });

    it('brings a person who cancels the sign-in back to the application, told that nothing changed', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(`${rpUrl}/login`);
        await page.getByRole('button', { name: 'Cancel' }).click();
        await page.waitForURL(`${rpUrl}/callback**`);
        await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
          'Sign-in cancelled',
        );
        await expect(page.getByRole('status').textContent()).resolves.toContain('access_denied');
        await screenshot(page, 'demo-cancelled');
      } finally {
        await context.close();
      }
    });

    it('shows a clear error page, not a stack trace, for an unknown client', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        const url = new URL(`${bridgeUrl}/auth`);
        url.search = new URLSearchParams({
          client_id: 'no-such-app',
          response_type: 'code',
          scope: 'openid',
          redirect_uri: `${rpUrl}/callback`,
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        }).toString();
        const response = await page.goto(url.toString());
        expect(response?.status()).toBe(400);
        await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
          'Something went wrong',
        );
        const text = (await page.locator('main').textContent()) ?? '';
        expect(text).toContain('invalid_client');
        expect(text).not.toMatch(/at .+\.(ts|js):\d+/);
        await screenshot(page, 'error-unknown-client');
      } finally {
        await context.close();
      }
    });

    // Last in the browser, since the reset changes the Django user's password used above.
    it('lets a newcomer reset a password: the e-mail shows on the mailbox page, and the reset migrates', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(rpUrl);
        await page.getByRole('link', { name: 'Log in', exact: true }).click();
        await page.getByRole('link', { name: 'Forgot password?' }).click();
        await page.getByLabel('Username or email').fill('elif');
        await page.getByRole('button', { name: 'Send reset link' }).click();
        await page.getByRole('heading', { name: 'Check your email' }).waitFor();

        const mailbox = await context.newPage();
        const deadline = Date.now() + 20_000;
        await mailbox.goto(`${rpUrl}/mailbox`);
        while ((await mailbox.getByRole('link', { name: 'Open the reset link' }).count()) === 0) {
          if (Date.now() > deadline) throw new Error('no e-mail on the mailbox page');
          await mailbox.waitForTimeout(300);
          await mailbox.reload();
        }
        await expect(mailbox.locator('main').textContent()).resolves.toContain(
          'Reset your Demo Shop password',
        );
        await screenshot(mailbox, 'demo-mailbox');
        const link = await mailbox.getByRole('link', { name: 'Open the reset link' }).getAttribute('href');
        await mailbox.close();

        await page.goto(link!);
        await page.getByLabel('New password', { exact: true }).fill('Lilac-Ferry-Compass-64');
        await page.getByLabel('New password, again').fill('Lilac-Ferry-Compass-64');
        await page.getByRole('button', { name: 'Set new password' }).click();
        await page.waitForURL(`${rpUrl}/me`);
        await expect(page.locator('#claim-email_verified').textContent()).resolves.toBe('true');
        await expect(page.locator('#migration-source').textContent()).resolves.toBe('legacy');
      } finally {
        await context.close();
      }
    });
  });

  it('stops cleanly, with exit code 0, on SIGTERM', async () => {
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toContain('oidc-bridge demo: stopped.');
  });
});
