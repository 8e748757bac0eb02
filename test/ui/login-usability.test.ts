// The login pages as people use them, in a real browser: errors tied to their fields, the
// keyboard alone, a phone screen, the operator's branding from `ui:`, the forgot-password
// link, and English or Turkish chosen by ui_locales or by the browser's language.
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_LOGO, type RunningDemo } from '../../src/demo/start-demo.ts';
import { hasChromium, launchChromium, screenshot, scrollsSideways } from '../support/chromium.ts';
import { openLogin, signInThroughDemo, startUiDemo, submitLogin, unknownClientUrl } from './support.ts';

const BRAND = {
  product_name: 'Acme Market',
  primary_color: '#8a1c7c',
  forgot_password_url: 'https://acme.example/forgot',
};

let demo: RunningDemo;
let browser: Browser;
let context: BrowserContext | undefined;

beforeAll(async () => {
  if (!hasChromium) return;
  demo = await startUiDemo({ ...BRAND, logo_url: DEMO_LOGO });
  browser = await launchChromium();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await demo?.stop();
});

async function freshPage(options: BrowserContextOptions = {}): Promise<Page> {
  await context?.close();
  context = await browser.newContext({ locale: 'en-US', ...options });
  return context.newPage();
}

const focusedId = (page: Page) => page.evaluate('document.activeElement && document.activeElement.id');
// Chromium moves the focus to an `autofocus` field at its next rendering step, which can come
// after the load event on a busy machine: a freshly loaded page is given a few seconds for it.
const autofocused = (page: Page) => expect.poll(() => focusedId(page), { timeout: 5000 });
const focusedText = (page: Page) =>
  page.evaluate('document.activeElement && document.activeElement.textContent.trim()');
const styleOf = (page: Page, selector: string, property: string) =>
  page.evaluate(
    `getComputedStyle(document.querySelector(${JSON.stringify(selector)}))[${JSON.stringify(property)}]`,
  );

describe.skipIf(!hasChromium)('the login page', () => {
  it('ties each field error to its field, and puts the cursor on the first one', async () => {
    const page = await freshPage();
    await openLogin(page, demo);
    await submitLogin(page, '', '');
    const identifier = page.locator('#identifier');
    await expect(identifier.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(identifier.getAttribute('aria-describedby')).resolves.toBe('identifier-error');
    await expect(page.locator('#identifier-error').textContent()).resolves.toBe(
      'Enter your username or email.',
    );
    const password = page.locator('#password');
    await expect(password.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(password.getAttribute('aria-describedby')).resolves.toBe('password-error');
    await expect(page.locator('#password-error').textContent()).resolves.toBe('Enter your password.');
    await autofocused(page).toBe('identifier');
    expect(await page.title()).toMatch(/^Error: Sign in/);
  });

  it('describes both fields by the wrong-password message, keeps the username and focuses the password', async () => {
    const page = await freshPage();
    await openLogin(page, demo);
    await submitLogin(page, 'ayse', 'not it');
    await expect(page.locator('#form-error').textContent()).resolves.toBe('Wrong username or password.');
    await expect(page.locator('#identifier').getAttribute('aria-describedby')).resolves.toBe('form-error');
    await expect(page.locator('#password').getAttribute('aria-describedby')).resolves.toBe('form-error');
    await expect(page.locator('#identifier').inputValue()).resolves.toBe('ayse');
    await autofocused(page).toBe('password');
  });

  it('can be used with the keyboard alone: fields, options and buttons in reading order, Enter submits', async () => {
    const page = await freshPage();
    await openLogin(page, demo);
    await autofocused(page).toBe('identifier');
    const order: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      order.push((await focusedId(page)) || (await focusedText(page)));
    }
    // The passkey button shows where the browser speaks WebAuthn, as Chromium does.
    expect(order).toEqual([
      'password',
      'show-password',
      'Sign in',
      'Forgot password?',
      'passkey-button',
      'Cancel',
    ]);

    for (let i = 0; i < 6; i++) await page.keyboard.press('Shift+Tab');
    expect(await focusedId(page)).toBe('identifier');
    await page.keyboard.type('ayse');
    await page.keyboard.press('Tab');
    await page.keyboard.type('demo-bcrypt');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${demo.rpUrl}/me`);
    await expect(page.locator('#claim-given_name').textContent()).resolves.toBe('Ayşe');
  });

  it('shows the password on request, and never submits it as visible text', async () => {
    const page = await freshPage();
    await openLogin(page, demo);
    await page.locator('#password').fill('secret');
    await page.getByLabel('Show password').check();
    await expect(page.locator('#password').getAttribute('type')).resolves.toBe('text');
    await page.getByLabel('Show password').uncheck();
    await expect(page.locator('#password').getAttribute('type')).resolves.toBe('password');
  });

  it('fits a phone screen (375×667) without sideways scrolling', async () => {
    const page = await freshPage({
      viewport: { width: 375, height: 667 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    await openLogin(page, demo);
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'phone-login');
    await submitLogin(page, 'elif', 'wrong');
    await page.locator('#form-error').waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'phone-login-error');
    await page.goto(unknownClientUrl(demo));
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'phone-error');
    await page.goto(demo.rpUrl);
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'phone-demo-start');
    await signInThroughDemo(page, demo, 'elif', 'demo-django');
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'phone-demo-result');
  });

  it('shows the product name, the logo and the colour configured under ui:', async () => {
    const page = await freshPage();
    await openLogin(page, demo);
    expect(await page.title()).toBe('Sign in · Acme Market');
    await expect(page.locator('header.brand').textContent()).resolves.toContain('Acme Market');
    await expect(page.locator('header.brand img').getAttribute('src')).resolves.toBe(DEMO_LOGO);
    const button = 'form[action$="/login"] button[type=submit]';
    expect(await styleOf(page, button, 'backgroundColor')).toBe('rgb(138, 28, 124)');
    expect(await styleOf(page, button, 'color')).toBe('rgb(255, 255, 255)');
    expect(await styleOf(page, '.links a', 'color')).toBe('rgb(138, 28, 124)');
    await screenshot(page, 'branded-login');
  });

  it('links "Forgot password?" to ui.forgot_password_url', async () => {
    const page = await freshPage();
    await openLogin(page, demo);
    await expect(page.getByRole('link', { name: 'Forgot password?' }).getAttribute('href')).resolves.toBe(
      BRAND.forgot_password_url,
    );
  });

  it('speaks Turkish when the relying party asks with ui_locales', async () => {
    const page = await freshPage({ locale: 'en-US' });
    await openLogin(page, demo, '?lang=tr');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('tr');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Giriş yap');
    await expect(page.getByLabel('Kullanıcı adı veya e-posta').count()).resolves.toBe(1);
    await expect(page.getByRole('link', { name: 'Parolanızı mı unuttunuz?' }).count()).resolves.toBe(1);
    await submitLogin(page, 'ayse', 'yanlış');
    await expect(page.locator('#form-error').textContent()).resolves.toBe(
      'Kullanıcı adı veya parola hatalı.',
    );
    await screenshot(page, 'login-tr-error');
  });

  it('speaks Turkish when the browser’s language is Turkish, and English when it is English', async () => {
    const tr = await freshPage({ locale: 'tr-TR' });
    await openLogin(tr, demo);
    await expect(tr.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Giriş yap');
    await expect(tr.getByLabel('Parola', { exact: true }).count()).resolves.toBe(1);

    const en = await freshPage({ locale: 'en-GB' });
    await openLogin(en, demo);
    await expect(en.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in');
    await expect(en.locator('html').getAttribute('lang')).resolves.toBe('en');
  });
});
