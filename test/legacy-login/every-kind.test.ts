// End to end through openid-client, one stock user store per kind: WordPress on MariaDB
// (names from wp_usermeta through legacy.query), Django's auth_user on PostgreSQL (is_active,
// empty names defaulted), Laravel's users in a SQLite file (one name split, email_verified_at),
// the legacy application's HTTP check in both styles, and OpenLDAP with a disabled user.
// Each time the target receives, field for field, the payload `legacy check` previewed.
import { pbkdf2Sync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import Database from 'better-sqlite3';
import knexPkg from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LegacyApp, startLegacyApp } from '../../src/demo/legacy-http.ts';
import { createMetrics } from '../../src/metrics.ts';
import { type DeliveryWorker, startDeliveryWorker } from '../../src/migration/worker.ts';
import {
  createReferenceTarget,
  type ReferenceTarget,
  type RunningTarget,
} from '../../src/target/commerce-import/reference.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { runBin } from '../support/cli.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import {
  beginLogin,
  exchange,
  loginThroughBrowser,
  REDIRECT_URI,
  relyingParty,
  submitLogin,
} from '../support/rp.ts';
import { ldapLegacyConfig, type Slapd, startSlapd } from '../support/slapd.ts';
import { waitFor } from '../support/wait.ts';

const SECRET = 'every-kind-client-secret';
let dir: string;
let target: ReferenceTarget;
let running: RunningTarget;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'every-kind-'));
  target = createReferenceTarget();
  running = await target.listen(0, '127.0.0.1');
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  await running?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const bcryptHash = async (pw: string) => (await bcrypt.hash(pw, 4)).replace('$2b$', '$2y$');

function djangoHash(pw: string): string {
  const salt = 'Zs0m3Salt';
  const digest = pbkdf2Sync(pw, salt, 1000, 32, 'sha256').toString('base64');
  return `pbkdf2_sha256$1000$${salt}$${digest}`;
}

/**
 * Runs one store through the whole path: `legacy check` previews, a login through
 * openid-client migrates, the worker delivers, and the target's copy equals the preview.
 */
async function scenario(opts: {
  legacy: Record<string, unknown>;
  mapping?: Record<string, string>;
  defaults?: Record<string, unknown>;
  user: string;
  password: string;
  legacyId: string;
  claims: Record<string, unknown>;
}): Promise<{ t: TestBridge; rp: Awaited<ReturnType<typeof relyingParty>> }> {
  const targetSection = {
    type: 'commerce-import',
    url: running.importUrl,
    timeout_ms: 3000,
    mapping: opts.mapping ?? {},
    defaults: opts.defaults ?? {},
  };
  const configFile = join(dir, `config-${opts.legacyId}.yaml`);
  writeFileSync(configFile, JSON.stringify({ legacy: opts.legacy, target: targetSection }));
  const check = await runBin([
    'legacy',
    'check',
    '--config',
    configFile,
    '--user',
    opts.user,
    '--password',
    opts.password,
    '--json',
  ]);
  // Node 20 gets oidc-provider's runtime warning on stderr; nothing else may be there.
  expect(check.stderr.replace(/^oidc-provider WARNING: Unsupported runtime.*\n?/m, '')).toBe('');
  expect(check.code).toBe(0);
  const preview = JSON.parse(check.stdout) as {
    legacy_id: string;
    payload: Record<string, unknown>;
    payload_problems: unknown;
  };
  expect(preview.legacy_id).toBe(opts.legacyId);
  expect(preview.payload_problems).toBeNull();

  const t = await startTestBridge({
    legacy: opts.legacy,
    target: targetSection,
    worker: { base_delay_ms: 50, max_delay_ms: 200, poll_interval_ms: 50 },
  });
  const worker: DeliveryWorker = startDeliveryWorker({
    ...t.bridge,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  cleanups.push(async () => {
    await worker.stop();
    await t.close();
  });
  await t.addClient({ id: 'shop', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
  const rp = await relyingParty(t.url, 'shop', SECRET);
  const { run, callbackUrl } = await loginThroughBrowser(rp, opts.user, opts.password);
  const tokens = await exchange(rp, run, callbackUrl);
  expect(tokens.claims()?.sub).toBe(opts.legacyId);
  const userinfo = await (await import('openid-client')).fetchUserInfo(
    rp,
    tokens.access_token,
    opts.legacyId,
  );
  expect(userinfo).toMatchObject(opts.claims);

  await waitFor(
    () => t.bridge.store.db('outbox').where({ sub: opts.legacyId }).first(),
    (j) => j?.status === 'delivered',
  );
  const received = { ...target.state.users.get(opts.legacyId)! } as Record<string, unknown>;
  const shown = { ...preview.payload };
  for (const field of ['password', 'password_algorithm']) {
    delete received[field];
    delete shown[field];
  }
  expect(Object.keys(received).sort()).toEqual(Object.keys(shown).sort());
  for (const field of Object.keys(shown)) {
    expect({ field, value: received[field] }).toEqual({ field, value: shown[field] });
  }
  return { t, rp };
}

describe('every legacy store kind, end to end', () => {
  it('WordPress on MariaDB: names from wp_usermeta through legacy.query', async () => {
    const db: TestDatabase = await createMariaDatabase('wpe2e');
    cleanups.push(() => db.drop());
    const k = knexPkg.knex({ client: 'mysql2', connection: db.url, pool: { min: 0, max: 1 } });
    await k.raw(`create table wp_users (ID bigint unsigned primary key, user_login varchar(60), user_email varchar(100),
      user_pass varchar(255), user_registered datetime)`);
    await k.raw(
      `create table wp_usermeta (umeta_id bigint primary key auto_increment, user_id bigint unsigned, meta_key varchar(255), meta_value longtext)`,
    );
    await k.raw(`insert into wp_users values (101, 'wpana', 'ana@wp.example', ?, '2019-04-05 06:07:08')`, [
      await bcryptHash('wp-pass-1'),
    ]);
    await k.raw(
      `insert into wp_usermeta (user_id, meta_key, meta_value) values (101, 'first_name', 'Ana'), (101, 'last_name', 'Press')`,
    );
    await k.destroy();
    await scenario({
      legacy: {
        connection: db.url,
        query: `SELECT u.ID AS id, u.user_login AS username, u.user_email AS email, u.user_pass AS password,
          u.user_registered AS created_at, fn.meta_value AS first_name, ln.meta_value AS last_name
          FROM wp_users u
          LEFT JOIN wp_usermeta fn ON fn.user_id = u.ID AND fn.meta_key = 'first_name'
          LEFT JOIN wp_usermeta ln ON ln.user_id = u.ID AND ln.meta_key = 'last_name'`,
      },
      user: 'wpana',
      password: 'wp-pass-1',
      legacyId: '101',
      claims: { given_name: 'Ana', family_name: 'Press', email: 'ana@wp.example' },
    });
  });

  it('a MariaDB shop table with BIT(1), tinyint, timestamp and NULL: the login delivers what legacy check previewed', async () => {
    const db: TestDatabase = await createMariaDatabase('bite2e');
    cleanups.push(() => db.drop());
    const k = knexPkg.knex({ client: 'mysql2', connection: db.url, pool: { min: 0, max: 1 } });
    await k.raw(`create table customers (id bigint unsigned primary key, username varchar(50), email varchar(100),
      password varchar(100), first_name varchar(50), last_name varchar(50), gender char(1), birthday date null,
      accept_notifications bit(1), sms tinyint(1), call_ok bit(1), email_verified_at datetime null,
      created_at timestamp null, phone varchar(20) null)`);
    await k.raw(
      `insert into customers values (9007199254740993, 'bits', 'bits@shop.example', ?, 'Bit', 'Flag', 'F', '1990-05-06',
        b'1', 1, b'0', '2024-02-03 04:05:06', '2020-01-02 03:04:05', null)`,
      [await bcryptHash('bit-pass-1')],
    );
    await k.destroy();
    await scenario({
      legacy: { connection: db.url, table: 'customers' },
      mapping: { sms_allowed: 'sms', call_allowed: 'call_ok', verified: 'email_verified_at', phone: 'phone' },
      user: 'bits',
      password: 'bit-pass-1',
      legacyId: '9007199254740993',
      claims: { given_name: 'Bit', family_name: 'Flag' },
    });
    expect(target.state.users.get('9007199254740993')).toMatchObject({
      email_allowed: true,
      sms_allowed: true,
      call_allowed: false,
      verified: true,
      phone: null,
    });
  });

  it('Django auth_user on PostgreSQL: is_active, and empty names defaulted', async () => {
    const db: TestDatabase = await createPgDatabase('djangoe2e');
    cleanups.push(() => db.drop());
    const k = knexPkg.knex({ client: 'pg', connection: db.url, pool: { min: 0, max: 1 } });
    await k.raw(`create table auth_user (id serial primary key, username varchar(150), email varchar(254), password varchar(128),
      first_name varchar(150), last_name varchar(150), is_active boolean, date_joined timestamptz)`);
    await k.raw(
      `insert into auth_user (id, username, email, password, first_name, last_name, is_active, date_joined) values
      (201, 'root', 'root@dj.example', ?, '', '', true, '2018-01-02T03:04:05Z'),
      (202, 'gone', 'gone@dj.example', ?, 'Gone', 'User', false, '2018-01-02T03:04:05Z')`,
      [djangoHash('dj-pass-1'), djangoHash('dj-pass-2')],
    );
    await k.destroy();
    const legacy = {
      connection: db.url,
      table: 'public.auth_user',
      where: { is_active: true },
      fields: {
        given: { coalesce: ['first_name'], default: 'Customer' },
        family: { coalesce: ['last_name'], default: 'Account' },
      },
      claims: { email: 'email', given_name: 'given', family_name: 'family', preferred_username: 'username' },
    };
    const { rp } = await scenario({
      legacy,
      mapping: {
        first_name: 'given',
        last_name: 'family',
        date_joined: 'date_joined',
        gender: '',
        date_of_birth: '',
        email_allowed: '',
      },
      user: 'root',
      password: 'dj-pass-1',
      legacyId: '201',
      claims: { given_name: 'Customer', family_name: 'Account' },
    });
    const run = await beginLogin(rp);
    expect((await submitLogin(run, 'gone', 'dj-pass-2')).status).toBe(401);
  });

  it('Laravel users in a SQLite file: one name split, email_verified_at as email_verified', async () => {
    const file = join(dir, 'laravel.sqlite');
    const db = new Database(file);
    db.exec(`create table users (id integer primary key, name varchar, email varchar, password varchar,
      email_verified_at datetime null, created_at datetime)`);
    db.prepare('insert into users values (301, ?, ?, ?, ?, ?)').run(
      'Taylor Otwell',
      'taylor@laravel.example',
      await bcryptHash('lv-pass-1'),
      '2024-01-02 03:04:05',
      '2017-06-07 08:09:10',
    );
    db.close();
    await scenario({
      legacy: {
        connection: `sqlite:${file}`,
        table: 'users',
        identifiers: ['email'],
        fields: {
          first_name: { split: 'name', part: 'first' },
          last_name: { split: 'name', part: 'rest' },
          verified: { set: 'email_verified_at' },
        },
        claims: {
          email: 'email',
          given_name: 'first_name',
          family_name: 'last_name',
          email_verified: 'verified',
        },
      },
      mapping: { verified: 'email_verified_at', gender: '', date_of_birth: '', email_allowed: '' },
      user: 'taylor@laravel.example',
      password: 'lv-pass-1',
      legacyId: '301',
      claims: { given_name: 'Taylor', family_name: 'Otwell', email_verified: true },
    });
  });

  describe.each(['user-migration', 'post'] as const)('the legacy application over HTTP (%s)', (style) => {
    let app: LegacyApp;
    beforeAll(async () => {
      app = await startLegacyApp([
        {
          id: 401,
          username: 'hana',
          email: 'hana@app.example',
          password: 'app-pass-1',
          firstName: 'Hana',
          lastName: 'Hill',
        },
      ]);
    });
    afterAll(async () => app?.close());

    it('migrates at first login, with the profile the application answered', async () => {
      await scenario({
        legacy: {
          kind: 'http',
          http: { style, url: style === 'post' ? `${app.url}/check` : `${app.url}/users` },
          claims: {
            email: 'email',
            given_name: 'firstName',
            family_name: 'lastName',
            preferred_username: 'username',
          },
        },
        mapping: {
          first_name: 'firstName',
          last_name: 'lastName',
          gender: '',
          date_of_birth: '',
          email_allowed: '',
          date_joined: '',
        },
        defaults: { date_joined: '2020-01-01T00:00:00Z' },
        user: 'hana',
        password: 'app-pass-1',
        legacyId: '401',
        claims: { given_name: 'Hana', family_name: 'Hill' },
      });
    });
  });

  describe('OpenLDAP with two users, one disabled', () => {
    let slapd: Slapd;
    beforeAll(async () => {
      slapd = await startSlapd([
        { uid: 'lena', mail: 'lena@ldap.example', givenName: 'Lena', sn: 'Lind', password: 'ldap-pass-1' },
        {
          uid: 'olaf',
          mail: 'olaf@ldap.example',
          givenName: 'Olaf',
          sn: 'Old',
          password: 'ldap-pass-2',
          disabled: true,
        },
      ]);
    }, 30_000);
    afterAll(async () => slapd?.stop());

    it('migrates the active user by binding as them, and refuses the disabled one', async () => {
      const { rp } = await scenario({
        legacy: ldapLegacyConfig(slapd),
        mapping: {
          first_name: 'givenName',
          last_name: 'sn',
          email: 'mail',
          customer_code: 'uid',
          gender: '',
          date_of_birth: '',
          email_allowed: '',
          date_joined: '',
        },
        defaults: { date_joined: '2020-01-01T00:00:00Z' },
        user: 'lena@ldap.example',
        password: 'ldap-pass-1',
        legacyId: 'lena',
        claims: { given_name: 'Lena', family_name: 'Lind', email: 'lena@ldap.example' },
      });
      const run = await beginLogin(rp);
      expect((await submitLogin(run, 'olaf', 'ldap-pass-2')).status).toBe(401);
    });
  });
});
