// The password policy (length, zxcvbn-ts strength, a local SHA-1 breached list), the prompt
// for a new password after a login with a weak legacy password (which never fails the login),
// and mail over STARTTLS with SMTP AUTH to a server the test runs.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordPolicySchema } from '../../src/config/schema.ts';
import { type SmtpSink, startSmtpSink } from '../../src/mail/sink.ts';
import { createPasswordPolicy, loadPasswordPolicy } from '../../src/security/password-policy.ts';
import { formOf } from '../support/browser.ts';
import { beginLogin, consentIfAsked, exchange, REDIRECT_URI, submitLogin } from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';
import { type ResetWorld, requestReset, startResetWorld } from './support.ts';

const STRONG = registerSecret('password', 'Granite-Orchid-Falcon-58');

describe('the password policy', () => {
  const breached = 'Correct-Horse-Battery-1';
  const dir = mkdtempSync(join(tmpdir(), 'obt-breached-'));
  const file = join(dir, 'pwned.txt');
  writeFileSync(
    file,
    `${createHash('sha1').update(breached).digest('hex').toUpperCase()}:4211\n0000000000000000000000000000000000000000:1\n`,
  );

  it('passes a long, uncommon password', async () => {
    const policy = createPasswordPolicy(passwordPolicySchema.parse({}));
    await expect(policy.problems(STRONG)).resolves.toEqual([]);
  });

  it('names each problem of a short, common password', async () => {
    const policy = createPasswordPolicy(passwordPolicySchema.parse({}));
    await expect(policy.problems('password')).resolves.toEqual(['too_short', 'too_weak']);
  });

  it("counts the user's own names against the strength", async () => {
    const policy = createPasswordPolicy(passwordPolicySchema.parse({}));
    await expect(policy.problems('tuncaykarademir')).resolves.toEqual([]);
    await expect(
      policy.problems('tuncaykarademir', ['tuncay', 'karademir', 'tuncay@example.com']),
    ).resolves.toEqual(['too_weak']);
  });

  it('estimates the strength on a worker thread: the event loop goes on while it runs', async () => {
    const policy = createPasswordPolicy(passwordPolicySchema.parse({}));
    // The first estimate loads the dictionaries; the second is the one watched.
    await policy.problems(STRONG);
    const order: string[] = [];
    // A long password with many l33t variants: tens of milliseconds of estimate.
    const estimate = policy
      .problems('Bench-legacy-password-2024-and-s0me-m0re')
      .then(() => order.push('estimate'));
    setImmediate(() => order.push('event loop'));
    await estimate;
    expect(order).toEqual(['event loop', 'estimate']);
  });

  it('refuses a password on the local breached list, with no network lookup', async () => {
    const policy = await loadPasswordPolicy(
      passwordPolicySchema.parse({ breached_sha1_file: file, min_score: 0 }),
    );
    await expect(policy.problems(breached)).resolves.toEqual(['breached']);
    await expect(policy.problems(STRONG)).resolves.toEqual([]);
  });

  it('refuses a breached list that is missing, naming the key and the fix', async () => {
    await expect(
      loadPasswordPolicy(passwordPolicySchema.parse({ breached_sha1_file: join(dir, 'absent.txt') })),
    ).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringContaining('password_policy.breached_sha1_file'),
    });
  });
});

describe('a weak legacy password at login', () => {
  let w: ResetWorld;
  const weak = { id: 52001, username: 'derya', email: 'derya@example.com', password: 'summer2019' };
  const skipper = { id: 52002, username: 'onur', email: 'onur@example.com', password: 'qwerty12345' };

  beforeAll(async () => {
    w = await startResetWorld([weak, skipper], { password_policy: { prompt_weak_legacy: 'skippable' } });
  });
  afterAll(async () => {
    await w?.close();
  });

  it('logs in and migrates, then asks once for a new password, which replaces it', async () => {
    const run = await beginLogin(w.rp);
    const prompt = await submitLogin(run, weak.username, weak.password);
    expect(prompt.status).toBe(200);
    expect(prompt.html).toContain('Please choose a new password');
    const account = await w.t.bridge.store.db('accounts').where({ sub: '52001' }).first();
    expect(account.password_change_prompt).toBe(true);
    expect(account.migrated_at).not.toBeNull();

    const form = formOf(prompt, /\/new-password$/);
    const tooWeak = await run.browser.post(form.action, {
      ...form.fields,
      password: 'derya2019!',
      confirm: 'derya2019!',
    });
    expect(tooWeak.status).toBe(400);
    expect(tooWeak.html).toContain('too easy to guess');
    const done = await run.browser.post(form.action, {
      ...form.fields,
      password: STRONG,
      confirm: STRONG,
      action: 'set',
    });
    const callback = await consentIfAsked(run, done);
    expect(callback.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(w.rp, run, new URL(callback.url))).claims()?.sub).toBe('52001');

    const after = await w.t.bridge.store.db('accounts').where({ sub: '52001' }).first();
    expect(after.password_change_prompt).toBe(false);
    expect(after.password_hash).not.toBe(account.password_hash);
    const refused = await submitLogin(await beginLogin(w.rp), weak.username, weak.password);
    expect(refused.status).toBe(401);
    const next = await submitLogin(await beginLogin(w.rp), weak.username, STRONG);
    expect(next.url.startsWith(REDIRECT_URI) || next.html.includes('/confirm')).toBe(true);
  });

  it('lets the user skip the prompt when configured so, and does not ask again', async () => {
    const run = await beginLogin(w.rp);
    const prompt = await submitLogin(run, skipper.username, skipper.password);
    expect(prompt.html).toContain('Not now');
    const skipForm = formOf(prompt, /\/new-password$/);
    const skipped = await run.browser.post(skipForm.action, { ...skipForm.fields, action: 'skip' });
    expect((await consentIfAsked(run, skipped)).url.startsWith(REDIRECT_URI)).toBe(true);
    const again = await submitLogin(await beginLogin(w.rp), skipper.username, skipper.password);
    expect(again.html).not.toContain('Please choose a new password');
  });
});

describe('mail over STARTTLS with SMTP AUTH', () => {
  let w: ResetWorld;
  let secure: SmtpSink;
  const user = { id: 53001, username: 'emre', email: 'emre@example.com', password: 'old-emre-pw-1' };

  beforeAll(async () => {
    secure = await startSmtpSink({ starttls: true, auth: { user: 'mailer', pass: 'smtp-pass-123' } });
    registerSecret('password', 'smtp-pass-123');
    w = await startResetWorld(
      [user, { id: 53002, username: 'ece', email: 'ece@example.com', password: 'letmein2020' }],
      {
        password_policy: { prompt_weak_legacy: 'required' },
        mail: {
          host: '127.0.0.1',
          port: secure.port,
          security: 'starttls',
          tls_reject_unauthorized: false,
          user: 'mailer',
          password: 'smtp-pass-123',
          from: 'Shop <no-reply@shop.example>',
          poll_interval_ms: 50,
        },
      },
    );
  });
  afterAll(async () => {
    await w?.close();
    await secure?.close();
  });

  it('upgrades the connection, authenticates, and delivers the link', async () => {
    await requestReset(w, 'emre');
    const mail = await secure.waitFor((m) => m.to.includes('emre@example.com'));
    expect(mail.secure).toBe(true);
    expect(mail.user).toBe('mailer');
    expect(mail.text).toMatch(/\/reset\/[\w-]{22}\.[\w-]{43}/);
    registerSecret('reset_link', /https?:\/\/\S+/.exec(mail.text)![0]);
    expect(w.sink.received).toHaveLength(0);
  });

  it('offers no way around the prompt when prompt_weak_legacy is required', async () => {
    const run = await beginLogin(w.rp);
    const prompt = await submitLogin(run, 'ece', 'letmein2020');
    expect(prompt.html).toContain('Please choose a new password');
    expect(prompt.html).not.toContain('Not now');
    const form = formOf(prompt, /\/new-password$/);
    const skipped = await run.browser.post(form.action, { ...form.fields, action: 'skip' });
    expect(skipped.status).toBe(400);
    expect(skipped.url.startsWith(REDIRECT_URI)).toBe(false);
  });
});

describe('a legacy database that is down', () => {
  let w: ResetWorld;
  const user = { id: 54001, username: 'yusuf', email: 'yusuf@example.com', password: 'old-yusuf-pw-1' };

  beforeAll(async () => {
    w = await startResetWorld([user], {}, { viaProxy: true });
  });
  afterAll(async () => {
    await w?.close();
  });

  it('answers the request with the same page and sends nothing, logging only a code', async () => {
    await w.proxy!.stop();
    const { sent } = await requestReset(w, 'yusuf');
    expect(sent.status).toBe(200);
    expect(sent.html).toContain('Check your email');
    expect(w.sink.received).toHaveLength(0);
    const line = w.t.logs.find((l) => l.includes('reset request could not be completed'));
    expect(line).toBeDefined();
    expect(line).not.toContain('yusuf');
    await w.proxy!.start();
  });

  it('keeps a valid link usable when the database is down as it is used: a 503 page, then success', async () => {
    const { run } = await requestReset(w, 'yusuf');
    const mail = await w.sink.waitFor((m) => m.to.includes('yusuf@example.com'));
    const link = /https?:\/\/\S+\/reset\/[\w.-]+/.exec(mail.text)![0];
    registerSecret('reset_link', link);
    await w.proxy!.stop();
    const form = formOf(await run.browser.get(link), /\/reset\//);
    const down = await run.browser.post(form.action, { ...form.fields, password: STRONG, confirm: STRONG });
    expect(down.status).toBe(503);
    expect(down.html).toContain('temporarily unavailable');
    await w.proxy!.start();
    const up = await run.browser.post(form.action, { ...form.fields, password: STRONG, confirm: STRONG });
    expect(up.url.startsWith(REDIRECT_URI)).toBe(true);
    const account = await w.t.bridge.store.db('accounts').where({ sub: '54001' }).first();
    expect(account?.password_hash).toMatch(/^\$argon2id\$/);
  });
});
