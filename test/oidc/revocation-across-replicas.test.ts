// Two bridges sharing one PostgreSQL store, as two replicas behind a load balancer: the
// token path reads a token with its grant and session in one statement, and keeps nothing
// of them past the request, so a token, grant or session revoked through one replica is
// refused by the other at its very next request.
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { createPayloads } from '../../src/sessions/payloads.ts';
import { createSessions } from '../../src/sessions/sessions.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { exchange, loginThroughBrowser, REDIRECT_URI, relyingParty } from '../support/rp.ts';

const SECRET = 'replica-client-secret-7741';
const PASSWORD = 'replica password 7742';

let database: TestDatabase;
let a: TestBridge;
let b: TestBridge;
let rpA: oidc.Configuration;
let rpB: oidc.Configuration;

beforeAll(async () => {
  database = await createPgDatabase();
  const shared = { key_encryption_key: randomBytes(32).toString('base64') };
  a = await startTestBridge(shared, { database });
  b = await startTestBridge(shared, { database });
  await a.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
  await a.bridge.store.db.transaction(async (trx) => {
    await createAccounts(a.bridge.store.db).insert(trx, {
      sub: 'replica-user',
      passwordHash: await hashBridgePassword(PASSWORD),
      claims: { email: 'ada@example.com' },
      source: 'local',
      identifiers: ['ada', 'ada@example.com'],
    });
  });
  rpA = await relyingParty(a.url, 'app', SECRET);
  rpB = await relyingParty(b.url, 'app', SECRET);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await database?.drop();
});

/** The account's sessions and grants, as bridge A's console ends them. */
const sessionsOfA = () => createSessions(a.bridge.store.db, createPayloads(a.bridge.store.db, undefined));

async function tokens() {
  const { run, callbackUrl } = await loginThroughBrowser(rpA, 'ada', PASSWORD);
  return exchange(rpA, run, callbackUrl);
}

async function userinfo(t: TestBridge, accessToken: string): Promise<number> {
  const res = await fetch(`${t.url}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  await res.arrayBuffer();
  return res.status;
}

describe('two bridges sharing a store', () => {
  it('read the access token, its grant and its session in one statement on userinfo', async () => {
    const t = await tokens();
    expect(await userinfo(b, t.access_token)).toBe(200);
    const statements: string[] = [];
    const count = (q: { sql: string }) => statements.push(q.sql);
    b.bridge.store.db.on('query', count);
    try {
      expect(await userinfo(b, t.access_token)).toBe(200);
    } finally {
      b.bridge.store.db.off('query', count);
    }
    expect(statements).toHaveLength(1);
  });

  it('refuse an access token revoked through the other at once, on userinfo and introspection', async () => {
    const t = await tokens();
    expect(await userinfo(a, t.access_token)).toBe(200);
    expect(await userinfo(b, t.access_token)).toBe(200);
    expect((await oidc.tokenIntrospection(rpB, t.access_token)).active).toBe(true);

    await oidc.tokenRevocation(rpA, t.access_token);

    expect(await userinfo(b, t.access_token)).toBe(401);
    expect(await userinfo(a, t.access_token)).toBe(401);
    expect((await oidc.tokenIntrospection(rpB, t.access_token)).active).toBe(false);
  });

  it('refuse every token of a grant ended through the other at once: userinfo, introspection, refresh', async () => {
    const t = await tokens();
    expect(await userinfo(b, t.access_token)).toBe(200);
    expect((await oidc.tokenIntrospection(rpB, t.refresh_token!)).active).toBe(true);

    await sessionsOfA().revokeAccess('replica-user');

    expect(await userinfo(b, t.access_token)).toBe(401);
    expect((await oidc.tokenIntrospection(rpB, t.access_token)).active).toBe(false);
    expect((await oidc.tokenIntrospection(rpB, t.refresh_token!)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(rpB, t.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('refuse an access token whose session was ended through the other at once', async () => {
    const t = await tokens();
    expect(await userinfo(b, t.access_token)).toBe(200);

    await sessionsOfA().revokeAll('replica-user');

    expect(await userinfo(b, t.access_token)).toBe(401);
    expect((await oidc.tokenIntrospection(rpB, t.access_token)).active).toBe(false);
  });
});
