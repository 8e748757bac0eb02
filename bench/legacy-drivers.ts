// The legacy source's lookup cost per driver: one findByIdentifier (the login's one legacy
// query, case-insensitive e-mail match, 5,000 indexed rows) on MariaDB (mysql2), PostgreSQL
// (pg), PGlite and SQLite (better-sqlite3, which installs from the registry on Node 20+).
// `npx tsx bench/legacy-drivers.ts`; BENCH_QUICK=1 for a short run. Figures in BENCHMARKS.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import knexPkg, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { legacySchema } from '../src/config/schema.ts';
import { createLegacySource, type LegacySource } from '../src/legacy/source.ts';
import { createMariaDatabase, createPgDatabase } from '../test/support/databases.ts';

const ROWS = 5000;
const LOOKUPS = process.env.BENCH_QUICK === '1' ? 100 : 1000;
const CREATE =
  'create table users (id integer primary key, username varchar(60), email varchar(100), password varchar(100), first_name varchar(50), last_name varchar(50))';
const INDEXES = [
  'create index users_username on users (username)',
  'create index users_email on users (email)',
];

async function seed(db: Knex): Promise<void> {
  await db.raw(CREATE);
  for (const sql of INDEXES) await db.raw(sql);
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    id: i + 1,
    username: `user${i + 1}`,
    email: `user${i + 1}@example.com`,
    password: 'x',
    first_name: 'F',
    last_name: 'L',
  }));
  for (let i = 0; i < rows.length; i += 500) await db('users').insert(rows.slice(i, i + 500));
}

async function measure(name: string, source: LegacySource): Promise<Record<string, string | number>> {
  await source.findByIdentifier('user1@example.com');
  const times: number[] = [];
  for (let i = 0; i < LOOKUPS; i++) {
    const who = `USER${1 + ((i * 7919) % ROWS)}@example.com`;
    const started = process.hrtime.bigint();
    const row = await source.findByIdentifier(who);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (!row) throw new Error(`${name}: no row for ${who}`);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.floor(q * (times.length - 1))]! * 1000) / 1000;
  return { driver: name, lookups: LOOKUPS, median_ms: at(0.5), p95_ms: at(0.95) };
}

const config = (connection: string) =>
  legacySchema.parse({ connection, table: 'users', claims: { email: 'email' } });

const results: Array<Record<string, string | number>> = [];
const maria = await createMariaDatabase('bench');
const pg = await createPgDatabase('bench');
const dir = mkdtempSync(join(tmpdir(), 'bench-sqlite-'));
try {
  for (const [name, url, client] of [
    ['mariadb (mysql2)', maria.url, 'mysql2'],
    ['postgresql (pg)', pg.url, 'pg'],
  ] as const) {
    const admin = knexPkg.knex({ client, connection: url, pool: { min: 0, max: 1 } });
    await seed(admin);
    await admin.destroy();
    const s = createLegacySource(config(url));
    results.push(await measure(name, s));
    await s.close();
  }
  const file = join(dir, 'app.sqlite');
  new Database(file).close();
  const writer = knexPkg.knex({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
  });
  await seed(writer);
  await writer.destroy();
  const sqlite = createLegacySource(config(`sqlite:${file}`));
  results.push(await measure('sqlite (better-sqlite3 12)', sqlite));
  await sqlite.close();
  const lite = knexPkg.knex({ client: ClientPgLite, dialect: 'postgres', connection: {} } as Knex.Config);
  await seed(lite);
  const pglite = createLegacySource(config('pglite:memory'), { knex: lite });
  results.push(await measure('pglite (in memory)', pglite));
  await lite.destroy();
} finally {
  await maria.drop();
  await pg.drop();
  rmSync(dir, { recursive: true, force: true });
}
console.table(results);
