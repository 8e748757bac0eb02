// What the console tests share: a bridge on PostgreSQL with a legacy PostgreSQL users table
// (bcrypt hashes, a role column mapped to the `groups` claim), its admin listener, an
// operator by sub and one by group, a user who is neither, and thirty days of history
// written into the store the way the bridge writes it (accounts, audit events, outbox rows),
// then rolled up by the console's own tick.
import bcrypt from 'bcrypt';
import knexPkg, { type Knex } from 'knex';
import type { AdminListener } from '../../src/console/admin-server.ts';
import { createRollups } from '../../src/console/rollups.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { Browser, formOf, type Page } from '../support/browser.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { registerSecret } from '../support/secrets.ts';

const { knex } = knexPkg;

export const USERS = {
  /** An operator named by sub (legacy id 9001). */
  opal: { id: 9001, password: registerSecret('password', 'opal-console-pass'), role: 'staff' },
  /** An operator by group: role ops → groups claim. */
  omar: { id: 9002, password: registerSecret('password', 'omar-console-pass'), role: 'ops' },
  /** Neither. */
  quinn: { id: 9003, password: registerSecret('password', 'quinn-console-pass'), role: 'customer' },
} as const;

export interface ConsoleFixture {
  t: TestBridge;
  admin: AdminListener;
  legacyDb: TestDatabase;
  legacy: Knex;
  close(): Promise<void>;
}

export async function startConsoleFixture(
  opts: { extra?: Record<string, unknown>; seed?: boolean; lastLogin?: boolean } = {},
): Promise<ConsoleFixture> {
  const legacyDb = await createPgDatabase('obt_console_legacy');
  const legacy = knex({ client: 'pg', connection: legacyDb.url, pool: { min: 0, max: 2 } });
  await legacy.raw(`CREATE TABLE users (
      id integer PRIMARY KEY, username text NOT NULL UNIQUE, email text, password text,
      first_name text, last_name text, role text, last_login timestamptz)`);
  for (const [name, u] of Object.entries(USERS)) {
    await legacy('users').insert({
      id: u.id,
      username: name,
      email: `${name}@example.com`,
      password: await bcrypt.hash(u.password, 4),
      first_name: name[0]!.toUpperCase() + name.slice(1),
      last_name: 'Tester',
      role: u.role,
      last_login: legacy.raw("now() - interval '3 days'"),
    });
  }
  // The rest of the legacy table: users who have not come yet.
  await legacy.raw(`INSERT INTO users (id, username, email, password, role)
      SELECT g, 'user' || g, 'user' || g || '@example.com', '$2y$04$' || md5(g::text), 'customer'
        FROM generate_series(1, 2400) g`);
  const t = await startTestBridge({
    legacy: {
      connection: legacyDb.url,
      table: 'users',
      identifiers: ['username', 'email'],
      ...(opts.lastLogin ? { columns: { last_login: 'last_login' } } : {}),
      claims: {
        email: 'email',
        given_name: 'first_name',
        family_name: 'last_name',
        preferred_username: 'username',
        groups: 'role',
      },
    },
    admin: { admins: [String(USERS.opal.id)], admin_groups: ['ops'] },
    ...opts.extra,
  });
  // History first: the first rollup starts where the store's oldest row is.
  if (opts.seed) await seedHistory(t.bridge.store.db);
  const admin = await t.bridge.listenAdmin(0, '127.0.0.1');
  await admin.tick();
  return {
    t,
    admin,
    legacyDb,
    legacy,
    async close() {
      await t.close();
      await legacy.destroy();
      await legacyDb.drop();
    },
  };
}

/**
 * Signs in to the console through the bridge's own login page, as a browser would. Returns
 * the browser (its cookies hold the console session) and the page it ended on.
 */
export async function consoleSignIn(
  adminUrl: string,
  identifier: string,
  password: string,
  path = '/console/progress',
): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser();
  const login = await browser.get(`${adminUrl}${path}`);
  if (!/\/interaction\//.test(login.url))
    throw new Error(`expected the bridge's login page, got ${login.status} ${login.url}`);
  const form = formOf(login, /\/login$/);
  const page = await browser.post(form.action, { ...form.fields, identifier, password });
  return { browser, page };
}

export function csrfOf(page: Page): string {
  const m = /name="csrf" value="([^"]+)"/.exec(page.html);
  if (!m) throw new Error(`no CSRF field on ${page.url}`);
  return m[1]!;
}

const DAY = 86_400_000;

/**
 * Thirty days of a migration in progress: accounts created at first logins and by an
 * import, logins by source and scheme, failures, lockouts, unusable hashes, deliveries and
 * outbox jobs in every state; then outbox snapshots and legacy lookup figures per hour.
 */
export async function seedHistory(db: Knex, now = new Date()): Promise<void> {
  const start = new Date(now.getTime() - 30 * DAY);
  await db.raw(
    `INSERT INTO accounts (sub, legacy_id, password_hash, claims, source, legacy_scheme, migrated_at, imported_at, last_login_at, created_at)
     SELECT 'seed-' || g, (100000 + g)::text, NULL, jsonb_build_object('email', 'seed' || g || '@example.com'),
            CASE WHEN g % 5 = 0 THEN 'import' ELSE 'legacy' END,
            (ARRAY['bcrypt', 'md5', 'sha1'])[1 + g % 3],
            CASE WHEN g % 5 = 0 THEN NULL ELSE ts END, CASE WHEN g % 5 = 0 THEN ts ELSE NULL END, ts, ts
       FROM (SELECT g, ?::timestamptz + (30 * 86400 * sqrt(g / 900.0)) * interval '1 second' AS ts
               FROM generate_series(1, 900) g) s`,
    [start],
  );
  // Logins: first logins fall and returning logins rise as users migrate.
  await db.raw(
    `INSERT INTO audit_events (at, type, outcome, reason, sub, identifier, ip, client_id, details)
     SELECT ?::timestamptz + d * interval '1 day' + (n * interval '97 seconds'),
            'login', 'success',
            CASE WHEN n % 10 < greatest(1, 6 - d / 6) THEN 'migrated' WHEN n % 10 = 9 THEN 'legacy' ELSE 'bridge' END,
            'seed-' || (1 + (d * 37 + n * 13) % 900), 'seed' || n || '@example.com', '203.0.113.' || (n % 200), 'shop',
            jsonb_build_object('scheme', CASE WHEN n % 10 < greatest(1, 6 - d / 6) OR n % 10 = 9
                                              THEN (ARRAY['bcrypt', 'md5', 'sha1'])[1 + n % 3] ELSE 'argon2id' END)
       FROM generate_series(0, 29) d, generate_series(1, 40 + d) n`,
    [start],
  );
  await db.raw(
    `INSERT INTO audit_events (at, type, outcome, reason, identifier, ip, client_id, details)
     SELECT ?::timestamptz + d * interval '1 day' + (n * interval '313 seconds'), 'login', 'failure',
            (ARRAY['wrong_password', 'unknown_user', 'wrong_password', 'hash_unusable'])[1 + n % 4],
            'who' || n || '@example.com', '198.51.100.' || (n % 50), 'shop',
            CASE WHEN n % 4 = 3 THEN jsonb_build_object('scheme', CASE WHEN n % 8 = 3 THEN 'md5' ELSE 'unknown' END,
                                                       'unusable', CASE WHEN n % 8 = 3 THEN 'malformed' ELSE 'unknown_format' END)
                 ELSE '{}'::jsonb END
       FROM generate_series(0, 29) d, generate_series(1, 12 + (d % 7) * 3) n`,
    [start],
  );
  // A burst of guessing in the last day: many failures and lockouts from a few addresses.
  await db.raw(
    `INSERT INTO audit_events (at, type, outcome, reason, identifier, ip, details)
     SELECT ?::timestamptz - (n * interval '41 seconds'), 'login', 'failure', 'wrong_password',
            'victim' || (n % 30) || '@example.com', '192.0.2.' || (n % 4), '{}'::jsonb
       FROM generate_series(1, 260) n`,
    [new Date(now.getTime() - 6 * 3_600_000)],
  );
  await db.raw(
    `INSERT INTO audit_events (at, type, outcome, reason, identifier, ip, details)
     SELECT ?::timestamptz - (n * interval '7 minutes'), 'lockout', 'info', 'identifier_ip',
            'victim' || (n % 30) || '@example.com', '192.0.2.' || (n % 4), '{"seconds": 60}'::jsonb
       FROM generate_series(1, 24) n`,
    [new Date(now.getTime() - 6 * 3_600_000)],
  );
  // Outbox: most delivered, some waiting, failures of three kinds, a conflict, dead letters.
  await db.raw(
    `INSERT INTO outbox (sub, payload, status, attempts, last_reason, last_error, created_at, updated_at, delivered_at)
     SELECT a.sub, jsonb_build_object('legacy_id', a.legacy_id, 'row', '{}'::jsonb, 'claims', '{}'::jsonb),
            s.status, s.attempts, s.reason, s.error, a.created_at, a.created_at,
            CASE WHEN s.status = 'delivered' THEN a.created_at + interval '3 seconds' END
       FROM (SELECT sub, legacy_id, created_at, row_number() OVER (ORDER BY sub) AS k FROM accounts WHERE sub LIKE 'seed-%') a
       CROSS JOIN LATERAL (SELECT
         CASE WHEN a.k % 50 = 1 THEN 'failed' WHEN a.k % 50 = 2 THEN 'failed' WHEN a.k % 61 = 3 THEN 'conflict'
              WHEN a.k % 70 = 4 THEN 'dead' WHEN a.k % 45 = 5 THEN 'pending' ELSE 'delivered' END AS status,
         CASE WHEN a.k % 50 IN (1, 2) OR a.k % 70 = 4 THEN 10 ELSE 1 END AS attempts,
         CASE WHEN a.k % 50 = 1 THEN 'invalid' WHEN a.k % 50 = 2 THEN 'rejected' WHEN a.k % 61 = 3 THEN 'email_conflict'
              WHEN a.k % 70 = 4 THEN 'dead' WHEN a.k % 45 = 5 THEN 'retry' ELSE 'delivered' END AS reason,
         CASE WHEN a.k % 50 = 1 THEN 'legacy row ' || a.legacy_id || ': phone must be 5XXXXXXXXX or null'
              WHEN a.k % 50 = 2 THEN 'target answered 400 validation_error: date_of_birth: not a date'
              WHEN a.k % 61 = 3 THEN 'target answered 409 email_exists: another user has this email'
              WHEN a.k % 70 = 4 THEN 'no answer within 10000 ms'
              WHEN a.k % 45 = 5 THEN 'cannot reach the target: ECONNREFUSED' END AS error) s`,
  );
  await db.raw(
    `INSERT INTO audit_events (at, type, outcome, reason, sub, actor, details)
     SELECT o.created_at + interval '3 seconds', 'delivery', CASE WHEN o.status = 'delivered' THEN 'success' ELSE 'failure' END,
            o.last_reason, o.sub, 'worker', jsonb_build_object('job_id', o.id)
       FROM outbox o WHERE o.sub LIKE 'seed-%'`,
  );
  const rollups = createRollups(db);
  // What the console's tick recorded each hour of the last two weeks.
  for (let h = 14 * 24; h >= 1; h--) {
    const at = new Date(now.getTime() - h * 3_600_000);
    const wave = Math.round(40 * Math.exp(-((h - 100) ** 2) / 800));
    await rollups.snapshot(
      'outbox',
      {
        pending: 3 + wave,
        failed: 12 + Math.floor((336 - h) / 60),
        conflict: 14,
        dead: 10 + (h < 30 ? 3 : 0),
      },
      at,
    );
    await rollups.add(
      'legacy_lookup',
      {
        sum: 0.9 + (h % 24) / 40,
        count: 60,
        'le=0.01': 20,
        'le=0.025': 52,
        'le=0.05': 59,
        'le=0.1': 60,
        'le=+Inf': 60,
      },
      at,
    );
    if (h < 48 && h % 9 === 0) await rollups.add('legacy_errors', { legacy_unavailable: 2 + (h % 4) }, at);
    if (h < 48) await rollups.add('throttled', { lockout: h < 8 ? 12 - h : 0 }, at);
  }
  await rollups.snapshot('legacy_total', { '': 2403 + 900 }, new Date(now.getTime() - 20 * 60_000));
}
