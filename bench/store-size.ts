// What a migrated user costs the store on disk: N real first logins through the bridge (each
// migrates its user), then PostgreSQL's own size of each table with its indexes and TOAST,
// divided by the users. The accounts and their identifiers are then copied in SQL (each copy
// a new sub, legacy id and identifier) up to `scaleTo` users, so their per-user figure is
// that of a large table, not of a few pages. The scale section of BENCHMARKS.md multiplies
// these by ten million. `npx tsx bench/store-size.ts [users] [scaleTo]`.
import { fileURLToPath } from 'node:url';
import knex, { type Knex } from 'knex';
import { keepAliveAgent, loginFlow } from './support/http-client.ts';
import { BENCH_PASSWORD, legacyFixture, startServer } from './support/servers.ts';
import { round } from './support/stats.ts';

const TABLES = ['accounts', 'account_identifiers', 'audit_events', 'oidc_payloads', 'rate_limits', 'outbox'];

export interface StoreSizeReport {
  users: number;
  /** Per table: rows, and bytes per migrated user (table, indexes and TOAST). */
  tables: Record<string, { rows: number; bytesPerUser: number }>;
  /** accounts and account_identifiers at `scaledTo` users: what stays for every migrated user. */
  accountBytesPerUser: number;
  scaledTo: number;
}

async function bytesOf(db: Knex, table: string): Promise<number> {
  const size = await db.raw('SELECT pg_total_relation_size(?::regclass) AS bytes', [table]);
  return Number(size.rows[0].bytes);
}

export async function benchStoreSize({
  users = 200,
  concurrency = 4,
  scaleTo = 100_000,
}: {
  users?: number;
  concurrency?: number;
  scaleTo?: number;
} = {}): Promise<StoreSizeReport> {
  const fixture = await legacyFixture(users);
  const server = await startServer('bridge', {
    storeUrl: fixture.store.url,
    bridgeConfig: fixture.bridgeConfig,
  });
  const agent = keepAliveAgent();
  const db = knex({ client: 'pg', connection: fixture.store.url, pool: { min: 0, max: 1 } });
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < users) {
          const i = next++;
          await loginFlow(agent, server.url, server.client, fixture.usernames[i]!, BENCH_PASSWORD);
        }
      }),
    );
    // Sizes as PostgreSQL reports them after its statistics and free-space map are current.
    await db.raw('VACUUM ANALYZE');
    const tables: StoreSizeReport['tables'] = {};
    for (const table of TABLES) {
      const exists = await db.raw('SELECT to_regclass(?) AS t', [table]);
      if (!exists.rows[0].t) continue;
      const count = await db(table).count({ n: '*' });
      tables[table] = {
        rows: Number(count[0]!.n),
        bytesPerUser: round((await bytesOf(db, table)) / users, 0),
      };
    }
    const migrated = Number((await db('accounts').count({ n: '*' }))[0]!.n);
    if (migrated !== users) throw new Error(`store-size: ${migrated} accounts after ${users} first logins`);
    // Copies of the real rows, every column kept but the keys, until the tables are large.
    const copies = Math.max(0, Math.ceil(scaleTo / users) - 1);
    await db.raw(
      `INSERT INTO accounts SELECT (jsonb_populate_record(null::accounts, to_jsonb(a)
         || jsonb_build_object('sub', a.sub || '-' || g, 'legacy_id', a.legacy_id || '-' || g))).*
         FROM accounts a, generate_series(1, ?) g`,
      [copies],
    );
    await db.raw(
      `INSERT INTO account_identifiers SELECT (jsonb_populate_record(null::account_identifiers, to_jsonb(i)
         || jsonb_build_object('identifier', i.identifier || '-' || g, 'sub', i.sub || '-' || g))).*
         FROM account_identifiers i, generate_series(1, ?) g`,
      [copies],
    );
    await db.raw('VACUUM ANALYZE accounts, account_identifiers');
    const scaledTo = users * (copies + 1);
    const accountBytes = (await bytesOf(db, 'accounts')) + (await bytesOf(db, 'account_identifiers'));
    return { users, tables, accountBytesPerUser: round(accountBytes / scaledTo, 0), scaledTo };
  } finally {
    agent.destroy();
    await db.destroy();
    await server.stop();
    await fixture.drop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const users = Number(process.argv[2] ?? 200);
  const scaleTo = Number(process.argv[3] ?? 100_000);
  process.stdout.write(`${JSON.stringify(await benchStoreSize({ users, scaleTo }), null, 2)}\n`);
  process.exit(0);
}
