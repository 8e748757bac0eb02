// Helpers for the security tests: a legacy user table with bcrypt hashes in a database of
// its own (PostgreSQL or MariaDB), the legacy config that reads it, table-scan counts read
// from PostgreSQL's own statistics, and page normalisation for byte-for-byte comparisons.
import { hashSync } from '@node-rs/bcrypt';
import knexPkg, { type Knex } from 'knex';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { registerSecret } from '../support/secrets.ts';

const { knex } = knexPkg;

export interface LegacyUser {
  username: string;
  email: string;
  password: string;
}

export interface LegacyTable {
  database: TestDatabase;
  dialect: 'postgres' | 'mysql';
  table: string;
  /** The config's legacy: section for this table. */
  config: Record<string, unknown>;
  /** A short-lived connection for the test's own reads and writes. */
  withDb<T>(fn: (db: Knex) => Promise<T>): Promise<T>;
  /** Inserts a row with whatever the test puts in the password column. */
  insertRaw(username: string, password: string | null): Promise<void>;
  drop(): Promise<void>;
}

/** A bcrypt hash at the cost PHP uses by default, registered as a secret of the run. */
export function bcryptOf(password: string, cost = 10): string {
  return registerSecret('hash', hashSync(password, cost));
}

export async function createLegacyTable(
  dialect: 'postgres' | 'mysql',
  users: LegacyUser[],
  opts: { cost?: number } = {},
): Promise<LegacyTable> {
  const database = dialect === 'postgres' ? await createPgDatabase('obl') : await createMariaDatabase('obl');
  const table = 'users';
  const open = () =>
    knex({
      client: dialect === 'postgres' ? 'pg' : 'mysql2',
      connection: database.url,
      pool: { min: 0, max: 1 },
    });
  const withDb = async <T>(fn: (db: Knex) => Promise<T>): Promise<T> => {
    const db = open();
    try {
      return await fn(db);
    } finally {
      await db.destroy();
    }
  };
  await withDb(async (db) => {
    await db.schema.createTable(table, (t) => {
      t.increments('id').primary();
      t.string('username', 255).notNullable().unique();
      t.string('email', 255).notNullable().unique();
      t.string('password', 255);
      t.string('first_name', 255);
      t.string('last_name', 255);
    });
    for (const u of users) {
      registerSecret('password', u.password);
      await db(table).insert({
        username: u.username,
        email: u.email,
        password: bcryptOf(u.password, opts.cost),
        first_name: 'Test',
        last_name: 'User',
      });
    }
  });
  return {
    database,
    dialect,
    table,
    config: {
      connection: database.url,
      table,
      identifiers: ['username', 'email'],
      columns: { id: 'id', password: 'password' },
      claims: {
        email: 'email',
        given_name: 'first_name',
        family_name: 'last_name',
        preferred_username: 'username',
      },
    },
    withDb,
    async insertRaw(username, password) {
      await withDb((db) =>
        db(table).insert({
          username,
          email: `${username}@hostile.example`,
          password,
          first_name: 'H',
          last_name: 'R',
        }),
      );
    },
    drop: () => database.drop(),
  };
}

/**
 * Sequential and index scans of a table, as PostgreSQL itself counted them. A backend hands
 * its counts to the statistics system when it exits, so this first waits until no other
 * session is connected to the database (the caller has closed the bridge and its pool).
 */
export async function pgTableScans(legacy: LegacyTable): Promise<number> {
  if (legacy.dialect !== 'postgres') throw new Error('pgTableScans reads PostgreSQL statistics');
  return legacy.withDb(async (db) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { rows } = await db.raw(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      if (rows[0].n === 0) break;
      if (Date.now() > deadline) throw new Error('sessions still connected to the legacy database');
      await new Promise((r) => setTimeout(r, 50));
    }
    // The exiting backends report asynchronously; read until two reads agree.
    let last = -1;
    for (let i = 0; i < 20; i++) {
      const { rows } = await db.raw(
        'SELECT (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::int AS n FROM pg_stat_user_tables WHERE relname = ?',
        [legacy.table],
      );
      const n = rows[0]?.n ?? 0;
      if (n === last) return n;
      last = n;
      await new Promise((r) => setTimeout(r, 100));
    }
    return last;
  });
}

/** Row counts of the tables a login could write to (audit rows are allowed and not counted). */
export async function writableCounts(db: Knex): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['accounts', 'account_identifiers', 'outbox']) {
    out[t] = Number((await db(t).count({ n: '*' }))[0]!.n);
  }
  out.grants = Number((await db('oidc_payloads').where({ type: 'Grant' }).count({ n: '*' }))[0]!.n);
  return out;
}

/**
 * A page with what differs by design replaced: the CSP nonce, the CSRF token, the
 * interaction uid and the identifier the user typed (echoed into the form).
 */
export function normalisePage(html: string, identifier?: string): string {
  let out = html
    .replace(/nonce="[^"]*"/g, 'nonce="NONCE"')
    .replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value="CSRF"')
    .replace(/\/interaction\/[A-Za-z0-9_-]+\//g, '/interaction/UID/');
  if (identifier !== undefined) out = out.split(`value="${identifier}"`).join('value="IDENTIFIER"');
  return out;
}
