// `migration status` gives the cut-over figures whether or not the legacy table has a
// last-login column (stock WordPress and Laravel have none): migrated over the legacy total,
// logins a day through the bridge and a projection from the observed rate; with the column,
// also today's share of active users who have an account. Real PostgreSQL store and table.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexPkg from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationCommands } from '../../src/cli/commands/migration.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { runCommands } from '../support/cli.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

let storeDb: TestDatabase;
let legacyDb: TestDatabase;
let store: Store;
let dir: string;

beforeAll(async () => {
  [storeDb, legacyDb] = await Promise.all([createPgDatabase('cut'), createPgDatabase('cut_legacy')]);
  store = createStore({ database: storeDb.url });
  await store.migrate();
  const legacy = knexPkg.knex({ client: 'pg', connection: legacyDb.url });
  try {
    await legacy.schema.createTable('users', (t) => {
      t.integer('id').primary();
      t.string('email');
      t.string('password');
      t.timestamp('last_login', { useTz: true });
    });
    const recent = new Date(Date.now() - 2 * 86_400_000);
    const old = new Date(Date.now() - 400 * 86_400_000);
    await legacy('users').insert(
      Array.from({ length: 10 }, (_, i) => ({
        id: i + 1,
        email: `u${i + 1}@example.com`,
        password: 'x',
        last_login: i < 6 ? recent : old,
      })),
    );
  } finally {
    await legacy.destroy();
  }
  // Four users migrated at login over the last days, and logins a day through the bridge.
  await store.db.transaction(async (trx) => {
    for (const id of [1, 2, 3, 4]) {
      await createAccounts(store.db).insert(trx, {
        sub: String(id),
        legacyId: String(id),
        passwordHash: null,
        claims: {},
        source: 'legacy',
        identifiers: [`u${id}@example.com`],
      });
    }
  });
  await store.db.raw(
    `INSERT INTO audit_events (at, type, outcome, reason, sub, details)
     SELECT date_trunc('day', now()) - (d * interval '1 day') + interval '10 hours' + (u * interval '1 minute'),
            'login', 'success', CASE WHEN u = 0 AND d <= 4 THEN 'migrated' ELSE 'bridge' END,
            CASE WHEN u = 0 AND d <= 4 THEN (5 - d)::text ELSE (1 + (u + d) % 4)::text END,
            '{}'::jsonb
       FROM generate_series(1, 6) d, generate_series(0, 2) u`,
  );
  dir = mkdtempSync(join(tmpdir(), 'obt-cut-'));
});

afterAll(async () => {
  await store?.close();
  await storeDb?.drop();
  await legacyDb?.drop();
});

async function status(legacy: Record<string, unknown>, json = false) {
  const file = join(dir, `c-${Math.random()}.yaml`);
  writeFileSync(
    file,
    JSON.stringify({
      database: storeDb.url,
      legacy: { connection: legacyDb.url, table: 'users', identifiers: ['email'], claims: {}, ...legacy },
    }),
  );
  return runCommands(migrationCommands, [
    'migration',
    'status',
    ...(json ? ['--json'] : []),
    '--config',
    file,
  ]);
}

describe('cut-over readiness in migration status', () => {
  it('without a last-login column: migrated over the total, logins a day and a projection', async () => {
    const r = await status({});
    expect(r.code).toBe(0);
    expect(r.out).toContain('migrated:              4 of 10 legacy users (40%)');
    expect(r.out).toMatch(/logins a day: {10}3 \(0\.\d+ first logins\), over the last \d+ days/);
    expect(r.out).toMatch(/90% of them logged in: \d{4}-\d{2}-\d{2}; 99%: \d{4}-\d{2}-\d{2}/);
    expect(r.out).toContain('today: set legacy.columns.last_login');
    const json = JSON.parse((await status({}, true)).out);
    expect(json.readiness).toMatchObject({
      legacy_total: 10,
      covered: 4,
      logins_per_day: 3,
      readiness: null,
    });
    expect(json.readiness.projection.basis).toBe('login_mix');
  });

  it("with a last-login column: today's share of the active users who have an account, too", async () => {
    const r = await status({ columns: { last_login: 'last_login' } });
    expect(r.code).toBe(0);
    // Six users logged in lately; four of them have an account.
    expect(r.out).toContain('today (last-login column): 66.7% of the 6 active users have an account');
    expect(r.out).toContain('from the last-login column');
  });
});
