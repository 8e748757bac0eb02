// Real databases for tests: each call creates a fresh, uniquely named database on the
// machine's PostgreSQL or MariaDB server and returns its URL and a function that drops it.
// Runs never collide, and nothing is mocked.
import { randomBytes } from 'node:crypto';
import knexPkg from 'knex';

const { knex } = knexPkg;

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MARIADB_ADMIN_URL = process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/mysql';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function createPgDatabase(prefix = 'obt'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const admin = knex({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const a = knex({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
      try {
        await a.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.destroy();
      }
    },
  };
}

export async function createMariaDatabase(prefix = 'obt'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const admin = knex({ client: 'mysql2', connection: MARIADB_ADMIN_URL, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(MARIADB_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const a = knex({ client: 'mysql2', connection: MARIADB_ADMIN_URL, pool: { min: 0, max: 1 } });
      try {
        await a.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await a.destroy();
      }
    },
  };
}
