// The legacy source against a real MariaDB holding the import guide's example be_users table (loaded from
// deploy/mariadb/initdb/001-be-users.sql, the guide's dump) plus 249 more rows.
import knexPkg from 'knex';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegacyUnavailableError } from '../../src/errors.ts';
import { createLegacySource, type LegacySource } from '../../src/legacy/source.ts';
import { legacyKnexConfig } from '../../src/legacy/sql/connection.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMariaDatabase, type TestDatabase } from '../support/databases.ts';
import {
  captureLogger,
  countingKnex,
  EXAMPLE_HASH,
  HOSTILE_IDENTIFIERS,
  legacyConfig,
  loadBeUsers,
} from './support.ts';

const { knex } = knexPkg;

let db: TestDatabase;
const sources: LegacySource[] = [];

function source(
  overrides: Record<string, unknown> = {},
  deps: Parameters<typeof createLegacySource>[1] = {},
) {
  const s = createLegacySource(legacyConfig({ connection: db.url, table: 'be_users', ...overrides }), deps);
  sources.push(s);
  return s;
}

// Ids 1..247 plus two rows that share a login name across columns: 250 rows with the import guide's.
function extraRows(): string {
  const values: string[] = [];
  for (let i = 1; i <= 247; i++) {
    const names = i === 1 ? "'Ada', 'Lovelace'" : 'NULL, NULL';
    const logged = i === 10 ? 1 : 0;
    const updated = i <= 5 ? 'NOW() - INTERVAL 1 DAY' : i === 6 ? 'NOW() - INTERVAL 400 DAY' : 'NULL';
    const created = i === 1 ? "'2020-01-02 03:04:05'" : 'NULL';
    const birthday = i === 1 ? "'1990-05-06 00:00:00'" : 'NULL';
    values.push(
      `(${i}, ${names}, 'user${i}', 'user${i}@example.com', '5f4dcc3b5aa765d61d8327deb882cf99', 'F', ${birthday}, ${logged}, ${created}, ${updated})`,
    );
  }
  values.push(
    "(248, NULL, NULL, 'shared@example.com', 'owner-a@example.com', 'x', 'M', NULL, 0, NULL, NULL)",
    "(249, NULL, NULL, 'owner-b', 'shared@example.com', 'x', 'M', NULL, 0, NULL, NULL)",
  );
  return `INSERT INTO be_users (id, first_name, last_name, username, email, password, gender, birthday, is_logged, created_at, updated_at) VALUES ${values.join(',\n')};`;
}

beforeAll(async () => {
  db = await createMariaDatabase('legacy');
  await loadBeUsers(db.url, extraRows());
});

afterAll(async () => {
  for (const s of sources) await s.close();
  await db?.drop();
});

describe("the import guide's be_users table on MariaDB", () => {
  it('finds the example user by username', async () => {
    const row = await source().findByIdentifier('testuser-bal');
    expect(row).toMatchObject({ id: '28774', password: EXAMPLE_HASH, salt: undefined });
    expect(row?.row.email).toBe('testuser-bal@example.com');
    expect(row?.row.first_name).toBeNull();
  });

  it('finds the example user by email in any case', async () => {
    const row = await source().findByIdentifier('TestUser-Bal@EXAMPLE.com');
    expect(row?.id).toBe('28774');
  });

  it('matches a username exactly, case included, even through a _ci collation, unless case_insensitive lists it', async () => {
    expect(await source().findByIdentifier('TESTUSER-BAL')).toBeUndefined();
    expect((await source().findByIdentifier('testuser-bal'))?.id).toBe('28774');
    const folded = source({ case_insensitive: ['email', 'username'] });
    expect((await folded.findByIdentifier('TESTUSER-BAL'))?.id).toBe('28774');
  });

  it('returns undefined for an unknown user', async () => {
    expect(await source().findByIdentifier('nobody@example.com')).toBeUndefined();
  });

  it('returns every column of the row raw', async () => {
    const row = await source().findByIdentifier('user1');
    expect(Object.keys(row?.row ?? {})).toHaveLength(15);
    expect(row?.row.created_at).toBe('2020-01-02T03:04:05.000Z');
    expect(row?.row.is_logged).toBe(0);
  });

  it('takes the first identifier column’s match when a name matches different rows', async () => {
    expect(
      (await source({ identifiers: ['username', 'email'] }).findByIdentifier('shared@example.com'))?.id,
    ).toBe('248');
    expect(
      (await source({ identifiers: ['email', 'username'] }).findByIdentifier('shared@example.com'))?.id,
    ).toBe('249');
  });

  it('applies the where filter', async () => {
    expect((await source().findByIdentifier('user10'))?.id).toBe('10');
    const filtered = source({ where: { is_logged: 0 } });
    expect(await filtered.findByIdentifier('user10')).toBeUndefined();
    expect((await filtered.findByIdentifier('user11'))?.id).toBe('11');
    expect(await filtered.findById('10')).toBeUndefined();
  });

  it('finds a row by id, and refuses an id MySQL would coerce to a number', async () => {
    const s = source();
    expect((await s.findById('28774'))?.row.username).toBe('testuser-bal');
    expect(await s.findById('28774abc')).toBeUndefined();
    expect(await s.findById('99999')).toBeUndefined();
  });

  it('does not match a numeric id column against a name that merely starts with digits', async () => {
    const s = source({ identifiers: ['id', 'username'] });
    expect((await s.findByIdentifier('28774'))?.id).toBe('28774');
    expect(await s.findByIdentifier('28774abc')).toBeUndefined();
  });

  it('sends exactly one query per lookup', async () => {
    const config = legacyConfig({ connection: db.url, table: 'be_users' });
    const counting = countingKnex(config);
    const s = source({}, { knex: counting.db });
    try {
      await s.findByIdentifier('testuser-bal'); // the first call also reads the catalog once
      const before = counting.count();
      await s.findByIdentifier('testuser-bal');
      expect(counting.count()).toBe(before + 1);
      await s.findByIdentifier('nobody');
      expect(counting.count()).toBe(before + 2);
      await s.findById('1');
      expect(counting.count()).toBe(before + 3);
    } finally {
      await counting.db.destroy();
    }
  });

  it('counts the rows, with and without the where filter', async () => {
    expect(await source().count()).toBe(250);
    expect(await source({ where: { is_logged: 0 } }).count()).toBe(249);
  });

  it('counts the users active in the last days when a last-login column is configured', async () => {
    expect(await source().countActiveSince(30)).toBeUndefined();
    const s = source({ columns: { last_login: 'updated_at' } });
    expect(await s.countActiveSince(30)).toBe(5);
    expect(await s.countActiveSince(500)).toBe(6);
  });

  it('pages through 250 rows in numeric id order with no duplicates and no gaps', async () => {
    const s = source();
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await s.page(after, 7);
      if (page.length === 0) break;
      seen.push(...page.map((r) => r.id));
      after = page.at(-1)?.id;
    }
    const expected = [...Array.from({ length: 249 }, (_, i) => String(i + 1)), '28774'];
    expect(seen).toEqual(expected);
  });

  it('pages with the where filter', async () => {
    const page = await source({ where: { is_logged: 0 } }).page('8', 3);
    expect(page.map((r) => r.id)).toEqual(['9', '11', '12']);
  });

  it('maps the example row’s claims, skipping its NULL names', async () => {
    const s = source();
    const row = await s.findByIdentifier('testuser-bal');
    expect(s.mapClaims(row!)).toEqual({
      email: 'testuser-bal@example.com',
      preferred_username: 'testuser-bal',
    });
  });

  it('maps names and dates, composing name from given and family name', async () => {
    const s = source({
      claims: { email: 'email', given_name: 'first_name', family_name: 'last_name', birthdate: 'birthday' },
    });
    const row = await s.findByIdentifier('user1');
    expect(s.mapClaims(row!)).toEqual({
      email: 'user1@example.com',
      given_name: 'Ada',
      family_name: 'Lovelace',
      name: 'Ada Lovelace',
      birthdate: '1990-05-06',
    });
  });

  it('describes the mapping without ever showing the hash', async () => {
    const s = source();
    const row = await s.findByIdentifier('testuser-bal');
    const lines = s.describeMapping(row!);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(EXAMPLE_HASH);
    expect(text).not.toContain('fKm6Uoyn');
    expect(lines.find((l) => l.key === 'legacy.columns.password')?.value).toBe(
      '57 characters, starts with $2y$',
    );
    expect(lines.find((l) => l.key === 'legacy.claims.email')).toMatchObject({
      column: 'email',
      present: true,
      value: '"testuser-bal@example.com"',
    });
    expect(lines.find((l) => l.key === 'legacy.claims.given_name')?.value).toBe('NULL');
  });

  it('masks the hash even when a claim is mapped to the password column', async () => {
    const s = source({ claims: { email: 'email', nickname: 'password' } });
    const row = await s.findByIdentifier('testuser-bal');
    expect(JSON.stringify(s.describeMapping(row!))).not.toContain(EXAMPLE_HASH);
    expect(s.mapClaims(row!)).toEqual({ email: 'testuser-bal@example.com' });
  });

  it('opens a mariadb:// URL as MySQL', async () => {
    const s = source({ connection: db.url.replace(/^mysql:/, 'mariadb:') });
    expect(s.kind).toBe('sql');
    expect((await s.findByIdentifier('testuser-bal'))?.id).toBe('28774');
  });

  it('answers ping', async () => {
    await expect(source().ping()).resolves.toBeUndefined();
  });
});

describe('hostile identifiers on MariaDB', () => {
  for (const [what, identifier] of HOSTILE_IDENTIFIERS) {
    it(`finds nothing and raises nothing for ${what}`, async () => {
      expect(await source().findByIdentifier(identifier)).toBeUndefined();
      expect(await source().findById(identifier)).toBeUndefined();
    });
  }

  it('leaves the table intact', async () => {
    expect(await source().count()).toBe(250);
  });
});

describe('a legacy configuration that does not fit the MariaDB table', () => {
  it('names legacy.identifiers when an identifier column does not exist', async () => {
    const err = await source({ identifiers: ['usrname'] })
      .findByIdentifier('testuser-bal')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'legacy_config_invalid', key: 'legacy.identifiers[0]', status: 500 });
    expect((err as Error).message).toContain('usrname');
  });

  it('names legacy.table when the table does not exist', async () => {
    await expect(source({ table: 'be_user' }).findByIdentifier('testuser-bal')).rejects.toMatchObject({
      code: 'legacy_config_invalid',
      key: 'legacy.table',
    });
  });

  it('names legacy.columns.password when the hash column does not exist', async () => {
    await expect(source({ columns: { password: 'passwd' } }).findById('28774')).rejects.toMatchObject({
      code: 'legacy_config_invalid',
      key: 'legacy.columns.password',
    });
  });

  it('names the claim whose column does not exist', async () => {
    await expect(source({ claims: { email: 'e_mail' } }).checkSchema()).rejects.toMatchObject({
      code: 'legacy_config_invalid',
      key: 'legacy.claims.email',
    });
  });

  it('names the key when a column is spelled in a different case', async () => {
    const err = await source({ identifiers: ['UserName'] })
      .checkSchema()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'legacy_config_invalid', key: 'legacy.identifiers[0]' });
    expect((err as Error).message).toContain('username');
  });

  it('reports the database’s own unknown-column error the same way, without the login name', async () => {
    const log = captureLogger();
    const s = source({ identifiers: ['usrname'] }, { probeSchema: false, logger: log.logger });
    const err = await s.findByIdentifier('testuser-bal').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'legacy_config_invalid', key: 'legacy.identifiers[0]' });
    expect((err as Error).message).toContain('usrname');
    expect((err as Error).message).not.toContain('testuser-bal');
    expect(log.text()).not.toContain('testuser-bal');
  });

  it('throws LegacyRowError naming the column and key when a row lacks the hash column', async () => {
    const s = source({ columns: { password: 'passwd' } }, { probeSchema: false });
    const err = await s.findByIdentifier('testuser-bal').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'legacy_row_invalid',
      details: { column: 'passwd', key: 'legacy.columns.password' },
    });
    expect((err as Error).message).toContain('legacy.columns.password');
    expect((err as Error).message).not.toContain(EXAMPLE_HASH);
  });

  it('refuses a where key that is not a plain column name', () => {
    expect(() => source({ where: { 'is_logged = 0 OR 1': 1 } })).toThrow(
      expect.objectContaining({ code: 'legacy_config_invalid' }),
    );
  });
});

describe('the MariaDB session', () => {
  it('is read-only', async () => {
    const { config } = legacyKnexConfig(
      legacyConfig({ connection: db.url, table: 'be_users' }),
      silentLogger,
    );
    const k = knex(config);
    try {
      await expect(k('be_users').where({ id: 28774 }).update({ is_logged: 1 })).rejects.toMatchObject({
        code: 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION',
      });
    } finally {
      await k.destroy();
    }
  });

  it('turns a query that outlives query_timeout_ms into legacy_unavailable, and recovers', async () => {
    const s = source({ query_timeout_ms: 400 });
    await s.findByIdentifier('testuser-bal');
    const locker = await mysql.createConnection(db.url);
    try {
      await locker.query('LOCK TABLES be_users WRITE');
      const started = Date.now();
      const err = await s.findByIdentifier('testuser-bal').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LegacyUnavailableError);
      expect(err).toMatchObject({ code: 'legacy_unavailable', status: 503 });
      expect((err as Error).message).toContain('QUERY_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(3000);
      await locker.query('UNLOCK TABLES');
      expect((await s.findByIdentifier('testuser-bal'))?.id).toBe('28774');
    } finally {
      await locker.end();
    }
  });
});
