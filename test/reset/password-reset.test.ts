// Password reset by e-mail against the real things: a MariaDB legacy table, an SMTP server the
// test runs (the link is read out of the received message), the reference target with the
// delivery worker, and openid-client as the relying party. A legacy user migrates on reset;
// a migrated user gets a new hash; links are single-use, expire and are voided by a newer one;
// an unknown identifier gets the same page; a mail server that is down only delays the e-mail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink } from '../../src/mail/sink.ts';
import { formOf } from '../support/browser.ts';
import {
  beginLogin,
  consentIfAsked,
  exchange,
  loginThroughBrowser,
  REDIRECT_URI,
  submitLogin,
} from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';
import { waitFor } from '../support/wait.ts';
import {
  linkFrom,
  mailsTo,
  openForgot,
  type ResetWorld,
  requestReset,
  setNewPassword,
  startResetWorld,
} from './support.ts';

const NEW_PASSWORD = registerSecret('password', 'Violet-Harbour-Lantern-93');
const OTHER_PASSWORD = registerSecret('password', 'Copper-Meadow-Quartz-17');
const users = [
  { id: 51001, username: 'selin', email: 'selin@example.com', password: 'old-selin-pw-1' },
  { id: 51002, username: 'kerem', email: 'kerem@example.com', password: 'old-kerem-pw-2' },
  { id: 51003, username: 'oya', email: 'oya@example.com', password: 'old-oya-pw-3' },
  { id: 51004, username: 'tarik', email: 'tarik@example.com', password: 'old-tarik-pw-4' },
  { id: 51005, username: 'banned', email: 'banned@example.com', password: 'old-banned-pw-5', active: false },
  { id: 51006, username: 'ilker', email: 'ilker@example.com', password: 'old-ilker-pw-6' },
  { id: 51007, username: 'nazli', email: 'nazli@example.com', password: 'old-nazli-pw-7' },
  { id: 51008, username: 'sevgi', email: 'sevgi@example.com', password: 'old-sevgi-pw-8' },
];

let w: ResetWorld;

beforeAll(async () => {
  w = await startResetWorld(users, {
    password_reset: { per_identifier_per_hour: 4 },
  });
});

afterAll(async () => {
  await w?.close();
});

async function login(identifier: string, password: string) {
  const { run, callbackUrl } = await loginThroughBrowser(w.rp, identifier, password);
  return exchange(w.rp, run, callbackUrl);
}

async function loginRefused(identifier: string, password: string): Promise<boolean> {
  const run = await beginLogin(w.rp);
  const page = await submitLogin(run, identifier, password);
  return page.status === 401 && page.html.includes('Wrong username or password');
}

const account = (sub: string) => w.t.bridge.store.db('accounts').where({ sub }).first();

describe('a legacy user who never migrated', () => {
  it('resets by e-mail, is migrated with the new password, delivered with it, and signed in', async () => {
    const { run, sent } = await requestReset(w, 'selin');
    expect(sent.status).toBe(200);
    expect(sent.html).toContain('Check your email');
    const { mail, link } = await linkFrom(w, 'selin@example.com', 0);
    expect(mail.from).toBe('no-reply@shop.example');
    expect(mail.replyTo).toBe('help@shop.example');
    expect(mail.subject).toBe('Reset your Shop password');
    expect(mail.text).toContain('Hello Selin,');
    expect(mail.html).toContain(link.replace(/&/g, '&amp;'));
    expect(await account('51001')).toBeUndefined();

    const after = await setNewPassword(run, link, NEW_PASSWORD);
    const callback = await consentIfAsked(run, after);
    expect(callback.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(w.rp, run, new URL(callback.url));
    expect(tokens.claims()).toMatchObject({ sub: '51001', email: 'selin@example.com', email_verified: true });

    const row = await account('51001');
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.legacy_scheme).toBe('password_reset');
    const job = await waitFor(
      () => w.t.bridge.store.db('outbox').where({ sub: '51001', kind: 'deliver' }).first(),
      (j) => j?.status === 'delivered',
    );
    expect(job.secret).toBeNull();
    const check = await fetch(`${w.running.url}/api/users/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'selin@example.com', password: NEW_PASSWORD }),
    });
    expect(((await check.json()) as { valid: boolean }).valid).toBe(true);

    const audit = await w.t.bridge.store
      .db('audit_events')
      .where({ sub: '51001' })
      .orWhere({ identifier: 'selin' })
      .orderBy('id');
    expect(audit.map((a: { type: string }) => a.type)).toEqual(
      expect.arrayContaining(['password_reset_requested', 'migration', 'password_reset']),
    );
    const requested = audit.find((a: { type: string }) => a.type === 'password_reset_requested');
    expect(JSON.stringify(requested.details)).toContain('s***@e***.com');
    expect(JSON.stringify(audit)).not.toContain('selin@example.com');
  });

  it('then logs in with the new password, and the old one is refused', async () => {
    expect((await login('selin', NEW_PASSWORD)).claims()?.sub).toBe('51001');
    expect(await loginRefused('selin', 'old-selin-pw-1')).toBe(true);
  });

  it('gets the e-mail in Turkish when the sign-in asked for it', async () => {
    await requestReset(w, 'nazli', { ui_locales: 'tr' });
    const { mail } = await linkFrom(w, 'nazli@example.com', 0);
    expect(mail.subject).toBe('Shop parolanızı sıfırlayın');
    expect(mail.text).toContain('Merhaba Nazli,');
  });
});

describe('a migrated user', () => {
  it('resets: the hash is replaced, other sessions end, and the old password stops working', async () => {
    await login('kerem', 'old-kerem-pw-2');
    const before = await account('51002');
    expect(before.password_hash).toMatch(/^\$argon2id\$/);
    const sessions = () =>
      w.t.bridge.store
        .db('oidc_payloads')
        .where({ type: 'Session' })
        .whereRaw("payload->>'accountId' = ?", ['51002']);
    expect((await sessions()).length).toBeGreaterThan(0);

    const { run } = await requestReset(w, 'kerem@example.com');
    const { link } = await linkFrom(w, 'kerem@example.com', 0);
    const callback = await consentIfAsked(run, await setNewPassword(run, link, OTHER_PASSWORD));
    expect(callback.url.startsWith(REDIRECT_URI)).toBe(true);
    const after = await account('51002');
    expect(after.password_hash).not.toBe(before.password_hash);
    expect(after.claims.email_verified).toBe(true);
    // The old session is gone; only the one the reset just signed in remains.
    expect((await sessions()).length).toBe(1);
    expect(await loginRefused('kerem', 'old-kerem-pw-2')).toBe(true);
    expect((await login('kerem', OTHER_PASSWORD)).claims()?.sub).toBe('51002');
  });
});

describe('links that no longer work', () => {
  it('shows its own page for a link that was already used', async () => {
    const { run } = await requestReset(w, 'oya');
    const { link } = await linkFrom(w, 'oya@example.com', 0);
    await setNewPassword(run, link, NEW_PASSWORD);
    const again = await run.browser.get(link);
    expect(again.status).toBe(410);
    expect(again.html).toContain('This reset link was already used');
    expect(again.html).toContain('reset_link_used');
  });

  it('shows its own page for an expired link, and changes nothing', async () => {
    const { run } = await requestReset(w, 'tarik');
    const { link } = await linkFrom(w, 'tarik@example.com', 0);
    await w.t.bridge.store
      .db('password_resets')
      .update({ expires_at: new Date(Date.now() - 1000) })
      .whereNull('used_at');
    const page = await run.browser.get(link);
    expect(page.status).toBe(410);
    expect(page.html).toContain('This reset link has expired');
    expect(page.html).toContain('valid for 30 minutes');
    expect(await account('51004')).toBeUndefined();
  });

  it('shows its own page for a link a newer request replaced, and the newer one works', async () => {
    const first = await requestReset(w, 'ilker');
    const older = await linkFrom(w, 'ilker@example.com', 0);
    await requestReset(w, 'ilker');
    const newer = await linkFrom(w, 'ilker@example.com', 1);
    expect(newer.link).not.toBe(older.link);
    const page = await first.run.browser.get(older.link);
    expect(page.status).toBe(410);
    expect(page.html).toContain('A newer reset link was sent');
    expect(await account('51006')).toBeUndefined();
    // Opened in a browser that holds no sign-in of its own: a clear page with a way back.
    const done = await setNewPassword(first.run, newer.link, NEW_PASSWORD);
    expect(done.status).toBe(200);
    expect(done.html).toContain('Your password has been changed');
    expect(done.html).toContain('href="http://127.0.0.1:8080"');
    expect((await account('51006')).password_hash).toMatch(/^\$argon2id\$/);
  });

  it('refuses a token it did not make, with the invalid-link page', async () => {
    const { run } = await requestReset(w, 'nobody-here');
    const page = await run.browser.get(
      `${w.t.url}/interaction/none/reset/AAAAAAAAAAAAAAAAAAAAAA.${'B'.repeat(43)}`,
    );
    expect(page.status).toBe(400);
    expect(page.html).toContain('This reset link does not work');
  });
});

describe('what a request reveals', () => {
  it('answers an unknown identifier with the same page as a known one, and sends nothing', async () => {
    const known = await requestReset(w, 'nazli');
    const unknown = await requestReset(w, 'no-such-user-anywhere');
    const norm = (html: string) => html.replace(/nonce-[^'"]+|nonce="[^"]+"|\/interaction\/[^/"]+/g, '');
    expect(unknown.sent.status).toBe(known.sent.status);
    expect(norm(unknown.sent.html)).toBe(norm(known.sent.html));
    expect(w.sink.received.some((m) => m.to.includes('no-such-user-anywhere'))).toBe(false);
  });

  it('sends nothing to a user login would refuse (the legacy where rule)', async () => {
    const { sent } = await requestReset(w, 'banned');
    expect(sent.html).toContain('Check your email');
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsTo(w, 'banned@example.com')).toBe(0);
  });

  it('sends nothing to a disabled bridge account, and refuses its link once disabled', async () => {
    await login('sevgi', 'old-sevgi-pw-8');
    const { run } = await requestReset(w, 'sevgi');
    const { link } = await linkFrom(w, 'sevgi@example.com', 0);
    await w.t.bridge.store.db('accounts').where({ sub: '51008' }).update({ disabled_at: new Date() });
    const refused = await setNewPassword(run, link, NEW_PASSWORD);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('This reset link does not work');
    const again = await requestReset(w, 'sevgi');
    expect(again.sent.html).toContain('Check your email');
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsTo(w, 'sevgi@example.com')).toBe(1);
    const audit = await w.t.bridge.store
      .db('audit_events')
      .where({ type: 'password_reset_requested', sub: '51008' })
      .orderBy('id', 'desc')
      .first();
    expect(audit).toMatchObject({ outcome: 'failure', reason: 'disabled' });
  });

  it('refuses a new password that fails the policy or does not match, on the same form', async () => {
    const { run } = await requestReset(w, 'tarik');
    const { link } = await linkFrom(w, 'tarik@example.com', 1);
    const weak = await setNewPassword(run, link, 'password123');
    expect(weak.status).toBe(400);
    expect(weak.html).toContain('too easy to guess');
    const short = await setNewPassword(run, link, 'Qz7!');
    expect(short.html).toContain('Use at least 10 characters');
    const mismatch = await setNewPassword(run, link, NEW_PASSWORD, `${NEW_PASSWORD}x`);
    expect(mismatch.html).toContain('The two passwords do not match');
    expect(await account('51004')).toBeUndefined();
  });

  it('refuses a forgot form without its CSRF token, and sends nothing', async () => {
    const run = await beginLogin(w.rp);
    const forgot = await openForgot(run);
    const form = formOf(forgot, /\/forgot$/);
    const before = w.sink.received.length;
    const page = await run.browser.post(form.action, { identifier: 'nazli', csrf: 'forged' });
    expect(page.status).toBe(403);
    await w.t.bridge.passwordReset!.settled();
    expect(w.sink.received.length).toBe(before);
  });

  it('answers hostile identifiers and passwords with a page, never a 500', async () => {
    const run = await beginLogin(w.rp);
    const form = formOf(await openForgot(run), /\/forgot$/);
    for (const identifier of ['a\u0000b', 'x'.repeat(5000), "' OR 1=1 --", '\ud800', '']) {
      const page = await run.browser.post(form.action, { ...form.fields, identifier });
      expect(page.status, JSON.stringify(identifier.slice(0, 20))).toBeLessThan(500);
    }
    const reset = await run.browser.post(`${w.t.url}/interaction/none/reset/not-a-token`, {
      password: 'x'.repeat(5000),
      confirm: 'y',
      csrf: 'forged',
    });
    expect(reset.status).toBe(403);
  });

  it('throttles requests for one identifier with a clear page', async () => {
    let last = await requestReset(w, 'throttled-name');
    for (let i = 0; i < 4; i++) last = await requestReset(w, 'throttled-name');
    expect(last.sent.status).toBe(429);
    expect(last.sent.html).toContain('Too many reset requests');
    expect(last.sent.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('keeps tokens, links and passwords out of every log line', () => {
    const text = w.t.logs.join('\n');
    expect(text).not.toContain('/reset/');
    expect(text).not.toContain(NEW_PASSWORD);
    expect(text).not.toContain('selin@example.com');
  });
});

describe('a mail server that is down', () => {
  it('delays the e-mail, which arrives once the server is back', async () => {
    const port = w.sink.port;
    await w.sink.close();
    const { sent } = await requestReset(w, 'oya');
    expect(sent.status).toBe(200);
    await waitFor(
      () => w.t.bridge.store.db('mail_outbox').where({ status: 'pending' }).where('attempts', '>', 0).first(),
      (row) => row !== undefined && row.last_error !== null,
    );
    w.sink = await startSmtpSink({ port });
    const { link } = await linkFrom(w, 'oya@example.com', 0);
    expect(link).toContain('/reset/');
    const row = await waitFor(
      () => w.t.bridge.store.db('mail_outbox').orderBy('id', 'desc').first(),
      (r) => r?.status === 'sent',
    );
    expect(row.message).toBeNull();
  });
});
