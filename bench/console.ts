// The operator console at size: a store with N accounts and M audit events (built with
// generate_series in PostgreSQL, spread over half a year), the rollups caught up once, then
// the Progress page fetched over HTTP by a signed-in operator, as a browser would, and timed.
// Also the cost of the rollups' steady work at that size: the tick that rolls the hour just
// closed up, and the console's tick of every minute (src/console/tick.ts) with nothing new.
// Run: npx tsx bench/console.ts 10000000 1000000
import { pathToFileURL } from 'node:url';
import knexPkg from 'knex';
import { type Bridge, createBridge } from '../src/app.ts';
import { parseConfig } from '../src/config/load.ts';
import { createRollups } from '../src/console/rollups.ts';
import { hashBridgePassword } from '../src/hashing/bridge-hash.ts';
import { silentLogger } from '../src/logger.ts';
import { createAccounts } from '../src/migration/accounts.ts';
import { consoleSignIn } from '../test/console/support.ts';
import { freePort } from '../test/support/bridge.ts';
import { createPgDatabase } from '../test/support/databases.ts';
import { round } from './support/stats.ts';

const { knex } = knexPkg;

export interface ConsoleBenchResult {
  auditRows: number;
  accounts: number;
  generateSeconds: number;
  /** The first catch-up of the rollups over the whole history (but its last hour). */
  rollupSeconds: number;
  /** One advance over the last closed hour: the work of the first tick after an hour ends. */
  hourTickMs: number;
  /** Audit rows in that hour. */
  hourAuditRows: number;
  /** The console's tick with no closed hour to roll up (it runs every minute), median. */
  idleTickMs: number;
  pages: Record<'progress' | 'delivery' | 'security', { medianMs: number; p95Ms: number; samples: number }>;
}

const DAYS = 180;
const CHUNK = 1_000_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function benchConsole({
  auditRows,
  accounts,
  samples = 30,
}: {
  auditRows: number;
  accounts: number;
  samples?: number;
}): Promise<ConsoleBenchResult> {
  const database = await createPgDatabase('bench_console');
  let bridge: Bridge | undefined;
  try {
    const port = await freePort();
    const config = parseConfig({
      issuer: `http://127.0.0.1:${port}`,
      database: database.url,
      log_level: 'silent',
      admin: { admins: ['bench-operator'] },
    });
    bridge = await createBridge(config, { logger: silentLogger });
    const db = bridge.store.db;
    // The rows are generated on a connection of their own, without the store's statement
    // timeout: a million rows a statement take longer than any request may on a slow machine.
    const seed = knex({ client: 'pg', connection: database.url, pool: { min: 0, max: 1 } });
    const started = Date.now();
    try {
      for (let from = 0; from < accounts; from += CHUNK) {
        await seed.raw(
          `INSERT INTO accounts (sub, legacy_id, claims, source, legacy_scheme, migrated_at, imported_at, last_login_at, created_at)
         SELECT 'u' || g, g::text, '{}'::jsonb, CASE WHEN g % 4 = 0 THEN 'import' ELSE 'legacy' END,
                (ARRAY['bcrypt', 'md5', 'sha1', 'phpass'])[1 + g % 4], t, NULL, t, t
           FROM (SELECT g, now() - (? * sqrt(1 - g::float8 / ?)) * interval '1 day' AS t
                   FROM generate_series(?::bigint, ?::bigint) g) s`,
          [DAYS, accounts + 1, from + 1, Math.min(accounts, from + CHUNK)],
        );
      }
      await seed.raw(
        `INSERT INTO outbox (sub, payload, status, attempts, last_reason, last_error, created_at, updated_at, delivered_at)
       SELECT sub, '{}'::jsonb,
              CASE WHEN legacy_id::bigint % 500 = 0 THEN 'failed' WHEN legacy_id::bigint % 900 = 0 THEN 'dead' ELSE 'delivered' END,
              1, CASE WHEN legacy_id::bigint % 500 = 0 THEN 'invalid' END,
              CASE WHEN legacy_id::bigint % 500 = 0 THEN 'legacy row ' || legacy_id || ': phone must be 5XXXXXXXXX or null' END,
              created_at, created_at, created_at
         FROM accounts`,
      );
      for (let from = 0; from < auditRows; from += CHUNK) {
        await seed.raw(
          `INSERT INTO audit_events (at, type, outcome, reason, sub, identifier, ip, client_id, details)
         SELECT now() - (? * (g::float8 / ?)) * interval '1 day',
                CASE WHEN g % 50 = 0 THEN 'delivery' WHEN g % 97 = 0 THEN 'lockout' ELSE 'login' END,
                CASE WHEN g % 7 = 0 THEN 'failure' ELSE 'success' END,
                (ARRAY['bridge', 'bridge', 'bridge', 'migrated', 'legacy', 'wrong_password', 'hash_unusable'])[1 + g % 7],
                'u' || (1 + g % ?), 'user' || (g % ?) || '@example.com', '203.0.113.' || (g % 250), 'shop',
                jsonb_build_object('scheme', (ARRAY['argon2id', 'bcrypt', 'md5', 'sha1'])[1 + g % 4])
           FROM generate_series(?::bigint, ?::bigint) g`,
          [DAYS, auditRows, accounts, accounts, from + 1, Math.min(auditRows, from + CHUNK)],
        );
      }
      await seed.raw('ANALYZE');
    } finally {
      await seed.destroy();
    }
    const generateSeconds = (Date.now() - started) / 1000;

    const now = new Date();
    const anHourAgo = new Date(now.getTime() - 3_600_000);
    const rollups = createRollups(db);
    const rollupStarted = Date.now();
    await rollups.advance(anHourAgo);
    const rollupSeconds = (Date.now() - rollupStarted) / 1000;
    const hourStarted = process.hrtime.bigint();
    await rollups.advance(now);
    const hourTickMs = Number(process.hrtime.bigint() - hourStarted) / 1e6;
    const hourAuditRows = Math.round(auditRows / (DAYS * 24));

    // The operator: an account with a password, named in admin.admins.
    const password = 'bench-operator-password';
    await db.transaction(async (trx) =>
      createAccounts(db).insert(trx, {
        sub: 'bench-operator',
        passwordHash: await hashBridgePassword(password),
        claims: {},
        source: 'local',
        identifiers: ['operator'],
      }),
    );
    await bridge.listen(port, '127.0.0.1');
    const admin = await bridge.listenAdmin(0, '127.0.0.1');
    await admin.tick();
    const ticks: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      await admin.tick();
      ticks.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ticks.sort((a, b) => a - b);
    const { browser } = await consoleSignIn(admin.url, 'operator', password);

    const pages = {} as ConsoleBenchResult['pages'];
    for (const page of ['progress', 'delivery', 'security'] as const) {
      const times: number[] = [];
      for (let i = 0; i < samples + 3; i++) {
        const t0 = process.hrtime.bigint();
        const res = await browser.get(`${admin.url}/console/${page}`);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (res.status !== 200) throw new Error(`${page} answered ${res.status}`);
        if (i >= 3) times.push(ms);
      }
      times.sort((a, b) => a - b);
      pages[page] = {
        medianMs: round(percentile(times, 0.5), 1),
        p95Ms: round(percentile(times, 0.95), 1),
        samples,
      };
    }
    return {
      auditRows,
      accounts,
      generateSeconds: round(generateSeconds, 1),
      rollupSeconds: round(rollupSeconds, 1),
      hourTickMs: round(hourTickMs, 1),
      hourAuditRows,
      idleTickMs: round(percentile(ticks, 0.5), 1),
      pages,
    };
  } finally {
    await bridge?.stop();
    await database.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const auditRows = Number(process.argv[2] ?? 10_000_000);
  const accounts = Number(process.argv[3] ?? 1_000_000);
  const r = await benchConsole({ auditRows, accounts });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  process.exit(0);
}
