// The operator console in a real browser: an operator logs in through the bridge, looks at
// every page over thirty days of seeded history (screenshots in test-results/screenshots/),
// axe finds no serious or critical violation, and a re-queue goes through its confirmation.
// With JavaScript off, the pages and their actions work the same.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  describeViolations,
  hasChromium,
  launchChromium,
  screenshot,
} from '../support/chromium.ts';
import { type ConsoleFixture, startConsoleFixture, USERS } from './support.ts';

let f: ConsoleFixture;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  if (!hasChromium) return;
  f = await startConsoleFixture({ seed: true });
  browser = await launchChromium();
  // axe is injected from outside the pages' CSP; JavaScript stays off for the pages themselves
  // in the second context below.
  context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await f?.close();
});

async function signIn(p: Page, name: keyof typeof USERS): Promise<void> {
  await p.goto(`${f.admin.url}/console/progress`);
  await p.waitForURL(/\/interaction\//);
  await p.locator('#identifier').fill(name);
  await p.locator('#password').fill(USERS[name].password);
  await p.locator('form[action$="/login"] button[type=submit]').click();
}

async function expectAccessible(p: Page, name: string): Promise<void> {
  const violations = await axeViolations(p);
  await screenshot(p, `console-${name}`);
  expect(violations, describeViolations(violations)).toEqual([]);
}

describe.skipIf(!hasChromium)('the operator console in Chromium', () => {
  it('signs an operator in through the bridge and shows the Progress page', async () => {
    await signIn(page, 'opal');
    await page.waitForURL(`${f.admin.url}/console/progress`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Migration progress');
    await expect(page.locator('svg[role=img]').count()).resolves.toBe(2);
    await expect(page.getByText('When can the legacy database go?').count()).resolves.toBe(1);
    await expectAccessible(page, 'progress');
  });

  it('shows the Delivery page with the failures grouped by reason', async () => {
    await page.getByRole('link', { name: 'Delivery' }).click();
    await page.waitForURL(`${f.admin.url}/console/delivery`);
    const rows = page.locator('section[aria-labelledby=failures-h] tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(4);
    await expect(page.getByText('phone must be 5XXXXXXXXX or null').count()).resolves.toBe(1);
    await expectAccessible(page, 'delivery');
  });

  it('re-queues the failed jobs of one reason through the confirmation page', async () => {
    const db = f.t.bridge.store.db;
    const before = Number(
      (await db('outbox').where({ status: 'failed', last_reason: 'rejected' }).count({ n: '*' }).first())!.n,
    );
    expect(before).toBeGreaterThan(0);
    await page.locator('a[href*="action=retry"][href*="reason=rejected"]').click();
    await page.waitForURL(/\/console\/delivery\/confirm/);
    await expectAccessible(page, 'confirm');
    await page.getByRole('button', { name: 'Re-queue' }).click();
    await page.waitForURL(/\/console\/delivery\?done=/);
    await expect(page.getByRole('status').textContent()).resolves.toContain(`Re-queued ${before} jobs.`);
    expect(
      await db('outbox').where({ status: 'failed', last_reason: 'rejected' }).count({ n: '*' }).first(),
    ).toMatchObject({ n: 0 });
    const [event] = await db('audit_events').where({ type: 'admin.delivery_retry' }).orderBy('id', 'desc');
    expect(event.details).toMatchObject({ jobs: before, reason: 'rejected' });
  });

  it('shows the Security page', async () => {
    await page.getByRole('link', { name: 'Security' }).click();
    await page.waitForURL(`${f.admin.url}/console/security`);
    await expect(page.locator('svg[role=img]').count()).resolves.toBe(4);
    await expect(page.getByRole('cell', { name: 'unknown_format' }).count()).resolves.toBe(1);
    await expectAccessible(page, 'security');
  });

  it('finds an account and shows its record, deliveries and audit trail', async () => {
    await page.getByRole('link', { name: 'Accounts' }).click();
    await expectAccessible(page, 'accounts');
    await page.locator('#q').fill('seed-10');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/console\/accounts\/seed-10$/);
    await expect(page.getByRole('heading', { name: 'Deliveries to the target' }).count()).resolves.toBe(1);
    const html = await page.content();
    expect(html).not.toMatch(/\$argon2|\$2[aby]\$/);
    await expectAccessible(page, 'account');
  });

  it('works with JavaScript off: sign-in, pages and a disable action', async () => {
    const noJs = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 1280, height: 900 },
    });
    try {
      const p = await noJs.newPage();
      await signIn(p, 'omar');
      await p.waitForURL(`${f.admin.url}/console/progress`);
      await p.goto(`${f.admin.url}/console/accounts/seed-11`);
      await p.locator('#reason').fill('fraud report 1234');
      await p.getByRole('button', { name: 'Disable the account' }).click();
      await p.waitForURL(/done=disabled/);
      await expect(p.getByRole('status').textContent()).resolves.toContain('The account is disabled');
      await screenshot(p, 'console-account-disabled');
      const row = await f.t.bridge.store.db('accounts').where({ sub: 'seed-11' }).first();
      expect(row.disabled_at).not.toBeNull();
    } finally {
      await noJs.close();
    }
  });

  it('tells an account that is not an operator so, with nothing of the console behind it', async () => {
    const other = await browser.newContext({ bypassCSP: true });
    try {
      const p = await other.newPage();
      await signIn(p, 'quinn');
      await p.getByRole('heading', { name: 'Not an operator' }).waitFor();
      await expectAccessible(p, 'refused');
      expect(await p.locator('nav').count()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('keeps the pages usable on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${f.admin.url}/console/progress`);
    await screenshot(page, 'console-progress-phone');
    const sideways = (await page.evaluate(
      'document.documentElement.scrollWidth > document.documentElement.clientWidth',
    )) as boolean;
    expect(sideways).toBe(false);
  });
});
