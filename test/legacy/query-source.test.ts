// legacy.query, schema-qualified tables, SQLite files and legacy.fields, as stock schemas
// need them: WordPress's names in wp_usermeta (MariaDB), Django's auth_user with is_active and
// empty names (PostgreSQL, schema-qualified), Laravel's one `name` column and
// email_verified_at (SQLite), and groups from a second query or a delimited column.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import knexPkg, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacySource, type LegacySource } from '../../src/legacy/source.ts';
import { legacyKnexConfig } from '../../src/legacy/sql/connection.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { HOSTILE_IDENTIFIERS, legacyConfig } from './support.ts';

let maria: TestDatabase;
let pg: TestDatabase;
let dir: string;
let sqliteFile: string;
const sources: LegacySource[] = [];

function source(input: Record<string, unknown>, deps: Parameters<typeof createLegacySource>[1] = {}) {
  const s = createLegacySource(legacyConfig(input), { logger: silentLogger, ...deps });
  sources.push(s);
  return s;
}

const WORDPRESS_QUERY = `
  SELECT u.ID AS id, u.user_login AS username, u.user_email AS email, u.user_pass AS password,
         fn.meta_value AS first_name, ln.meta_value AS last_name
    FROM wp_users u
    LEFT JOIN wp_usermeta fn ON fn.user_id = u.ID AND fn.meta_key = 'first_name'
    LEFT JOIN wp_usermeta ln ON ln.user_id = u.ID AND ln.meta_key = 'last_name'`;

beforeAll(async () => {
  maria = await createMariaDatabase('wp');
  const m = knexPkg.knex({ client: 'mysql2', connection: maria.url, pool: { min: 0, max: 1 } });
  await m.raw(`create table wp_users (ID bigint unsigned primary key auto_increment, user_login varchar(60),
    user_email varchar(100), user_pass varchar(255))`);
  await m.raw(`create table wp_usermeta (umeta_id bigint primary key auto_increment, user_id bigint unsigned,
    meta_key varchar(255), meta_value longtext)`);
  await m.raw(`insert into wp_users values (1, 'ana', 'ana@example.com', '$P$B12345678901234567890123456789'),
    (2, 'ben', 'ben@example.com', 'x'), (3, 'cy', 'cy@example.com', 'x')`);
  await m.raw(`insert into wp_usermeta (user_id, meta_key, meta_value) values
    (1, 'first_name', 'Ana'), (1, 'last_name', 'Lima'), (1, 'wp_capabilities', 'a:1:{s:13:"administrator";b:1;}'),
    (2, 'first_name', 'Ben'), (2, 'last_name', '')`);
  await m.destroy();

  pg = await createPgDatabase('django');
  const p = knexPkg.knex({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
  await p.raw(`create schema legacy_app`);
  await p.raw(`create table legacy_app.auth_user (id serial primary key, username varchar(150), email varchar(254),
    password varchar(128), first_name varchar(150), last_name varchar(150), is_active boolean)`);
  await p.raw(`insert into legacy_app.auth_user (username, email, password, first_name, last_name, is_active) values
    ('admin', 'admin@example.com', 'x', '', '', true), ('dave', 'dave@example.com', 'x', 'Dave', 'D', false)`);
  await p.destroy();

  dir = mkdtempSync(join(tmpdir(), 'legacy-sqlite-'));
  sqliteFile = join(dir, 'laravel.sqlite');
  const db = new Database(sqliteFile);
  db.exec(`create table users (id integer primary key, name varchar, email varchar, password varchar,
      email_verified_at datetime null, roles varchar null);
    create table roles (id integer primary key, name varchar);
    create table role_user (user_id integer, role_id integer);
    insert into users values (1, 'Taylor Otwell', 'taylor@example.com', 'x', '2024-01-02 03:04:05', 'admin, editor'),
      (2, 'Prince', 'prince@example.com', 'x', null, null);
    insert into roles values (1, 'staff'), (2, 'billing');
    insert into role_user values (1, 1), (1, 2);`);
  db.close();
});

afterAll(async () => {
  for (const s of sources) await s.close();
  await maria?.drop();
  await pg?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('legacy.query on MariaDB: WordPress with its names in wp_usermeta', () => {
  const wp = () =>
    source({
      connection: maria.url,
      query: WORDPRESS_QUERY,
      claims: {
        email: 'email',
        given_name: 'first_name',
        family_name: 'last_name',
        preferred_username: 'username',
      },
    });

  it('finds a user by login name or e-mail, with names from the joined meta rows', async () => {
    const s = wp();
    await s.checkSchema();
    const row = await s.findByIdentifier('ANA@example.com');
    expect(row?.id).toBe('1');
    expect(s.mapClaims(row!)).toMatchObject({ given_name: 'Ana', family_name: 'Lima', name: 'Ana Lima' });
    expect((await s.findById('2'))?.row.first_name).toBe('Ben');
  });

  it('pages and counts through the query in id order', async () => {
    const s = wp();
    expect((await s.page(undefined, 2)).map((r) => r.id)).toEqual(['1', '2']);
    expect((await s.page('2', 10)).map((r) => r.id)).toEqual(['3']);
    expect(await s.count()).toBe(3);
  });

  it.each(HOSTILE_IDENTIFIERS)('finds nobody for %s, and the tables stay', async (_name, value) => {
    const s = wp();
    expect(await s.findByIdentifier(value)).toBeUndefined();
    expect(await s.count()).toBe(3);
  });

  it('names the key and the columns the query has when a configured column is missing', async () => {
    const s = source({ connection: maria.url, query: WORDPRESS_QUERY, claims: { nickname: 'display_name' } });
    await expect(s.checkSchema()).rejects.toMatchObject({
      code: 'legacy_config_invalid',
      key: 'legacy.claims.nickname',
      message: expect.stringContaining('legacy.query has no output column display_name'),
    });
  });
});

describe('legacy.query is checked before it is sent', () => {
  it.each([
    ['two statements', 'SELECT * FROM wp_users; DROP TABLE wp_users', 'more than one statement'],
    ['an UPDATE', 'UPDATE wp_users SET user_pass = 1', 'is not a SELECT'],
    ['a data-changing CTE', 'WITH d AS (DELETE FROM wp_users RETURNING *) SELECT * FROM d', 'DELETE'],
    ['SELECT … INTO OUTFILE', "SELECT * FROM wp_users INTO OUTFILE '/tmp/x'", 'INTO'],
    ['a row lock', 'SELECT * FROM wp_users FOR UPDATE', 'UPDATE'],
    ['a placeholder of its own', 'SELECT * FROM wp_users WHERE ID = ?', 'placeholder'],
    ['an unclosed quote', "SELECT 'x FROM wp_users", 'not closed'],
  ])('refuses %s at start, naming legacy.query', (_name, query, problem) => {
    expect(() => source({ connection: maria.url, query })).toThrow(
      expect.objectContaining({
        code: 'legacy_config_invalid',
        key: 'legacy.query',
        message: expect.stringContaining(problem),
      }),
    );
  });

  it('accepts a ; or a ? inside a string literal or a comment', async () => {
    const s = source({
      connection: maria.url,
      query: `SELECT ID AS id, user_login AS username, user_email AS email, user_pass AS password,
        ';?' AS first_name, 'x' AS last_name FROM wp_users -- a trailing comment; with ?`,
    });
    expect((await s.findByIdentifier('cy'))?.row.first_name).toBe(';?');
  });
});

describe('a schema-qualified table on PostgreSQL: Django auth_user', () => {
  const django = (extra: Record<string, unknown> = {}) =>
    source({
      connection: pg.url,
      table: 'legacy_app.auth_user',
      where: { is_active: true },
      fields: {
        given: { coalesce: ['first_name'], default: 'Customer' },
        family: { coalesce: ['last_name'], default: 'Account' },
      },
      claims: { email: 'email', given_name: 'given', family_name: 'family', preferred_username: 'username' },
      ...extra,
    });

  it('reads the table by its schema, keeps inactive users out and defaults empty names', async () => {
    const s = django();
    await s.checkSchema();
    const admin = await s.findByIdentifier('admin');
    expect(s.mapClaims(admin!)).toMatchObject({ given_name: 'Customer', family_name: 'Account' });
    expect(await s.findByIdentifier('dave')).toBeUndefined();
    expect(await s.count()).toBe(1);
  });

  it('says "table", with the key to fix, when the schema-qualified table is not there', async () => {
    const s = django({ table: 'legacy_app.auth_users' });
    await expect(s.checkSchema()).rejects.toMatchObject({
      key: 'legacy.table',
      message: expect.stringContaining('Table legacy_app.auth_users does not exist'),
    });
  });

  it('keeps an empty string when empty_as_missing is false', async () => {
    const s = django({
      fields: {
        given: { coalesce: ['first_name'], default: 'Customer', empty_as_missing: false },
        family: { column: 'last_name' },
      },
    });
    expect((await s.findByIdentifier('admin'))?.row.given).toBe('');
  });

  it('refuses at start a field that would copy the password hash into a claim', () => {
    expect(() =>
      django({ fields: { given: { column: 'password' }, family: { column: 'last_name' } } }),
    ).toThrow(
      expect.objectContaining({
        key: 'legacy.fields.given',
        message: expect.stringContaining('holds a password hash'),
      }),
    );
  });

  it('refuses at start a field that reads a column the table lacks', async () => {
    const s = django({ fields: { given: { coalesce: ['first'] }, family: { column: 'last_name' } } });
    await expect(s.checkSchema()).rejects.toMatchObject({ key: 'legacy.fields.given' });
  });
});

describe('legacy.query on PGlite', () => {
  it('runs the derived table on the embedded database', async () => {
    const db: Knex = knexPkg.knex({
      client: ClientPgLite,
      dialect: 'postgres',
      connection: {},
    } as Knex.Config);
    try {
      await db.raw(`create table accounts (uid int primary key, login text, mail text, pw text, active int)`);
      await db.raw(
        `insert into accounts values (7, 'pia', 'pia@example.com', 'x', 1), (8, 'old', 'old@example.com', 'x', 0)`,
      );
      const s = source(
        {
          connection: 'pglite:memory',
          query:
            'SELECT uid AS id, login AS username, mail AS email, pw AS password FROM accounts WHERE active = 1',
          claims: { email: 'email' },
        },
        { knex: db },
      );
      await s.checkSchema();
      expect((await s.findByIdentifier('pia'))?.id).toBe('7');
      expect(await s.findByIdentifier('old')).toBeUndefined();
    } finally {
      await db.destroy();
    }
  });
});

describe('a SQLite file: Laravel users', () => {
  const laravel = () =>
    source({
      connection: `sqlite:${sqliteFile}`,
      table: 'users',
      identifiers: ['email'],
      fields: {
        first_name: { split: 'name', part: 'first' },
        last_name: { split: 'name', part: 'rest', default: '-' },
        verified: { set: 'email_verified_at' },
        groups: {
          query:
            'SELECT r.name FROM role_user ru JOIN roles r ON r.id = ru.role_id WHERE ru.user_id = ? ORDER BY r.name',
        },
        roles_list: { list: 'roles' },
      },
      claims: {
        email: 'email',
        given_name: 'first_name',
        family_name: 'last_name',
        email_verified: 'verified',
        groups: 'groups',
      },
    });

  it('splits the one name column, reads email_verified_at as a flag and groups from a second query', async () => {
    const s = laravel();
    await s.checkSchema();
    const taylor = await s.findByIdentifier('Taylor@Example.com');
    expect(s.mapClaims(taylor!)).toEqual({
      email: 'taylor@example.com',
      given_name: 'Taylor',
      family_name: 'Otwell',
      name: 'Taylor Otwell',
      email_verified: true,
      groups: ['billing', 'staff'],
    });
    expect(taylor?.row.roles_list).toEqual(['admin', 'editor']);
    const prince = await s.findByIdentifier('prince@example.com');
    expect(s.mapClaims(prince!)).toMatchObject({
      given_name: 'Prince',
      family_name: '-',
      email_verified: false,
    });
    expect(prince?.row.roles_list).toEqual([]);
    expect((await s.page(undefined, 10)).map((r) => r.id)).toEqual(['1', '2']);
  });

  it('opens the file read-only: a write through its connection is refused', async () => {
    const config = legacyConfig({ connection: `sqlite:${sqliteFile}`, table: 'users' });
    const db = knexPkg.knex(legacyKnexConfig(config, silentLogger).config);
    try {
      await expect(db('users').insert({ id: 3, name: 'x' })).rejects.toThrow(/readonly/i);
    } finally {
      await db.destroy();
    }
  });

  it('names the key when the SQLite file does not exist', async () => {
    const s = source({ connection: `sqlite:${join(dir, 'missing.sqlite')}`, table: 'users' });
    await expect(s.findByIdentifier('x')).rejects.toMatchObject({ code: 'legacy_unavailable' });
  });
});

describe('a legacy.query the database cannot run', () => {
  it('is a configuration error naming legacy.query, not an outage', async () => {
    const s = source({ connection: maria.url, query: 'SELECT ID AS id FROM wp_users WHERE' });
    await expect(s.checkSchema()).rejects.toMatchObject({
      code: 'legacy_config_invalid',
      key: 'legacy.query',
    });
  });
});
