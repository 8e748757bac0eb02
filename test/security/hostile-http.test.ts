// Property-based: hostile input to a running bridge on a MariaDB legacy table: odd strings and
// raw invalid UTF-8 in the login form, random uids, methods, bodies and content types on the
// interaction routes, garbage in the legacy password column. Nothing answers 500 or shows a
// stack trace, and no account, delivery job or grant is written.
import fc from 'fast-check';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { formOf } from '../support/browser.ts';
import { beginLogin, type LoginRun, REDIRECT_URI, relyingParty } from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';
import { hostileString } from './arbitraries.ts';
import { createLegacyTable, type LegacyTable, writableCounts } from './support.ts';

const SECRET = 'hostile-client-secret-6620';
const RUNS = 50;

let legacy: LegacyTable;
let t: TestBridge;
let rp: oidc.Configuration;
let before: Record<string, number>;

beforeAll(async () => {
  legacy = await createLegacyTable('mysql', [
    { username: 'kate', email: 'kate@example.com', password: 'Kates-Real-Password-6621' },
  ]);
  t = await startTestBridge({
    legacy: legacy.config,
    // Hostile input must reach the lookups, not stop at the throttle.
    security: {
      lockout: { free_attempts: 1_000_000 },
      ip_failures_per_hour: 1_000_000,
      identifier_failures_per_hour: 1_000_000,
    },
  });
  await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET });
  rp = await relyingParty(t.url, 'app', SECRET);
  before = await writableCounts(t.bridge.store.db);
});

afterAll(async () => {
  if (t) expect(await writableCounts(t.bridge.store.db)).toEqual(before);
  await t?.close();
  await legacy?.drop();
});

function expectNoCrash(status: number, body: string, what: string) {
  expect(status, what).toBeLessThan(500);
  expect(body, what).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

async function postRaw(run: LoginRun, action: string, body: Buffer | string, contentType?: string) {
  const res = await fetch(action, {
    method: 'POST',
    headers: {
      cookie: [...run.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      ...(contentType ? { 'content-type': contentType } : {}),
    },
    body,
    redirect: 'manual',
  });
  return { status: res.status, body: await res.text() };
}

describe('the login form under hostile input', () => {
  it('answers every identifier and password with a page, never a 500', async () => {
    const run = await beginLogin(rp);
    const form = formOf(run.loginPage, /\/login$/);
    await fc.assert(
      fc.asyncProperty(hostileString, hostileString, async (identifier, password) => {
        const page = await run.browser.post(form.action, { ...form.fields, identifier, password });
        expectNoCrash(page.status, page.html, 'login');
        // 413: a body above the form limit (3 × max_password_bytes + 16 KiB), with its page.
        expect([400, 401, 413]).toContain(page.status);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers raw bytes that are not UTF-8, in either field, with a page, never a 500', async () => {
    const run = await beginLogin(rp);
    const form = formOf(run.loginPage, /\/login$/);
    const bytes = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a));
    await fc.assert(
      fc.asyncProperty(bytes, bytes, fc.boolean(), async (id, pw, encode) => {
        // Either raw bytes in the body, or percent-encoded bytes (%FF%FE) that decode to nothing valid.
        const field = (b: Buffer) =>
          encode ? Buffer.from([...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')) : b;
        const body = Buffer.concat([
          Buffer.from(`csrf=${encodeURIComponent(form.fields.csrf!)}&identifier=`),
          field(id),
          Buffer.from('&password='),
          field(pw),
        ]);
        const res = await postRaw(run, form.action, body, 'application/x-www-form-urlencoded');
        expectNoCrash(res.status, res.body, 'raw bytes');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('the interaction routes under hostile requests', () => {
  it('answer random uids, methods, paths, bodies and content types without a 500', async () => {
    const run = await beginLogin(rp);
    const realUid = new URL(run.loginPage.url).pathname.split('/')[2]!;
    const uid = fc.oneof(
      fc.constant(realUid),
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.constantFrom('..', '%2e%2e', '%00', "'--", 'a'.repeat(3000)),
    );
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
    const suffix = fc.oneof(
      fc.constantFrom('', '/', '/login', '/confirm', '/abort', '/login/x'),
      fc.webPath(),
    );
    const contentType = fc.option(
      fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=latin1',
        'application/json',
        'multipart/form-data; boundary=x',
        'text/plain',
        'application/xml',
        'garbage/;;;',
      ),
      { nil: undefined },
    );
    const body = fc.oneof(
      hostileString,
      fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
      fc.constantFrom(
        '{"identifier":{"$ne":null}}',
        'identifier[]=a&identifier[]=b&password[x]=y',
        'csrf=&csrf=&csrf=',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        uid,
        method,
        suffix,
        contentType,
        body,
        fc.boolean(),
        async (u, m, s, ct, b, withCookies) => {
          const url = `${t.url}/interaction/${u === realUid ? u : encodeURIComponent(u)}${s}`;
          const res = await fetch(url, {
            method: m,
            headers: {
              ...(withCookies
                ? { cookie: [...run.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
                : {}),
              ...(ct ? { 'content-type': ct } : {}),
            },
            body: m === 'GET' || m === 'HEAD' ? undefined : b,
            redirect: 'manual',
          });
          expectNoCrash(res.status, await res.text(), `${m} ${s}`);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('garbage in the legacy password column', () => {
  const PREFIXES = [
    '',
    ' ',
    '$2y$10$',
    '$2b$',
    '$2a$04$',
    '$2y$99$',
    '$argon2id$v=19$m=65536,t=3,p=4$',
    '$argon2i$',
    '$6$',
    '$6$rounds=5000$',
    '$5$',
    '$1$',
    '$P$B',
    '$H$9',
    'pbkdf2_sha256$',
    'pbkdf2_sha256$600000$',
    'bcrypt_sha256$$2b$12$',
    'argon2$argon2id$',
    '$pbkdf2-sha256$29000$',
    '{SSHA}',
    '{SHA}',
    '{CRYPT}$6$',
    '{MD5}',
    '*',
    'sha1$',
    'md5$$',
  ];
  const tail = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.stringMatching(/^[0-9a-fA-F]{0,130}$/),
    fc.stringMatching(/^[./A-Za-z0-9+=$]{0,90}$/),
  );
  const garbage = fc
    .tuple(fc.constantFrom(...PREFIXES), tail)
    .map(([p, s]) => (p + s).slice(0, 255))
    .filter((h) => !h.includes('\u0000') || h.length > 0);
  let n = 0;

  it('makes a login with any password a plain "wrong username or password", never a 500', async () => {
    const run = await beginLogin(rp);
    const form = formOf(run.loginPage, /\/login$/);
    await fc.assert(
      fc.asyncProperty(fc.option(garbage, { nil: null }), hostileString, async (stored, password) => {
        const username = `garbage-${++n}`;
        if (stored && stored.length >= 8) registerSecret('hash', stored);
        await legacy.insertRaw(username, stored);
        const page = await run.browser.post(form.action, { ...form.fields, identifier: username, password });
        expectNoCrash(page.status, page.html, 'garbage hash');
        // 413: a body above the form limit (3 × max_password_bytes + 16 KiB), with its page.
        expect([400, 401, 413]).toContain(page.status);
      }),
      { numRuns: RUNS },
    );
  });
});
