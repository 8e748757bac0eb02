// The http source against a real legacy application over HTTP: the user-migration plugin's
// GET-then-POST and the single POST; bearer and basic auth; 404 and a refused password as a
// wrong password, 5xx, a stall and a malformed body as "unavailable"; the circuit breaker.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LegacyApp, startLegacyApp } from '../../src/demo/legacy-http.ts';
import { createLegacySource, type LegacySource } from '../../src/legacy/source.ts';
import { silentLogger } from '../../src/logger.ts';
import { legacyConfig } from './support.ts';

const USERS = [
  {
    id: 11,
    username: 'alice',
    email: 'alice@example.com',
    password: 'alice-pw',
    firstName: 'Alice',
    lastName: 'Archer',
  },
  {
    id: 12,
    username: 'bob',
    email: 'bob@example.com',
    password: 'bob-pw',
    firstName: 'Bob',
    lastName: 'Baker',
    enabled: false,
  },
];
const BEARER = 'Bearer app-token-123';

let app: LegacyApp;
const sources: LegacySource[] = [];

function source(http: Record<string, unknown>) {
  const s = createLegacySource(
    legacyConfig({
      kind: 'http',
      http: { url: `${app.url}/users`, bearer_token: 'app-token-123', ...http },
      claims: {
        email: 'email',
        given_name: 'firstName',
        family_name: 'lastName',
        preferred_username: 'username',
      },
    }),
    { logger: silentLogger },
  );
  sources.push(s);
  return s;
}

beforeAll(async () => {
  app = await startLegacyApp(USERS, { authorization: BEARER });
});
beforeEach(() => {
  app.setMode('normal');
  app.requests.length = 0;
});
afterAll(async () => {
  for (const s of sources) await s.close();
  await app?.close();
});

describe('the user-migration style (GET the user, POST the password)', () => {
  it('finds a user by name or e-mail, maps the profile and verifies the password at the application', async () => {
    const s = source({});
    const row = await s.findByIdentifier('ALICE@example.com');
    expect(row).toMatchObject({ id: '11', password: null, identifiers: ['alice', 'alice@example.com'] });
    expect(s.mapClaims(row!)).toMatchObject({
      given_name: 'Alice',
      family_name: 'Archer',
      name: 'Alice Archer',
    });
    expect(await s.verify!(row!, 'alice-pw')).toMatchObject({ match: true });
    expect(await s.verify!(row!, 'wrong')).toMatchObject({ match: false });
    expect(app.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /users/ALICE%40example.com',
      'POST /users/alice',
      'POST /users/alice',
    ]);
    expect(app.requests.every((r) => r.authorization === BEARER)).toBe(true);
    // The password travels only in a POST body, never in a URL.
    expect(JSON.stringify(app.requests)).not.toContain('alice-pw');
  });

  it('answers no user for 404 and for a disabled profile', async () => {
    const s = source({});
    expect(await s.findByIdentifier('nobody')).toBeUndefined();
    expect(await s.findByIdentifier('bob')).toBeUndefined();
  });

  it('sends basic auth when configured', async () => {
    const basicApp = await startLegacyApp(USERS, {
      authorization: `Basic ${Buffer.from('bridge:s3cret').toString('base64')}`,
    });
    try {
      const s = createLegacySource(
        legacyConfig({
          kind: 'http',
          http: { url: `${basicApp.url}/users`, basic: { username: 'bridge', password: 's3cret' } },
        }),
      );
      sources.push(s);
      expect((await s.findByIdentifier('alice'))?.id).toBe('11');
    } finally {
      await basicApp.close();
    }
  });

  it.each([
    ['a quote', "' OR 1=1 --"],
    ['a path traversal', '../admin'],
    ['a query string', 'alice?x=1'],
  ])('sends %s only as one escaped path segment', async (_name, value) => {
    const s = source({});
    expect(await s.findByIdentifier(value)).toBeUndefined();
    expect(app.requests.at(-1)?.path).toBe(`/users/${encodeURIComponent(value)}`);
  });

  it('sends nothing for a NUL byte or a 20 KB name', async () => {
    const s = source({});
    expect(await s.findByIdentifier('alice\u0000')).toBeUndefined();
    expect(await s.findByIdentifier('a'.repeat(20_000))).toBeUndefined();
    expect(app.requests).toHaveLength(0);
  });
});

describe('the single-POST style', () => {
  it('checks the password and takes the profile from the answer', async () => {
    const s = source({ style: 'post', url: `${app.url}/check` });
    const pending = (await s.findByIdentifier('alice'))!;
    const verdict = await s.verify!(pending, 'alice-pw');
    expect(verdict.match).toBe(true);
    expect(verdict.row).toMatchObject({ id: '11', identifiers: ['alice', 'alice@example.com'] });
    expect(s.mapClaims(verdict.row!)).toMatchObject({ email: 'alice@example.com' });
    expect((await s.verify!(pending, 'wrong')).match).toBe(false);
    expect((await s.verify!((await s.findByIdentifier('ghost'))!, 'x')).match).toBe(false);
    expect(app.requests[0]).toMatchObject({
      method: 'POST',
      path: '/check',
      body: { identifier: 'alice', password: '[redacted]' },
    });
  });
});

describe('an application that cannot answer is unavailable, never a wrong password', () => {
  it.each([
    ['a 5xx', 'down'],
    ['a malformed body', 'garbage'],
    ['a stall past the timeout', 'stall'],
  ] as const)('%s is legacy_unavailable', async (_name, mode) => {
    const s = source({ timeout_ms: 300 });
    app.setMode(mode);
    await expect(s.findByIdentifier('alice')).rejects.toMatchObject({
      code: 'legacy_unavailable',
      status: 503,
    });
  });

  it('a 5xx on the password check is unavailable too', async () => {
    const s = source({});
    const row = (await s.findByIdentifier('alice'))!;
    app.setMode('down');
    await expect(s.verify!(row, 'alice-pw')).rejects.toMatchObject({ code: 'legacy_unavailable' });
  });

  it('opens the circuit after consecutive failures, sends nothing while open, and tries again later', async () => {
    const s = source({ breaker: { failures: 2, reset_ms: 300 } });
    app.setMode('down');
    for (let i = 0; i < 2; i++)
      await expect(s.findByIdentifier('alice')).rejects.toMatchObject({ code: 'legacy_unavailable' });
    const sent = app.requests.length;
    await expect(s.findByIdentifier('alice')).rejects.toThrow(/CIRCUIT_OPEN/);
    expect(app.requests.length).toBe(sent);
    app.setMode('normal');
    await new Promise((r) => setTimeout(r, 350));
    expect((await s.findByIdentifier('alice'))?.id).toBe('11');
  });
});

describe('what an http source cannot do', () => {
  it('refuses the bulk import and the count, saying what to do instead', async () => {
    const s = source({});
    await expect(s.page(undefined, 10)).rejects.toMatchObject({
      code: 'legacy_not_supported',
      message: expect.stringContaining('Users migrate at their first login'),
    });
    await expect(s.count()).rejects.toMatchObject({ code: 'legacy_not_supported' });
  });
});
