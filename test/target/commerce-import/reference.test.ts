// The reference import API over real HTTP: user-import format validation, uniqueness, the Control
// password check, batches, and the fault modes the delivery worker is tested against.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildUser } from '../../../src/target/commerce-import/mapping.ts';
import { passwordFromPlain } from '../../../src/target/commerce-import/password.ts';
import {
  createReferenceTarget,
  type ReferenceTarget,
  type RunningTarget,
} from '../../../src/target/commerce-import/reference.ts';
import type { CommerceUser } from '../../../src/target/commerce-import/schema.ts';

const TOKEN = 'test-token-0123456789';
const PASSWORD = 'Pa55word!';

let target: ReferenceTarget;
let running: RunningTarget;

beforeEach(async () => {
  target = createReferenceTarget({ token: TOKEN, control: true });
  running = await target.listen();
});

afterEach(async () => {
  await running.close();
});

function user(overrides: Partial<CommerceUser> = {}): CommerceUser {
  const code = overrides.customer_code ?? '28774';
  return {
    ...buildUser(
      {
        id: code,
        first_name: 'Ayşe',
        last_name: 'Yılmaz',
        email: `user-${code}@example.com`,
        gender: 'F',
        birthday: '1990-05-17',
        accept_notifications: 1,
        created_at: new Date('2019-03-04T05:06:07Z'),
      },
      { legacyId: code },
      { kind: 'plain', password: PASSWORD, algorithm: 'sha256' },
    ),
    ...overrides,
  };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${running.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${TOKEN}`,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const importUser = (body: unknown, headers?: Record<string, string>) =>
  post('/api/users/import', body, headers);

async function get(path: string) {
  const res = await fetch(`${running.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('importing users', () => {
  it('creates a valid user and answers 201 with its customer code', async () => {
    const res = await importUser(user());
    expect(res).toMatchObject({ status: 201, body: { status: 'created', customer_code: '28774' } });
    expect(target.state.users.has('28774')).toBe(true);
  });

  it('answers a second import of the same customer code with 409 already_exists and keeps one user', async () => {
    await importUser(user());
    const again = await importUser(user({ first_name: 'Changed' }));
    expect(again).toMatchObject({ status: 409, body: { error: 'already_exists', customer_code: '28774' } });
    expect(target.state.users.size).toBe(1);
    expect(target.state.users.get('28774')?.first_name).toBe('Ayşe');
  });

  it('refuses an email another customer code holds, whatever its case, with 409 email_conflict', async () => {
    await importUser(user({ customer_code: '1', email: 'Same@Example.com' }));
    const res = await importUser(user({ customer_code: '2', email: 'same@example.COM' }));
    expect(res).toEqual(
      expect.objectContaining({ status: 409, body: { error: 'email_conflict', field: 'email' } }),
    );
    expect(target.state.users.size).toBe(1);
  });

  it('refuses an invalid user with 400 naming the field, and stores nothing', async () => {
    const res = await importUser({ ...user(), first_name: null });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'validation_error', fields: { first_name: 'is required (got null)' } });
    expect(target.state.users.size).toBe(0);
  });

  it('answers a request repeating an Idempotency-Key as it answered the first, creating nothing more', async () => {
    const key = '0b8f7c1e-9a44-4c1c-8d7e-2f5b8a6c1d00';
    const one = user();
    const first = await importUser(one, { 'idempotency-key': key });
    const again = await importUser(one, { 'idempotency-key': key });
    expect(first).toMatchObject({ status: 201, body: { status: 'created', customer_code: '28774' } });
    expect(again).toMatchObject({ status: 201, body: first.body });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(target.state.users.size).toBe(1);
    // Without the key, the same user is a duplicate as before.
    expect((await importUser(user())).status).toBe(409);
  });

  it('refuses an Idempotency-Key reused with another body with 422', async () => {
    const key = 'reused-key-1';
    await importUser(user(), { 'idempotency-key': key });
    const other = await importUser(user({ customer_code: '99', email: 'other@example.com' }), {
      'idempotency-key': key,
    });
    expect(other).toMatchObject({ status: 422, body: { error: 'idempotency_key_reused' } });
    expect(target.state.users.has('99')).toBe(false);
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const res = await importUser('{"first_name": "Ay');
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
  });

  it('requires the bearer token', async () => {
    const missing = await importUser(user(), { authorization: '' });
    const wrong = await importUser(user(), { authorization: 'Bearer nope' });
    expect([missing.status, wrong.status]).toEqual([401, 401]);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(target.state.users.size).toBe(0);
  });

  it('needs no token when none is configured', async () => {
    const open = createReferenceTarget();
    const server = await open.listen();
    try {
      const res = await fetch(server.importUrl, { method: 'POST', body: JSON.stringify(user()) });
      expect(res.status).toBe(201);
    } finally {
      await server.close();
    }
  });

  it('imports a batch and answers 200 with one result per user', async () => {
    await importUser(user({ customer_code: '1' }));
    const res = await importUser([
      user({ customer_code: '1' }),
      user({ customer_code: '2' }),
      { ...user({ customer_code: '3' }), phone: '0532' },
      user({ customer_code: '4', email: 'user-2@example.com' }),
    ]);
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { customer_code: '1', status: 409, error: 'already_exists' },
      { customer_code: '2', status: 201 },
      { customer_code: '3', status: 400, error: 'validation_error', fields: { phone: expect.any(String) } },
      { customer_code: '4', status: 409, error: 'email_conflict' },
    ]);
    expect([...target.state.users.keys()].sort()).toEqual(['1', '2']);
  });

  it('answers a batch repeating an Idempotency-Key with its first results, creating nothing more', async () => {
    const key = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const batch = [user({ customer_code: '11' }), user({ customer_code: '12', email: 'twelve@example.com' })];
    const first = await importUser(batch, { 'idempotency-key': key });
    const again = await importUser(batch, { 'idempotency-key': key });
    expect(first.body.results).toEqual([
      { customer_code: '11', status: 201 },
      { customer_code: '12', status: 201 },
    ]);
    expect(again).toMatchObject({ status: 200, body: first.body });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect([...target.state.users.keys()].sort()).toEqual(['11', '12']);
    // The same key with a batch of other users is refused.
    const other = await importUser([user({ customer_code: '13', email: 'x13@example.com' })], {
      'idempotency-key': key,
    });
    expect(other).toMatchObject({ status: 422, body: { error: 'idempotency_key_reused' } });
  });

  it('refuses an empty batch', async () => {
    expect((await importUser([])).status).toBe(400);
  });

  it('keeps every password out of the request log', async () => {
    const first = user();
    await importUser(first);
    await importUser([user({ customer_code: '2' })]);
    await importUser('{"password": "sha256$abc$');
    const log = JSON.stringify(target.state.requests);
    expect(target.state.requests.map((r) => r.status)).toEqual([201, 200, 400]);
    expect(log).not.toContain(first.password);
    expect(log).not.toContain(first.password.split('$')[2]);
    expect(log).not.toContain('sha256$');
    expect(log).toContain('[redacted]');
  });
});

describe('reading users back', () => {
  it('returns a user by customer code without its password', async () => {
    await importUser(user());
    const res = await get('/api/users/28774');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      customer_code: '28774',
      first_name: 'Ayşe',
      password_algorithm: 'sha256',
    });
    expect(res.body).not.toHaveProperty('password');
  });

  it('finds a user by email, case-insensitively, without its password', async () => {
    await importUser(user());
    const res = await get('/api/users?email=USER-28774@example.com');
    expect(res.status).toBe(200);
    expect(res.body.customer_code).toBe('28774');
    expect(res.body).not.toHaveProperty('password');
  });

  it('answers 404 for an unknown user', async () => {
    expect((await get('/api/users/404')).status).toBe(404);
    expect((await get('/api/users?email=nobody@example.com')).status).toBe(404);
  });

  it('answers 404 in JSON for an unknown path', async () => {
    expect(await get('/api/nothing-here')).toEqual({ status: 404, body: { error: 'not_found' } });
  });
});

describe('the Control password check', () => {
  it.each(['md5', 'sha1', 'sha256'] as const)(
    'accepts the right password and refuses a wrong one for a %s form made from the plain password',
    async (algorithm) => {
      const password = passwordFromPlain(PASSWORD, algorithm);
      await importUser(user({ password, password_algorithm: algorithm }));
      const check = (pw: string) =>
        post('/api/users/check', { email: 'user-28774@example.com', password: pw });
      expect((await check(PASSWORD)).body).toEqual({ valid: true });
      expect((await check(`${PASSWORD}x`)).body).toEqual({ valid: false });
    },
  );

  it('answers valid false for an unknown email', async () => {
    const res = await post('/api/users/check', { email: 'nobody@example.com', password: PASSWORD });
    expect(res).toMatchObject({ status: 200, body: { valid: false } });
  });

  it('refuses a check without an email and a password', async () => {
    expect((await post('/api/users/check', { email: 'x@example.com' })).status).toBe(400);
  });
});

describe('fault modes', () => {
  it('answers 503 to every import while down, and creates nobody', async () => {
    target.state.setMode('down');
    const statuses = [(await importUser(user())).status, (await importUser(user())).status];
    expect(statuses).toEqual([503, 503]);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(503);
    expect(target.state.users.size).toBe(0);
  });

  it('fails every other import while flaky, the first one included', async () => {
    target.state.setMode('flaky');
    const statuses: number[] = [];
    for (const code of ['1', '2', '3', '4'])
      statuses.push((await importUser(user({ customer_code: code }))).status);
    expect(statuses).toEqual([500, 201, 500, 201]);
    expect([...target.state.users.keys()].sort()).toEqual(['2', '4']);
  });

  it('delays imports while slow, and still handles them', async () => {
    target.state.setMode('slow', { delayMs: 300 });
    const started = Date.now();
    const res = await importUser(user());
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(res.status).toBe(201);
  });

  it('creates the user even when the client gave up waiting', async () => {
    target.state.setMode('slow', { delayMs: 300 });
    await expect(
      fetch(running.importUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(user()),
        signal: AbortSignal.timeout(50),
      }),
    ).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 400));
    target.state.setMode('normal');
    expect((await importUser(user())).body).toMatchObject({ error: 'already_exists' });
  });

  it('answers 429 with Retry-After to the next K imports while rate limited, then recovers', async () => {
    target.state.setMode('ratelimit', { count: 2, retryAfterSeconds: 7 });
    const first = await importUser(user());
    const second = await importUser(user());
    const third = await importUser(user());
    expect([first.status, second.status, third.status]).toEqual([429, 429, 201]);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(target.state.mode).toBe('normal');
  });

  it('logs refused requests with the status and error they were answered', async () => {
    target.state.setMode('down');
    await importUser(user());
    expect(target.state.requests).toEqual([
      {
        at: expect.any(Number),
        status: 503,
        error: 'unavailable',
        body: expect.objectContaining({ password: '[redacted]' }),
      },
    ]);
  });

  it('switches modes through the control endpoint', async () => {
    const res = await post('/_control/mode', { mode: 'down' });
    expect(res.body).toEqual({ mode: 'down' });
    expect((await importUser(user())).status).toBe(503);
    await post('/_control/reset', {});
    expect(target.state.mode).toBe('normal');
    expect(target.state.requests).toEqual([]);
  });

  it('forgets users and requests on reset', async () => {
    await importUser(user());
    target.state.setMode('down');
    target.state.reset();
    expect([target.state.users.size, target.state.requests.length, target.state.mode]).toEqual([
      0,
      0,
      'normal',
    ]);
    expect((await importUser(user())).status).toBe(201);
  });
});

it('answers the health check', async () => {
  const res = await fetch(`${running.url}/healthz`);
  expect(res.status).toBe(200);
});
