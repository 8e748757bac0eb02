// Faults at runtime, through TCP proxies the test owns (the shared servers are never
// stopped): a legacy table that disappears or loses its grant, a bridge store that is cut,
// and a store that stalls. Each is an outage: a 503 page with Retry-After, counted, named by
// /readyz and explained to the operator; nothing hangs and nothing answers 500.
import { randomBytes } from 'node:crypto';
import knexPkg from 'knex';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacyTable, type LegacyTable } from '../security/support.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { createPgDatabase, PG_ADMIN_URL, type TestDatabase } from '../support/databases.ts';
import { beginLogin, consentIfAsked, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import { type TcpProxy, tcpProxy } from '../support/tcp-proxy.ts';

const SECRET = 'faults-client-secret-4471';
const USERS = ['una', 'ugo', 'uri', 'ula', 'uwe'].map((u) => ({
  username: u,
  email: `${u}@faults.example`,
  password: `Password-of-${u}-9921`,
}));

let legacy: LegacyTable;
let storeDb: TestDatabase;
let proxy: TcpProxy;
let t: TestBridge;
let rp: oidc.Configuration;
const role = `obr_${process.pid}_${randomBytes(3).toString('hex')}`;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

async function readyz() {
  return timed(async () => {
    const res = await fetch(`${t.url}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
  });
}

async function legacyErrorCount(code: string): Promise<number> {
  return (await t.bridge.metrics.legacyErrors.get()).values.find((v) => v.labels.code === code)?.value ?? 0;
}

beforeAll(async () => {
  legacy = await createLegacyTable('postgres', USERS, { cost: 4 });
  // The legacy user is an ordinary role, so that its grant can be taken away.
  await legacy.withDb(async (db) => {
    await db.raw(`CREATE ROLE "${role}" LOGIN`);
    await db.raw(`GRANT SELECT ON users TO "${role}"`);
  });
  const legacyUrl = new URL(legacy.database.url);
  legacyUrl.username = role;
  storeDb = await createPgDatabase();
  proxy = await tcpProxy(Number(new URL(storeDb.url).port || 5432));
  const proxied = new URL(storeDb.url);
  proxied.port = String(proxy.port);
  t = await startTestBridge(
    {
      legacy: { ...legacy.config, connection: legacyUrl.toString() },
      store: { statement_timeout_ms: 700, acquire_timeout_ms: 700 },
    },
    { database: { ...storeDb, url: proxied.toString() } },
  );
  await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET });
  rp = await relyingParty(t.url, 'app', SECRET);
});

afterAll(async () => {
  await t?.close();
  await proxy?.close();
  await storeDb?.drop();
  await legacy?.drop();
  const admin = knexPkg.knex({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`DROP ROLE IF EXISTS "${role}"`).finally(() => admin.destroy());
});

describe('a legacy table that disappears while the bridge runs', () => {
  it('answers an unmigrated user 503 with Retry-After, counts it, and /readyz names it', async () => {
    const before = await legacyErrorCount('legacy_schema_missing');
    await legacy.withDb((db) => db.raw('ALTER TABLE users RENAME TO users_gone'));
    try {
      const run = await beginLogin(rp);
      const page = await submitLogin(run, 'una', USERS[0]!.password);
      expect(page.status).toBe(503);
      expect(page.html).toContain('temporarily unavailable');
      expect(await legacyErrorCount('legacy_schema_missing')).toBe(before + 1);
      const ready = await readyz();
      expect(ready.value.status).toBe(503);
      expect(ready.value.body.checks.legacy).toBe('missing');
      const line = t.logs.find((l) => l.includes('no longer fits the configuration'));
      expect(line).toBeDefined();
      expect(line).toContain('Table users does not exist');
      expect(line).toContain('Fix:');
      expect(t.logs.join('\n')).not.toContain(USERS[0]!.password);
    } finally {
      await legacy.withDb((db) => db.raw('ALTER TABLE users_gone RENAME TO users'));
    }
    const run = await beginLogin(rp);
    const back = await consentIfAsked(run, await submitLogin(run, 'una', USERS[0]!.password));
    expect(back.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await readyz()).value.status).toBe(200);
  });

  it('answers 503 when the grant to read the table is revoked, and the log says to grant it', async () => {
    await legacy.withDb((db) => db.raw(`REVOKE SELECT ON users FROM "${role}"`));
    try {
      const run = await beginLogin(rp);
      const page = await submitLogin(run, 'ugo', USERS[1]!.password);
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBeTruthy();
      expect((await readyz()).value.body.checks.legacy).toBe('missing');
      expect(t.logs.some((l) => l.includes('GRANT SELECT ON users'))).toBe(true);
    } finally {
      await legacy.withDb((db) => db.raw(`GRANT SELECT ON users TO "${role}"`));
    }
  });
});

describe('a bridge store that is cut', () => {
  it('answers the login POST, /auth and /readyz with 503 and Retry-After, then recovers', async () => {
    const run = await beginLogin(rp);
    await proxy.stop();
    try {
      const page = await submitLogin(run, 'uri', USERS[2]!.password);
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('5');
      expect(page.html).not.toMatch(/\n\s+at .+:\d+:\d+/);
      // /auth tells the client, as OAuth defines for an outage (RFC 6749, 4.1.2.1).
      const auth = await fetch(run.authorizationUrl, {
        redirect: 'manual',
        headers: { accept: 'text/html' },
      });
      expect(auth.status).toBe(303);
      const back = new URL(auth.headers.get('location') ?? '');
      expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
      expect(back.searchParams.get('error')).toBe('temporarily_unavailable');
      // The token endpoint answers 503 with Retry-After.
      const token = await fetch(`${t.url}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`app:${SECRET}`).toString('base64')}`,
        },
        body: 'grant_type=authorization_code&code=nothing&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb',
      });
      expect(token.status).toBe(503);
      expect(token.headers.get('retry-after')).toBe('5');
      expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });
      const ready = await readyz();
      expect(ready.value.status).toBe(503);
      expect(ready.value.body.checks.store).toBe('unreachable');
    } finally {
      await proxy.start();
    }
    const again = await beginLogin(rp);
    const back = await consentIfAsked(again, await submitLogin(again, 'uri', USERS[2]!.password));
    expect(back.url.startsWith(REDIRECT_URI)).toBe(true);
  });
});

describe('a bridge store that stalls', () => {
  it('answers /readyz within two seconds and the login POST with 503 within the store limits', async () => {
    const run = await beginLogin(rp);
    proxy.stall();
    try {
      const ready = await readyz();
      expect(ready.ms).toBeLessThan(2000);
      expect(ready.value.status).toBe(503);
      expect(ready.value.body.checks.store).toBe('timeout');
      const login = await timed(() => submitLogin(run, 'ula', USERS[3]!.password));
      expect(login.value.status).toBe(503);
      expect(login.value.headers.get('retry-after')).toBe('5');
      expect(login.ms).toBeLessThan(5000);
    } finally {
      proxy.resume();
    }
  });

  it('sets the HTTP server timeouts against slow clients', async () => {
    expect(t.server.headersTimeout).toBe(15_000);
    expect(t.server.requestTimeout).toBe(30_000);
    expect(t.server.keepAliveTimeout).toBe(5000);
  });
});
