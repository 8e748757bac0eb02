// What a migrated user costs the store on disk: N real first logins through the bridge (each
// migrates its user), then PostgreSQL's own size of each table with its indexes and TOAST,
// divided by the users. The scale section of BENCHMARKS.md multiplies these by ten million.
// `npx tsx bench/store-size.ts [users]`.
import { fileURLToPath } from 'node:url';
import knex from 'knex';
import { keepAliveAgent, loginFlow } from './support/http-client.ts';
import { BENCH_PASSWORD, legacyFixture, startServer } from './support/servers.ts';
import { round } from './support/stats.ts';

const TABLES = ['accounts', 'account_identifiers', 'audit_events', 'oidc_payloads', 'rate_limits', 'outbox'];

export interface StoreSizeReport {
  users: number;
  /** Per table: rows, and bytes per migrated user (table, indexes and TOAST). */
  tables: Record<string, { rows: number; bytesPerUser: number }>;
  /** accounts and account_identifiers: what stays for every migrated user. */
  accountBytesPerUser: number;
}

export async function benchStoreSize({
  users = 200,
  concurrency = 4,
}: {
  users?: number;
  concurrency?: number;
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
      const size = await db.raw('SELECT pg_total_relation_size(?::regclass) AS bytes', [table]);
      const count = await db(table).count({ n: '*' });
      tables[table] = {
        rows: Number(count[0]!.n),
        bytesPerUser: round(Number(size.rows[0].bytes) / users, 0),
      };
    }
    const migrated = Number((await db('accounts').count({ n: '*' }))[0]!.n);
    if (migrated !== users) throw new Error(`store-size: ${migrated} accounts after ${users} first logins`);
    return {
      users,
      tables,
      accountBytesPerUser:
        (tables.accounts?.bytesPerUser ?? 0) + (tables.account_identifiers?.bytesPerUser ?? 0),
    };
  } finally {
    agent.destroy();
    await db.destroy();
    await server.stop();
    await fixture.drop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const users = Number(process.argv[2] ?? 200);
  process.stdout.write(`${JSON.stringify(await benchStoreSize({ users }), null, 2)}\n`);
  process.exit(0);
}
