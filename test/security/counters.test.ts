// The attempt counters' statements on a real PostgreSQL store whose rate_limits.key has a
// linguistic collation, as a database created with en_US.UTF-8 gives it: concurrent steps that
// share keys wait for each other and never deadlock, the sweep never blocks a login, a block
// never shortens a running one, and a login's points are given back exactly once.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { ThrottledError } from '../../src/errors.ts';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { createLogger, silentLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { createLogin } from '../../src/migration/login.ts';
import { createAudit } from '../../src/security/audit.ts';
import { type Counter, type CounterKey, createCounters } from '../../src/security/counters.ts';
import { createLoginGuard, RATE_LIMIT_TABLE, sweepExpiredCounters } from '../../src/security/guard.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createTargetFormat } from '../../src/target/registry.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { registerSecret } from '../support/secrets.ts';

let database: TestDatabase;
let store: Store;

beforeAll(async () => {
  database = await createPgDatabase();
  store = createStore({ database: database.url });
  await store.migrate();
  // 'B' sorts before 'a' byte by byte and after it in a linguistic order.
  await store.db.raw(`ALTER TABLE ${RATE_LIMIT_TABLE} ALTER COLUMN key TYPE varchar(255) COLLATE "en-x-icu"`);
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

beforeEach(async () => {
  await store.db(RATE_LIMIT_TABLE).delete();
});

const ADA_PASSWORD = registerSecret('password', 'ada-counters-password-1815');
const counter: Counter = { prefix: 'test', points: 100, duration: 3600 };
const upper: CounterKey = { counter, key: 'B' };
const lower: CounterKey = { counter, key: 'a' };

/** Warnings the counters log (a statement that failed and was counted in memory instead). */
function watchedCounters() {
  const warnings: string[] = [];
  const logger = createLogger({ level: 'warn', pretty: false });
  logger.warn = ((_obj: unknown, msg?: string) => {
    warnings.push(String(msg));
  }) as typeof logger.warn;
  return { counters: createCounters(store, logger), warnings };
}

async function pointsOf(key: string): Promise<number | undefined> {
  const row = await store.db(RATE_LIMIT_TABLE).where({ key }).first('points');
  return row ? Number(row.points) : undefined;
}

/** Holds a row lock on `key` until the returned function is called. */
async function holdRow(key: string): Promise<() => Promise<void>> {
  const trx = await store.db.transaction();
  await trx.raw(`SELECT 1 FROM ${RATE_LIMIT_TABLE} WHERE key = ? FOR UPDATE`, [key]);
  return async () => {
    await trx.commit();
  };
}

/** Resolves once `n` other sessions of this database are waiting for a lock. */
async function untilWaiting(n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await store.db.raw(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if ((r.rows[0] as { n: number }).n >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const r = await store.db.raw(
    `SELECT state, wait_event_type, left(query, 80) AS q FROM pg_stat_activity WHERE datname = current_database()`,
  );
  throw new Error(`fewer than ${n} sessions ever waited for a lock: ${JSON.stringify(r.rows)}`);
}

describe('counters sharing keys', () => {
  it('an upsert and a give-back of the same two keys wait for each other and both reach the store', async () => {
    const { counters, warnings } = watchedCounters();
    await counters.add([upper, lower]);
    const release = await holdRow('test:B');
    // Both want test:B first (byte order) and wait for it; neither holds test:a meanwhile.
    const add = counters.add([lower, upper]);
    await untilWaiting(1);
    const back = counters.giveBack([upper, lower]);
    await untilWaiting(2);
    await release();
    await Promise.all([add, back]);
    expect(warnings).toEqual([]);
    // One point added, one given back, both in the store.
    expect(await pointsOf('test:a')).toBe(1);
    expect(await pointsOf('test:B')).toBe(1);
  });

  it('a give-back riding on another statement takes its rows in the same order', async () => {
    const { counters, warnings } = watchedCounters();
    await counters.add([upper, lower]);
    const release = await holdRow('test:B');
    const add = counters.add([lower, upper]);
    await untilWaiting(1);
    const [write] = counters.settleWrites(store.db, [upper], [lower]);
    const { sql, bindings } = write!.toSQL();
    const ride = store.db.raw(`WITH x AS (${sql}) SELECT 1`, bindings).then((r) => r);
    await untilWaiting(2);
    await release();
    await Promise.all([add, ride]);
    expect(warnings).toEqual([]);
    expect(await pointsOf('test:a')).toBe(1);
  });

  it('the sweep passes over rows a login holds instead of waiting for them', async () => {
    const { counters } = watchedCounters();
    await counters.add([upper, lower]);
    await store.db(RATE_LIMIT_TABLE).update({ expire: 0 });
    const release = await holdRow('test:B');
    try {
      // Returns at once with the row nobody holds; the held one is left for the next sweep.
      expect(await sweepExpiredCounters(store.db)).toBe(1);
    } finally {
      await release();
    }
    expect(await sweepExpiredCounters(store.db)).toBe(1);
    expect(Number((await store.db(RATE_LIMIT_TABLE).count({ n: '*' }))[0]!.n)).toBe(0);
  });

  it('a block never shortens a block that is running', async () => {
    const { counters } = watchedCounters();
    await counters.block([upper], 3600);
    await counters.block([upper, lower], 60);
    const rows = await store.db(RATE_LIMIT_TABLE).select('key', 'expire').orderBy('key');
    const left = Object.fromEntries(rows.map((r) => [r.key, (Number(r.expire) - Date.now()) / 1000]));
    expect(left['test:B']).toBeGreaterThan(3500);
    expect(left['test:a']).toBeLessThanOrEqual(60);
  });
});

describe('a login’s reservation', () => {
  function guard(security: Record<string, unknown> = {}) {
    const config = parseConfig({
      security: { lockout: { free_attempts: 3, base_seconds: 60, max_seconds: 200 }, ...security },
    });
    return createLoginGuard({
      config,
      store,
      metrics: createMetrics({ defaultMetrics: false }),
      audit: createAudit(store.db, silentLogger),
      logger: silentLogger,
    });
  }

  it('gives its points back once, even when the login fails after its own statement carried them', async () => {
    const config = parseConfig({ database: database.url });
    const accounts = createAccounts(store.db);
    await accounts.insert(store.db, {
      sub: 'sub-ada',
      passwordHash: await hashBridgePassword(ADA_PASSWORD),
      claims: {},
      source: 'legacy',
      identifiers: ['ada'],
    });
    const login = createLogin({
      target: createTargetFormat(config.target),
      box: createSecretBox(config.key_encryption_key),
      config,
      db: store.db,
      accounts,
      audit: createAudit(store.db, silentLogger),
      metrics: createMetrics({ defaultMetrics: false }),
      logger: silentLogger,
      guard: guard(),
      // Anything after the login's record that fails, and makes the route release the attempt.
      accountSeen: () => {
        throw new Error('after the record');
      },
    });
    await expect(
      login.authenticate({ identifier: 'ada', password: ADA_PASSWORD, ip: '10.0.0.9' }),
    ).rejects.toThrow('after the record');
    const row = (await store.db(RATE_LIMIT_TABLE).where('key', 'like', 'login_ip:%').first('points'))!;
    // Taken once and given back once; twice would leave a free guess (-1).
    expect(Number(row.points)).toBe(0);
  });

  it('keeps the hour a name is refused for when its user is refused too', async () => {
    const g = guard({ identifier_failures_per_hour: 2 });
    // The user's hourly window starts with a wrong guess under another of its names; the name
    // reaches its own cap two seconds later, with the user's.
    await (await g.reserve('grace@example.com', '10.0.1.1', 'sub-grace')).failed();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await (await g.reserve('grace', '10.0.1.2', 'sub-grace')).failed();
    const waits: number[] = [];
    for (let i = 0; i < 2; i++) {
      const err = await g.reserve('grace', `10.0.2.${i}`, 'sub-grace').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ThrottledError);
      waits.push((err as ThrottledError).retryAfter);
    }
    // The name stays refused for the hour from its cap, not what is left of the user's window.
    expect(waits[1]).toBeGreaterThanOrEqual(3599);
  });
});
