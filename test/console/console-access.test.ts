// The admin listener and who gets into the operator console: /metrics has left the login
// port; operators sign in through the bridge itself (by sub or by group); anyone else is
// refused; every action needs the session's CSRF token and leaves an audit event; re-queue,
// give up, disable and enable do what they say, in the store.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge } from '../support/bridge.ts';
import { formOf } from '../support/browser.ts';
import { beginLogin, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import { type ConsoleFixture, consoleSignIn, csrfOf, startConsoleFixture, USERS } from './support.ts';

let f: ConsoleFixture;

beforeAll(async () => {
  f = await startConsoleFixture({ seed: true });
});

afterAll(async () => {
  await f?.close();
});

const audit = (type: string) => f.t.bridge.store.db('audit_events').where({ type }).orderBy('id', 'desc');

describe('the admin listener', () => {
  it('serves /metrics, and the login port no longer does', async () => {
    const login = await fetch(`${f.t.url}/metrics`);
    expect(login.status).toBe(404);
    expect(await login.text()).not.toContain('oidc_bridge_');
    const admin = await fetch(`${f.admin.url}/metrics`);
    expect(admin.status).toBe(200);
    const text = await admin.text();
    expect(text).toContain('# TYPE oidc_bridge_logins_total counter');
    expect(text).toMatch(/^oidc_bridge_ready 1$/m);
    expect(text).toMatch(/^oidc_bridge_signing_key_created_timestamp_seconds\{alg="ES256"\} \d+/m);
    expect(text).toMatch(/^oidc_bridge_outbox_jobs\{status="failed"\} [1-9]/m);
  });

  it('names its metrics so that promtool check metrics finds nothing to say', async () => {
    const text = await (await fetch(`${f.admin.url}/metrics`)).text();
    const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(out.trim()).toBe('');
  });

  it('asks for the bearer token on /metrics when admin.metrics_token is set', async () => {
    const token = 'metrics-token-for-the-test-0123';
    const b = await startTestBridge({ admin: { metrics_token: token } });
    try {
      const admin = await b.bridge.listenAdmin(0, '127.0.0.1');
      expect((await fetch(`${admin.url}/metrics`)).status).toBe(401);
      expect(
        (
          await fetch(`${admin.url}/metrics`, {
            headers: { authorization: 'Bearer wrong-token-wrong-token-00' },
          })
        ).status,
      ).toBe(401);
      const ok = await fetch(`${admin.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
    } finally {
      await b.close();
    }
  });

  it('refuses to share the login port, or a port already taken, naming admin.port', async () => {
    const b = await startTestBridge();
    try {
      await expect(b.bridge.listenAdmin(b.config.port)).rejects.toMatchObject({ code: 'config_invalid' });
      // A port another process holds: the error names the key, not a bare EADDRINUSE.
      const taken = Number(new URL(f.admin.url).port);
      await expect(b.bridge.listenAdmin(taken, '127.0.0.1')).rejects.toMatchObject({
        code: 'config_invalid',
        message: expect.stringContaining('admin.port: 127.0.0.1:'),
      });
    } finally {
      await b.close();
    }
  });
});

describe('signing in to the console', () => {
  it('lets an operator named by sub in through the bridge login, and audits it', async () => {
    const { page } = await consoleSignIn(f.admin.url, 'opal', USERS.opal.password);
    expect(page.status).toBe(200);
    expect(page.url).toBe(`${f.admin.url}/console/progress`);
    expect(page.html).toContain('Migration progress');
    const [event] = await audit('admin.console_login');
    expect(event).toMatchObject({ outcome: 'success', sub: String(USERS.opal.id) });
  });

  it('lets a member of an admin group in', async () => {
    const { page } = await consoleSignIn(f.admin.url, 'omar', USERS.omar.password, '/console/security');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Security</h1>');
  });

  it('refuses an account that is neither, audits the refusal, and keeps no session', async () => {
    const { browser, page } = await consoleSignIn(f.admin.url, 'quinn', USERS.quinn.password);
    expect(page.status).toBe(403);
    expect(page.html).toContain('Not an operator');
    expect(page.html).not.toContain('Migration progress');
    const [event] = await audit('admin.console_login');
    expect(event).toMatchObject({ outcome: 'failure', reason: 'not_admin', sub: String(USERS.quinn.id) });
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const again = await fetch(`${f.admin.url}/console/progress`, { headers: { cookie }, redirect: 'manual' });
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toMatch(/^\/console\/login/);
  });

  it('sends a request without a session to the sign-in, and answers a POST without one with 403', async () => {
    const res = await fetch(`${f.admin.url}/console/delivery`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^\/console\/login\?next=/);
    const post = await fetch(`${f.admin.url}/console/delivery/retry`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'status=failed',
    });
    expect(post.status).toBe(403);
  });

  it("serves its pages with the login pages' CSP and no external asset", async () => {
    const { browser } = await consoleSignIn(f.admin.url, 'opal', USERS.opal.password);
    for (const path of ['/console/progress', '/console/delivery', '/console/security', '/console/accounts']) {
      const page = await browser.get(`${f.admin.url}${path}`);
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'nonce-/);
      expect(page.html).not.toMatch(/(src|href)="https?:/);
      if (path !== '/console/accounts') expect(page.html).toContain('<svg');
    }
  });
});

describe('console actions', () => {
  async function failedJob() {
    return f.t.bridge.store
      .db('outbox')
      .where({ status: 'failed', last_reason: 'rejected' })
      .orderBy('id')
      .first();
  }

  it('refuses a retry without the CSRF token: nothing is re-queued, and the refusal is audited', async () => {
    const { browser } = await consoleSignIn(f.admin.url, 'opal', USERS.opal.password);
    const job = await failedJob();
    const page = await browser.post(`${f.admin.url}/console/delivery/retry`, {
      id: String(job.id),
      status: 'failed',
    });
    expect(page.status).toBe(403);
    expect((await f.t.bridge.store.db('outbox').where({ id: job.id }).first()).status).toBe('failed');
    const [event] = await audit('admin.console_refused');
    expect(event).toMatchObject({ outcome: 'failure', reason: 'csrf', actor: `console:${USERS.opal.id}` });
    const forged = await browser.post(`${f.admin.url}/console/delivery/retry`, {
      id: String(job.id),
      status: 'failed',
      csrf: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    expect(forged.status).toBe(403);
  });

  it('re-queues a failed job after confirmation and writes an audit event', async () => {
    const { browser } = await consoleSignIn(f.admin.url, 'opal', USERS.opal.password);
    const job = await failedJob();
    const confirm = await browser.get(
      `${f.admin.url}/console/delivery/confirm?action=retry&id=${job.id}&status=failed`,
    );
    expect(confirm.html).toContain(`Put job ${job.id} back in the queue`);
    const form = formOf(confirm, /\/console\/delivery\/retry$/);
    const done = await browser.post(form.action, form.fields);
    expect(done.status).toBe(200);
    expect(done.html).toContain('Re-queued 1 job.');
    const row = await f.t.bridge.store.db('outbox').where({ id: job.id }).first();
    expect(row).toMatchObject({ status: 'pending', attempts: 0 });
    const [event] = await audit('admin.delivery_retry');
    expect(event).toMatchObject({ outcome: 'success', actor: `console:${USERS.opal.id}` });
    expect(event.details).toMatchObject({ jobs: 1, id: job.id });
  });

  it('gives up on the failed jobs of one reason: dead, password form and row copy erased, audited', async () => {
    const { browser } = await consoleSignIn(f.admin.url, 'opal', USERS.opal.password);
    const db = f.t.bridge.store.db;
    await db('outbox')
      .where({ status: 'failed', last_reason: 'invalid' })
      .update({ secret: 'sealed-form-placeholder', row_data: 'sealed-row-placeholder' });
    const before = Number(
      (await db('outbox').where({ status: 'failed', last_reason: 'invalid' }).count({ n: '*' }).first())!.n,
    );
    const confirm = await browser.get(
      `${f.admin.url}/console/delivery/confirm?action=dead&status=failed&reason=invalid`,
    );
    const done = await browser.post(`${f.admin.url}/console/delivery/dead`, {
      csrf: csrfOf(confirm),
      reason: 'invalid',
    });
    expect(done.html).toContain(`Moved ${before} jobs to the dead letters.`);
    expect(
      await db('outbox').where({ status: 'failed', last_reason: 'invalid' }).count({ n: '*' }).first(),
    ).toMatchObject({ n: 0 });
    expect(
      await db('outbox')
        .where({ last_reason: 'invalid' })
        .where((q) => q.whereNotNull('secret').orWhereNotNull('row_data'))
        .count({ n: '*' })
        .first(),
    ).toMatchObject({ n: 0 });
    const [event] = await audit('admin.delivery_dead_lettered');
    expect(event.details).toMatchObject({ jobs: before, reason: 'invalid' });
  });

  it('disables an account, which then cannot log in, and enables it again', async () => {
    const rp = await relyingParty(f.t.url, 'console-test-app', 'console-test-secret');
    const login = async () => (await submitLogin(await beginLogin(rp), 'omar', USERS.omar.password)).url;
    const { browser } = await consoleSignIn(f.admin.url, 'opal', USERS.opal.password);
    const sub = String(USERS.omar.id);
    const found = await browser.get(`${f.admin.url}/console/accounts?q=omar%40example.com`);
    expect(found.url).toBe(`${f.admin.url}/console/accounts/${sub}`);
    expect(found.html).not.toMatch(/\$argon2|\$2[aby]\$/);
    const disabled = await browser.post(`${f.admin.url}/console/accounts/${sub}/disable`, {
      csrf: csrfOf(found),
      reason: 'left the company',
    });
    expect(disabled.html).toContain('The account is disabled');
    expect(await login()).not.toContain(REDIRECT_URI);
    const [event] = await audit('admin.account_disabled');
    expect(event).toMatchObject({ sub, actor: `console:${USERS.opal.id}` });
    expect(event.details).toMatchObject({ reason: 'left the company', changed: true });
    const [refused] = await f.t.bridge.store
      .db('audit_events')
      .where({ type: 'login', sub })
      .orderBy('id', 'desc');
    expect(refused).toMatchObject({ outcome: 'failure', reason: 'disabled' });
    // A disabled operator is out of the console too.
    expect((await consoleSignIn(f.admin.url, 'omar', USERS.omar.password)).page.status).not.toBe(200);
    await browser.post(`${f.admin.url}/console/accounts/${sub}/enable`, { csrf: csrfOf(disabled) });
    expect(await login()).toContain(REDIRECT_URI);
  });
});

beforeAll(async () => {
  await f.t.addClient({
    id: 'console-test-app',
    redirectUris: [REDIRECT_URI],
    secret: 'console-test-secret',
    firstParty: true,
  });
});
