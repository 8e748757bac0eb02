// The periodic coexistence sweep, run by every replica's worker, sweeps on one replica at a
// time: two sweepers on one store (PostgreSQL, and the embedded PGlite), each round only the
// one holding the lease sweeps, and when it stops the other takes over.
import knexPkg, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { createLegacySource } from '../../src/legacy/source.ts';
import type { LegacySource } from '../../src/legacy/types.ts';
import { silentLogger } from '../../src/logger.ts';
import { createAccountStatus } from '../../src/migration/account-status.ts';
import { createLegacySync, type SyncReport, startLegacySweep } from '../../src/migration/legacy-sync.ts';
import { createAudit } from '../../src/security/audit.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { waitFor } from '../support/wait.ts';

let legacyDb: TestDatabase;
let legacyKnex: Knex;
let legacy: LegacySource;
const INTERVAL_S = 0.4;

beforeAll(async () => {
  legacyDb = await createPgDatabase('sweeplease');
  legacyKnex = knexPkg.knex({ client: 'pg', connection: legacyDb.url });
  await legacyKnex.schema.createTable('users', (t) => {
    t.integer('id').primary();
    t.string('username').notNullable();
    t.string('password').notNullable();
    t.boolean('active').notNullable();
  });
  await legacyKnex('users').insert([
    { id: 1, username: 'ana', password: 'x', active: true },
    { id: 2, username: 'bo', password: 'x', active: true },
    { id: 3, username: 'cy', password: 'x', active: false },
  ]);
  const config = parseConfig({
    legacy: {
      connection: legacyDb.url,
      table: 'users',
      identifiers: ['username'],
      where: { active: true },
      claims: { preferred_username: 'username' },
    },
  });
  legacy = createLegacySource(config.legacy!, { logger: silentLogger });
});

afterAll(async () => {
  await legacy?.close();
  await legacyKnex?.destroy();
  await legacyDb?.drop();
});

describe.each(['PostgreSQL', 'PGlite'] as const)('two sweepers on one %s store', (kind) => {
  let storeDb: TestDatabase | undefined;
  let stores: Store[] = [];

  beforeAll(async () => {
    if (kind === 'PostgreSQL') {
      storeDb = await createPgDatabase('sweeplease_store');
      // Two replicas: each with its own pool on the one database.
      stores = [createStore({ database: storeDb.url }), createStore({ database: storeDb.url })];
    } else {
      const one = createStore({ memory: true });
      stores = [one, one];
    }
    await stores[0]!.migrate();
    await stores[0]!
      .db('accounts')
      .insert(['1', '2', '3'].map((id) => ({ sub: id, legacy_id: id, source: 'legacy' })));
  });

  afterAll(async () => {
    for (const s of new Set(stores)) await s.close();
    await storeDb?.drop();
  });

  function sweeper(store: Store, name: string) {
    const rounds: Array<{ swept: boolean; report?: SyncReport | undefined; at: number }> = [];
    const sync = createLegacySync({
      db: store.db,
      legacy,
      status: createAccountStatus({ db: store.db, audit: createAudit(store.db, silentLogger) }),
      logger: silentLogger,
      pageSize: 2,
    });
    const sweep = startLegacySweep(sync, INTERVAL_S, silentLogger, {
      db: store.db,
      holder: name,
      onRound: (r) => rounds.push({ ...r, at: Date.now() }),
    });
    return { rounds, sweep, swept: () => rounds.filter((r) => r.swept).length };
  }

  it('sweeps each round on one of them only, and the other takes over when it stops', async () => {
    const a = sweeper(stores[0]!, `a-${kind}`);
    const b = sweeper(stores[1]!, `b-${kind}`);
    try {
      await waitFor(
        async () => Math.min(a.rounds.length, b.rounds.length),
        (n) => n >= 5,
        20_000,
      );
      // Both tick every interval; in each round one sweeps and the other finds the lease held.
      const sweptAt = (s: typeof a) => s.rounds.filter((r) => r.swept).map((r) => r.at);
      for (const at of sweptAt(a)) {
        for (const other of sweptAt(b)) expect(Math.abs(at - other)).toBeGreaterThan(INTERVAL_S * 500);
      }
      expect(
        a.rounds.filter((r) => !r.swept).length + b.rounds.filter((r) => !r.swept).length,
      ).toBeGreaterThan(0);
      const reports = [...a.rounds, ...b.rounds].filter((r) => r.swept).sort((x, y) => x.at - y.at);
      expect(reports[0]!.report).toMatchObject({ checked: 3, disabled: ['3'], complete: true });
      // The account was disabled once, by one sweep.
      const disabled = await stores[0]!
        .db('audit_events')
        .where({ sub: '3', type: 'admin.account_disabled' });
      expect(disabled).toHaveLength(1);

      // The one that swept last stops (and gives the lease up): the other sweeps the next rounds.
      const [last, other] = reports.at(-1)!.at === sweptAt(a).at(-1) ? [a, b] : [b, a];
      await last.sweep.stop();
      const before = other.rounds.length;
      await waitFor(
        async () => other.rounds.slice(before),
        (later) => later.length >= 2 && later.every((r) => r.swept),
        10_000,
      );
      expect(other.rounds.at(-1)).toMatchObject({ swept: true, report: { checked: 3, complete: true } });
    } finally {
      await Promise.all([a.sweep.stop(), b.sweep.stop()]);
    }
  }, 40_000);
});
