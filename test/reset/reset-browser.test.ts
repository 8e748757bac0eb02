// The password reset in a real browser (Chromium through playwright-core): "Forgot password?"
// on the login page, the form, the link read out of the e-mail the test's SMTP server got,
// the new password twice, and back at the relying party signed in, where openid-client
// exchanges the code. Every new page is checked by axe and kept as a screenshot.
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink } from '../../src/mail/sink.ts';
import {
  axeViolations,
  describeViolations,
  hasChromium,
  launchChromium,
  screenshot,
} from '../support/chromium.ts';
import {
  authorizationRequest,
  beginLogin,
  loginThroughBrowser,
  REDIRECT_URI,
  submitLogin,
} from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';
import { waitFor } from '../support/wait.ts';
import { linkFrom, mailsTo, type ResetWorld, startResetWorld } from './support.ts';

const NEW_PASSWORD = registerSecret('password', 'Saffron-Glacier-Tunnel-42');
const users = [
  { id: 61001, username: 'aylin', email: 'aylin@example.com', password: 'old-aylin-pw-1' },
  { id: 61002, username: 'burak', email: 'burak@example.com', password: 'old-burak-pw-2' },
  { id: 61003, username: 'cem', email: 'cem@example.com', password: 'old-cem-pw-3' },
  { id: 61004, username: 'dilek', email: 'dilek@example.com', password: 'old-dilek-pw-4' },
  { id: 61005, username: 'esra', email: 'esra@example.com', password: 'old-esra-pw-5' },
  { id: 61006, username: 'fatih', email: 'fatih@example.com', password: 'letmein2020' },
  { id: 61007, username: 'gul', email: 'gul@example.com', password: 'old-gul-pw-7' },
];

let w: ResetWorld;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  w = await startResetWorld(users, { password_policy: { prompt_weak_legacy: 'skippable' } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await w?.close();
});

interface Run {
  page: Page;
  verifier: string;
  state: string;
  nonce: string;
}

/** A sign-in at the relying party, in a fresh browser context whose callback is answered here. */
async function startSignIn(params: Record<string, string> = {}): Promise<Run> {
  const context = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
  await context.route(`${new URL(REDIRECT_URI).origin}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the relying party' }),
  );
  const page = await context.newPage();
  const { verifier, state, nonce, authorizationUrl } = await authorizationRequest(w.rp, params);
  await page.goto(authorizationUrl.toString());
  return { page, verifier, state, nonce };
}

async function accessible(page: Page, name: string): Promise<void> {
  const violations = await axeViolations(page);
  await screenshot(page, name);
  expect(violations, describeViolations(violations)).toEqual([]);
}

async function askForReset(run: Run, identifier: string, shot?: string): Promise<number> {
  await run.page.getByRole('link', { name: 'Forgot password?' }).click();
  await run.page.waitForURL('**/forgot');
  if (shot) await accessible(run.page, `${shot}-form`);
  await run.page.locator('#identifier').fill(identifier);
  const started = performance.now();
  await run.page.getByRole('button', { name: 'Send reset link' }).click();
  await run.page.getByRole('heading', { name: 'Check your email' }).waitFor();
  const ms = performance.now() - started;
  if (shot) await accessible(run.page, `${shot}-sent`);
  await w.t.bridge.passwordReset!.settled();
  return ms;
}

async function choosePassword(page: Page, password: string): Promise<void> {
  await page.locator('#password').fill(password);
  await page.locator('#confirm').fill(password);
  await page.getByRole('button', { name: 'Set new password' }).click();
}

async function signedIn(run: Run) {
  await run.page.waitForURL(`${REDIRECT_URI}**`);
  return oidc.authorizationCodeGrant(w.rp, new URL(run.page.url()), {
    pkceCodeVerifier: run.verifier,
    expectedState: run.state,
    expectedNonce: run.nonce,
    idTokenExpected: true,
  });
}

async function refused(identifier: string, password: string): Promise<boolean> {
  const page = await submitLogin(await beginLogin(w.rp), identifier, password);
  return page.status === 401;
}

describe.skipIf(!hasChromium)('password reset in a browser', () => {
  it('an unmigrated bcrypt user resets, is delivered with the new password and signs in with it; the old one is refused', async () => {
    const run = await startSignIn();
    await askForReset(run, 'aylin', 'reset');
    const { mail, link } = await linkFrom(w, 'aylin@example.com', 0);
    // The e-mail as a mail client shows its HTML part.
    const inbox = await browser.newPage();
    await inbox.setContent(mail.html);
    await expect(
      inbox.getByRole('link', { name: 'Choose a new password' }).getAttribute('href'),
    ).resolves.toBe(link);
    await accessible(inbox, 'reset-email');
    await inbox.close();
    await run.page.goto(link);
    await accessible(run.page, 'reset-new-password');
    await choosePassword(run.page, NEW_PASSWORD);
    const tokens = await signedIn(run);
    expect(tokens.claims()).toMatchObject({ sub: '61001', email_verified: true });

    await waitFor(
      () => w.t.bridge.store.db('outbox').where({ sub: '61001' }).first(),
      (j) => j?.status === 'delivered',
    );
    expect(w.target.state.users.get('61001')?.email).toBe('aylin@example.com');
    const check = await fetch(`${w.running.url}/api/users/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'aylin@example.com', password: NEW_PASSWORD }),
    });
    expect(((await check.json()) as { valid: boolean }).valid).toBe(true);

    const { callbackUrl } = await loginThroughBrowser(w.rp, 'aylin', NEW_PASSWORD);
    expect(callbackUrl.searchParams.get('code')).toBeTruthy();
    expect(await refused('aylin', 'old-aylin-pw-1')).toBe(true);
  });

  it("a migrated user's reset replaces the bridge hash", async () => {
    await loginThroughBrowser(w.rp, 'burak', 'old-burak-pw-2');
    const before = await w.t.bridge.store.db('accounts').where({ sub: '61002' }).first();
    const run = await startSignIn();
    await askForReset(run, 'burak@example.com');
    const { link } = await linkFrom(w, 'burak@example.com', 0);
    await run.page.goto(link);
    await choosePassword(run.page, NEW_PASSWORD);
    expect((await signedIn(run)).claims()?.sub).toBe('61002');
    const after = await w.t.bridge.store.db('accounts').where({ sub: '61002' }).first();
    expect(after.password_hash).not.toBe(before.password_hash);
    expect(await refused('burak', 'old-burak-pw-2')).toBe(true);
  });

  it('an expired, a used and a superseded link each get their own page', async () => {
    const used = await startSignIn();
    await askForReset(used, 'cem');
    const cem = await linkFrom(w, 'cem@example.com', 0);
    await used.page.goto(cem.link);
    await choosePassword(used.page, NEW_PASSWORD);
    await used.page.waitForURL(`${REDIRECT_URI}**`);
    await used.page.goto(cem.link);
    await expect(
      used.page.getByRole('heading', { name: 'This reset link was already used' }).count(),
    ).resolves.toBe(1);
    await accessible(used.page, 'reset-link-used');

    const expired = await startSignIn();
    await askForReset(expired, 'dilek');
    const dilek = await linkFrom(w, 'dilek@example.com', 0);
    await w.t.bridge.store
      .db('password_resets')
      .where({ subject: '61004' })
      .update({ expires_at: new Date(Date.now() - 1000) });
    await expired.page.goto(dilek.link);
    await expect(
      expired.page.getByRole('heading', { name: 'This reset link has expired' }).count(),
    ).resolves.toBe(1);
    await accessible(expired.page, 'reset-link-expired');

    const older = await startSignIn();
    await askForReset(older, 'esra');
    const first = await linkFrom(w, 'esra@example.com', 0);
    const newer = await startSignIn();
    await askForReset(newer, 'esra');
    await linkFrom(w, 'esra@example.com', 1);
    await older.page.goto(first.link);
    await expect(
      older.page.getByRole('heading', { name: 'A newer reset link was sent' }).count(),
    ).resolves.toBe(1);
    await accessible(older.page, 'reset-link-superseded');
  });

  it('an unknown identifier gets the same page, and no e-mail', async () => {
    const known = await startSignIn();
    await askForReset(known, 'gul');
    const unknown = await startSignIn();
    await askForReset(unknown, 'nobody-at-all');
    const text = async (p: Page) => (await p.locator('main').innerText()).trim();
    expect(await text(unknown.page)).toBe(await text(known.page));
    expect(w.sink.received.some((m) => m.to.some((a) => a.startsWith('nobody')))).toBe(false);
    expect(mailsTo(w, 'gul@example.com')).toBe(1);
  });

  it('a weak legacy password signs in, migrates, and is then asked to be replaced', async () => {
    const run = await startSignIn();
    await run.page.locator('#identifier').fill('fatih');
    await run.page.locator('#password').fill('letmein2020');
    await run.page.locator('form[action$="/login"] button[type=submit]').click();
    await run.page.getByRole('heading', { name: 'Please choose a new password' }).waitFor();
    await accessible(run.page, 'weak-password-prompt');
    await run.page.locator('#password').fill(NEW_PASSWORD);
    await run.page.locator('#confirm').fill(NEW_PASSWORD);
    await run.page.getByRole('button', { name: 'Save new password' }).click();
    expect((await signedIn(run)).claims()?.sub).toBe('61006');
    expect(await refused('fatih', 'letmein2020')).toBe(true);
  });

  it('a mail server that is down at request time delays the e-mail until it is back', async () => {
    const port = w.sink.port;
    await w.sink.close();
    const run = await startSignIn({ ui_locales: 'tr' });
    await run.page.getByRole('link', { name: 'Parolanızı mı unuttunuz?' }).click();
    await run.page.locator('#identifier').fill('gul@example.com');
    await run.page.getByRole('button', { name: 'Sıfırlama bağlantısı gönder' }).click();
    await run.page.getByRole('heading', { name: 'E-postanızı kontrol edin' }).waitFor();
    await accessible(run.page, 'reset-sent-tr');
    await w.t.bridge.passwordReset!.settled();
    await waitFor(
      () =>
        w.t.bridge.store.db('mail_outbox').where({ status: 'pending' }).whereNotNull('last_error').first(),
      (row) => row !== undefined,
    );
    w.sink = await startSmtpSink({ port });
    const { mail, link } = await linkFrom(w, 'gul@example.com', 0);
    expect(mail.subject).toBe('Shop parolanızı sıfırlayın');
    await run.page.goto(link);
    await run.page.getByRole('heading', { name: 'Yeni bir parola seçin' }).waitFor();
    await accessible(run.page, 'reset-new-password-tr');
  });
});
