// The import guide's exact be_users table on MariaDB, with a user of the example row's shape (NULL names
// and all) holding a PHP $2y$10$ hash, logs in through a real relying party (openid-client):
// the account is migrated with an argon2id re-hash, the tokens carry the mapped claims, a
// second login works with the legacy database stopped, and every failure gets its page.
import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_HASH, loadBeUsers } from '../legacy/support.ts';
import { legacyLookups, startTestBridge, type TestBridge } from '../support/bridge.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import {
  beginLogin,
  exchange,
  loginThroughBrowser,
  REDIRECT_URI,
  relyingParty,
  submitLogin,
} from '../support/rp.ts';
import { type TcpProxy, tcpProxy } from '../support/tcp-proxy.ts';

const PASSWORD = 'Bal-test-2024!';
const SECRET = 'be-users-client-secret';
let hash2y: string;
let legacyDb: TestDatabase;
let proxy: TcpProxy;
let t: TestBridge;
let rp: oidc.Configuration;

beforeAll(async () => {
  hash2y = (await bcrypt.hash(PASSWORD, 10)).replace(/^\$2b\$/, '$2y$');
  legacyDb = await createMariaDatabase();
  // The import guide's example row (id 28774, whose 57-character hash is truncated) plus a user of the
  // same shape with a whole $2y$10$ hash, and one with garbage in the password column.
  await loadBeUsers(
    legacyDb.url,
    `INSERT IGNORE INTO be_users (id, first_name, last_name, username, email, password, gender, birthday, accept_notifications, accept_sharing, accept_personal_data, remember_token, is_logged, created_at, updated_at) VALUES
      (28775, NULL, NULL, 'testuser-php', 'testuser-php@example.com', '${hash2y}', NULL, NULL, NULL, NULL, NULL, NULL, '0', NULL, NULL),
      (28776, 'Mal', 'Formed', 'broken', 'broken@example.com', '$2y$10$this-is-not-a-hash', 'F', NULL, 1, NULL, NULL, NULL, '0', NOW(), NULL);`,
  );
  proxy = await tcpProxy(3306);
  const legacyUrl = new URL(legacyDb.url);
  legacyUrl.port = String(proxy.port);
  t = await startTestBridge({
    legacy: {
      connection: legacyUrl.toString(),
      table: 'be_users',
      identifiers: ['username', 'email'],
      columns: { id: 'id', password: 'password' },
      claims: {
        email: 'email',
        given_name: 'first_name',
        family_name: 'last_name',
        preferred_username: 'username',
      },
      query_timeout_ms: 1500,
    },
  });
  await t.addClient({ id: 'shop', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
  rp = await relyingParty(t.url, 'shop', SECRET);
});

afterAll(async () => {
  await t?.close();
  await proxy?.close();
  await legacyDb?.drop();
});

describe('a legacy be_users user with a PHP $2y$10$ hash', () => {
  it('completes the whole OIDC flow, and the id_token and userinfo carry the mapped claims', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'testuser-php', PASSWORD);
    const tokens = await exchange(rp, run, callbackUrl);
    const jwks = jose.createRemoteJWKSet(new URL(`${t.url}/jwks`));
    const { payload } = await jose.jwtVerify(tokens.id_token!, jwks, { issuer: t.url, audience: 'shop' });
    expect(payload.sub).toBe('28775');
    expect(payload.email).toBe('testuser-php@example.com');
    expect(payload.preferred_username).toBe('testuser-php');
    expect(payload).not.toHaveProperty('given_name'); // NULL in the example row's shape
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, '28775');
    expect(info).toMatchObject({
      sub: '28775',
      email: 'testuser-php@example.com',
      preferred_username: 'testuser-php',
    });
  });

  it('created the bridge account with an argon2id re-hash, its identifiers and the scheme it came from', async () => {
    const account = await t.bridge.store.db('accounts').where({ sub: '28775' }).first();
    expect(account.source).toBe('legacy');
    expect(account.legacy_id).toBe('28775');
    expect(account.legacy_scheme).toBe('bcrypt');
    expect(account.password_hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(account.migrated_at).toBeInstanceOf(Date);
    const ids = await t.bridge.store.db('account_identifiers').where({ sub: '28775' }).pluck('identifier');
    expect(ids.sort()).toEqual(['testuser-php', 'testuser-php@example.com']);
  });

  it('logs in a second time with the legacy database stopped', async () => {
    await proxy.stop();
    try {
      const before = await legacyLookups(t.bridge);
      const { run, callbackUrl } = await loginThroughBrowser(rp, 'TestUser-PHP@example.com', PASSWORD);
      const tokens = await exchange(rp, run, callbackUrl);
      expect(tokens.claims()?.sub).toBe('28775');
      // The coexistence re-check tries the legacy row once, finds the database gone, and lets
      // the migrated user in (when_unreachable: open); nothing else asks the legacy database.
      expect(await legacyLookups(t.bridge)).toBe(before + 1);
    } finally {
      await proxy.start();
    }
  });
});

describe('failures get the right page and never a 500', () => {
  async function attempt(identifier: string, password: string) {
    const run = await beginLogin(rp);
    return submitLogin(run, identifier, password);
  }

  it('answers a wrong password with 401 and the generic message, and creates nothing', async () => {
    const page = await attempt('testuser-bal', 'not the password');
    expect(page.status).toBe(401);
    expect(page.html).toContain('Wrong username or password.');
    expect(await t.bridge.store.db('accounts').where({ legacy_id: '28774' }).first()).toBeUndefined();
  });

  it('answers an unknown user with the same 401 page', async () => {
    const page = await attempt('nobody-here', 'whatever');
    expect(page.status).toBe(401);
    expect(page.html).toContain('Wrong username or password.');
  });

  it("answers a row with a malformed hash (the import guide's truncated example) with 401, and logs the reason", async () => {
    const total = async () =>
      (await t.bridge.metrics.unusableHashes.get()).values.reduce((s, v) => s + v.value, 0);
    const before = await total();
    const page = await attempt('broken', 'whatever');
    expect(page.status).toBe(401);
    expect(page.html).toContain('Wrong username or password.');
    const seed = await attempt('testuser-bal@example.com', 'whatever');
    expect(seed.status).toBe(401);
    expect((await total()) - before).toBe(2);
    expect(
      t.logs.some((l) => l.includes('legacy hash cannot be used') && l.includes('"reason":"malformed"')),
    ).toBe(true);
    const audit = await t.bridge.store
      .db('audit_events')
      .where({ type: 'login', reason: 'hash_unusable', identifier: 'broken' });
    expect(audit.length).toBe(1);
  });

  it('answers with 503 and "temporarily unavailable" when the legacy database is down', async () => {
    await proxy.stop();
    try {
      const page = await attempt('someone-new', 'whatever');
      expect(page.status).toBe(503);
      expect(page.html).toContain('temporarily unavailable');
    } finally {
      await proxy.start();
    }
  });

  it('refuses a 100 KB password with 400 before hashing', async () => {
    const page = await attempt('testuser-php', 'x'.repeat(100 * 1024));
    expect(page.status).toBe(400);
    expect(page.html).toContain('longer than the 1024 characters allowed');
  });

  it('never wrote a password or a hash into a log line', () => {
    const all = t.logs.join('\n');
    for (const secret of [PASSWORD, hash2y, EXAMPLE_HASH, '$2y$10$this-is-not-a-hash', SECRET]) {
      expect(all.includes(secret)).toBe(false);
    }
    expect(t.logs.length).toBeGreaterThan(5);
  });
});

describe('the same flow against a PostgreSQL legacy table with a separate salt column', () => {
  let pgLegacy: TestDatabase;
  let t2: TestBridge;
  let rp2: oidc.Configuration;
  const hex = (alg: string, s: string) => createHash(alg).update(s).digest('hex');

  beforeAll(async () => {
    pgLegacy = await createPgDatabase('obt_legacy');
    const knexPkg = (await import('knex')).default;
    const db = knexPkg.knex({ client: 'pg', connection: pgLegacy.url });
    await db.raw(
      `CREATE TABLE members (id serial primary key, login text not null unique, mail text not null, pw_hash text not null, pw_salt text, given text, family text)`,
    );
    await db('members').insert([
      {
        login: 'sha-user',
        mail: 'Sha.User@Example.com',
        pw_hash: hex('sha256', `NaCl42${'sha pass'}`),
        pw_salt: 'NaCl42',
        given: 'Sha',
        family: 'Two',
      },
      {
        login: 'md5-user',
        mail: 'md5@example.com',
        pw_hash: hex('md5', `pepper${'md5 pass'}`).toUpperCase(),
        pw_salt: 'pepper',
        given: 'Em',
        family: 'Dee',
      },
    ]);
    await db.destroy();
    t2 = await startTestBridge({
      legacy: {
        connection: pgLegacy.url,
        table: 'members',
        identifiers: ['login', 'mail'],
        case_insensitive: ['mail'],
        columns: { id: 'id', password: 'pw_hash', salt: 'pw_salt' },
        claims: { email: 'mail', given_name: 'given', family_name: 'family', preferred_username: 'login' },
      },
    });
    await t2.addClient({ id: 'pg-app', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
    rp2 = await relyingParty(t2.url, 'pg-app', SECRET);
  });

  afterAll(async () => {
    await t2?.close();
    await pgLegacy?.drop();
  });

  it('logs in a salted sha256 user by email in any case and issues the mapped claims', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp2, 'sha.user@example.COM', 'sha pass');
    const tokens = await exchange(rp2, run, callbackUrl);
    expect(tokens.claims()).toMatchObject({
      sub: '1',
      email: 'Sha.User@Example.com',
      given_name: 'Sha',
      family_name: 'Two',
    });
    const account = await t2.bridge.store.db('accounts').where({ sub: '1' }).first();
    expect(account.legacy_scheme).toBe('sha256(salt + password)');
  });

  it('logs in a salted md5 user whose digest is stored in upper-case hex', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp2, 'md5-user', 'md5 pass');
    const tokens = await exchange(rp2, run, callbackUrl);
    const info = await oidc.fetchUserInfo(rp2, tokens.access_token, '2');
    expect(info).toMatchObject({ preferred_username: 'md5-user', email: 'md5@example.com' });
  });

  it('refuses the salted user with a wrong password and creates nothing', async () => {
    const run = await beginLogin(rp2);
    const page = await submitLogin(run, 'md5-user2', 'md5 pass');
    expect(page.status).toBe(401);
    expect(await t2.bridge.store.db('accounts').count({ n: '*' }).first()).toEqual({ n: 2 });
  });
});
