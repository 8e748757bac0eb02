// axe-core on every page a person can meet at the bridge (login, login with errors, consent,
// logout, signed out, error) and on the demo application's own pages, in a real browser:
// no violation of serious or critical impact. A light brand colour is configured on purpose,
// since white text on it would fail the contrast rules.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDemo } from '../../src/demo/start-demo.ts';
import {
  axeViolations,
  describeViolations,
  hasChromium,
  launchChromium,
  screenshot,
} from '../support/chromium.ts';
import { openLogin, signInThroughDemo, startUiDemo, submitLogin, unknownClientUrl } from './support.ts';

let demo: RunningDemo;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  if (!hasChromium) return;
  demo = await startUiDemo({
    product_name: 'Acme Market',
    primary_color: '#ffcc00',
    forgot_password_url: 'https://acme.example/forgot',
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

async function freshPage(locale = 'en-US'): Promise<Page> {
  await context?.close();
  // The pages' CSP admits nonce'd scripts only; axe is injected from outside.
  context = await browser.newContext({ bypassCSP: true, locale });
  return context.newPage();
}

async function expectAccessible(page: Page, name: string): Promise<void> {
  const violations = await axeViolations(page);
  await screenshot(page, `a11y-${name}`);
  expect(violations, describeViolations(violations)).toEqual([]);
}

describe.skipIf(!hasChromium)('accessibility (axe-core, serious and critical)', () => {
  it('finds nothing on the login page', async () => {
    const page = await freshPage();
    await openLogin(page, demo);
    await expectAccessible(page, 'login');
  });

  it('finds nothing on the login page showing a wrong password', async () => {
    const page = await freshPage();
    await openLogin(page, demo);
    await submitLogin(page, 'ayse', 'wrong password');
    await page.getByRole('alert').waitFor();
    await expectAccessible(page, 'login-wrong-password');
  });

  it('finds nothing on the login page showing errors on its fields', async () => {
    const page = await freshPage();
    await openLogin(page, demo);
    await submitLogin(page, '', '');
    await page.locator('#identifier-error').waitFor();
    await expectAccessible(page, 'login-field-errors');
  });

  it('finds nothing on the Turkish login page', async () => {
    const page = await freshPage('tr-TR');
    await openLogin(page, demo);
    await expectAccessible(page, 'login-tr');
  });

  it('finds nothing on the consent page', async () => {
    const page = await freshPage();
    await openLogin(page, demo, '?app=partner');
    await submitLogin(page, 'zeynep', 'demo-sha1');
    await page.waitForURL(/\/interaction\//);
    await page.locator('form[action$="/confirm"]').waitFor();
    await expectAccessible(page, 'consent');
  });

  it('finds nothing on the logout page and the signed-out page', async () => {
    const page = await freshPage();
    await signInThroughDemo(page, demo, 'mehmet', 'demo-md5');
    await page.goto(`${demo.bridgeUrl}/session/end`);
    await expectAccessible(page, 'logout');
    await page.locator('button[name=logout]').click();
    await page.getByRole('status').waitFor();
    await expectAccessible(page, 'logged-out');
  });

  it('finds nothing on the error page', async () => {
    const page = await freshPage();
    await page.goto(unknownClientUrl(demo));
    await expectAccessible(page, 'error');
  });

  it('finds nothing on the demo application’s start and result pages', async () => {
    const page = await freshPage();
    await page.goto(demo.rpUrl);
    await expectAccessible(page, 'demo-start');
    await signInThroughDemo(page, demo, 'can', 'demo-sha256');
    await expectAccessible(page, 'demo-result');
  });
});
