// The login path's hashing against a real MariaDB legacy table and a real PostgreSQL store:
// a per-row scheme column (Gitea's passwd_hash_algo) mapped to schemes, and the re-hash of a
// bridge hash made with other argon2id parameters, which never fails the login.
import { pbkdf2Sync } from 'node:crypto';
import argon2 from 'argon2';
import bcrypt from 'bcrypt';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { closeWorkerPool } from '../../src/hashing/registry.ts';
import { createLegacySource, type LegacySource } from '../../src/legacy/source.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { type Accounts, createAccounts } from '../../src/migration/accounts.ts';
import { createLogin } from '../../src/migration/login.ts';
import { createAudit } from '../../src/security/audit.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createTargetFormat } from '../../src/target/registry.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { registerSecret } from '../support/secrets.ts';

const PBKDF2_PW = registerSecret('password', 'gitea-pbkdf2-pw');
const BCRYPT_PW = registerSecret('password', 'gitea-bcrypt-pw');
const ODD_PW = registerSecret('password', 'gitea-odd-algo-pw');

let legacyDb: TestDatabase;
let storeDb: TestDatabase;
let store: Store;
let legacy: LegacySource;
let accounts: Accounts;

const config = () =>
  parseConfig({
    database: storeDb.url,
    legacy: {
      connection: legacyDb.url,
      table: 'user',
      identifiers: ['name'],
      columns: { password: 'passwd', salt: 'salt', scheme: 'passwd_hash_algo' },
      password: {
        scheme: 'bcrypt',
        schemes: { bcrypt: 'bcrypt', pbkdf2: 'pbkdf2_sha256(password, salt, 10000, 50)' },
      },
      claims: { email: 'email' },
    },
  });

function login(deps: { accounts?: Accounts } = {}) {
  const cfg = config();
  return createLogin({
    target: createTargetFormat(cfg.target),
    box: createSecretBox(cfg.key_encryption_key),
    config: cfg,
    db: store.db,
    accounts: deps.accounts ?? accounts,
    legacy,
    audit: createAudit(store.db, silentLogger),
    metrics: createMetrics({ defaultMetrics: false }),
    logger: silentLogger,
  });
}

beforeAll(async () => {
  legacyDb = await createMariaDatabase('hashlogin');
  storeDb = await createPgDatabase('hashlogin');
  const conn = await mysql.createConnection({ uri: legacyDb.url });
  await conn.query(
    'CREATE TABLE user (id INT PRIMARY KEY, name VARCHAR(64), email VARCHAR(128), passwd VARCHAR(255), salt VARCHAR(64), passwd_hash_algo VARCHAR(32))',
  );
  // Gitea's pbkdf2: hex of pbkdf2-sha256(password, salt, 10000, 50) (modules/auth/password/hash/pbkdf2.go).
  const key = pbkdf2Sync(PBKDF2_PW, 'a1b2c3d4e5', 10_000, 50, 'sha256').toString('hex');
  await conn.query('INSERT INTO user VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)', [
    1,
    'pbkdf2-user',
    'p@example.com',
    key,
    'a1b2c3d4e5',
    'pbkdf2',
    2,
    'bcrypt-user',
    'b@example.com',
    bcrypt.hashSync(BCRYPT_PW, 4),
    '',
    'bcrypt',
    3,
    'odd-user',
    'o@example.com',
    bcrypt.hashSync(ODD_PW, 4),
    '',
    'md5-of-something',
  ]);
  await conn.end();
  store = createStore({ database: storeDb.url });
  await store.migrate();
  legacy = createLegacySource(config().legacy!, { logger: silentLogger });
  accounts = createAccounts(store.db);
});

afterAll(async () => {
  await legacy?.close();
  await store?.close();
  await storeDb?.drop();
  await legacyDb?.drop();
  await closeWorkerPool();
});

describe('a scheme column mapped to schemes', () => {
  it('verifies each row with the scheme its column names', async () => {
    const l = login();
    expect(await l.authenticate({ identifier: 'pbkdf2-user', password: PBKDF2_PW })).toMatchObject({
      ok: true,
      migrated: true,
    });
    expect(await l.authenticate({ identifier: 'bcrypt-user', password: BCRYPT_PW })).toMatchObject({
      ok: true,
      migrated: true,
    });
    expect(await accounts.findBySub('1')).toMatchObject({
      legacy_scheme: 'pbkdf2_sha256(password, salt, 10000, 50)',
    });
  });

  it('refuses a row whose algorithm the map does not name, as an unusable hash', async () => {
    expect(await login().authenticate({ identifier: 'odd-user', password: ODD_PW })).toEqual({
      ok: false,
      reason: 'hash_unusable',
    });
  });
});

describe('bridge hashes made with other argon2id parameters', () => {
  it('are re-hashed with the current parameters after a successful login', async () => {
    const weaker = await argon2.hash(BCRYPT_PW, {
      type: argon2.argon2id,
      memoryCost: 4096,
      timeCost: 1,
      parallelism: 1,
    });
    await accounts.updatePassword('2', weaker);
    expect(await login().authenticate({ identifier: 'bcrypt-user', password: BCRYPT_PW })).toMatchObject({
      ok: true,
      source: 'bridge',
    });
    const upgraded = (await accounts.findBySub('2'))!.password_hash!;
    expect(upgraded).not.toBe(weaker);
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await argon2.verify(upgraded, BCRYPT_PW)).toBe(true);
  });

  it('never fail the login when the re-hash cannot be stored', async () => {
    const weaker = await argon2.hash(BCRYPT_PW, {
      type: argon2.argon2id,
      memoryCost: 4096,
      timeCost: 1,
      parallelism: 1,
    });
    await accounts.updatePassword('2', weaker);
    const failing: Accounts = {
      ...accounts,
      updatePassword: () => Promise.reject(new Error('the store refused the write')),
    };
    expect(
      await login({ accounts: failing }).authenticate({ identifier: 'bcrypt-user', password: BCRYPT_PW }),
    ).toMatchObject({
      ok: true,
    });
    expect((await accounts.findBySub('2'))!.password_hash).toBe(weaker);
  });
});
