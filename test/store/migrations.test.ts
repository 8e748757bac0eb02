// Every store migration runs up and down, on PostgreSQL and on the embedded PGlite store,
// and concurrent migrators (replicas starting together) migrate once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationNames } from '../../migrations/index.ts';
import { createStore } from '../../src/store/db.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

const TABLES = [
  'oidc_payloads',
  'clients',
  'keys',
  'accounts',
  'account_identifiers',
  'outbox',
  'audit_events',
  'account_second_factors',
  'account_recovery_codes',
  'account_passkeys',
  'consents',
  'backchannel_logouts',
  'rollups',
  'rollup_state',
];

let database: TestDatabase;
beforeAll(async () => {
  database = await createPgDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('store migrations', () => {
  it('run up and then down again on PostgreSQL, leaving no table behind', async () => {
    const store = createStore({ database: database.url });
    try {
      await store.migrate();
      for (const t of TABLES) expect(await store.db.schema.hasTable(t)).toBe(true);
      const rows = await store.db('knex_migrations').select('name');
      expect(rows).toHaveLength(migrationNames.length);
      await store.rollbackAll();
      for (const t of TABLES) expect(await store.db.schema.hasTable(t)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('migrate once when three replicas start at the same moment', async () => {
    const stores = [1, 2, 3].map(() => createStore({ database: database.url }));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const rows = await stores[0]!.db('knex_migrations').select('name');
      expect(rows).toHaveLength(migrationNames.length);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('run up and down on the embedded PGlite store', async () => {
    const store = createStore({ memory: true });
    try {
      await store.migrate();
      for (const t of TABLES) expect(await store.db.schema.hasTable(t)).toBe(true);
      await store.rollbackAll();
      for (const t of TABLES) expect(await store.db.schema.hasTable(t)).toBe(false);
    } finally {
      await store.close();
    }
  });
});
