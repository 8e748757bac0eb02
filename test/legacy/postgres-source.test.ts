// The legacy source against a real PostgreSQL table that keeps the salt in its own column,
// the other common legacy layout: users(id serial, login, mail, pw_hash, pw_salt).
import knexPkg, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegacyUnavailableError } from '../../src/errors.ts';
import { createLegacySource, type LegacySource } from '../../src/legacy/source.ts';
import { legacyKnexConfig } from '../../src/legacy/sql/connection.ts';
import { silentLogger } from '../../src/logger.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { captureLogger, countingKnex, HOSTILE_IDENTIFIERS, legacyConfig } from './support.ts';

const { knex } = knexPkg;

let db: TestDatabase;
let admin: Knex;
const sources: LegacySource[] = [];

const BASE = {
  table: 'users',
  identifiers: ['login', 'mail'],
  case_insensitive: ['mail'],
  columns: { id: 'id', password: 'pw_hash', salt: 'pw_salt', last_login: 'last_seen' },
  claims: { email: 'mail', preferred_username: 'login', updated_at: 'last_seen' },
};

function source(
  overrides: Record<string, unknown> = {},
  deps: Parameters<typeof createLegacySource>[1] = {},
) {
  const s = createLegacySource(legacyConfig({ connection: db.url, ...BASE, ...overrides }), deps);
  sources.push(s);
  return s;
}

beforeAll(async () => {
  db = await createPgDatabase('legacy');
  admin = knex({ client: 'pg', connection: db.url, pool: { min: 0, max: 2 } });
  await admin.raw(`
    create table users (
      id serial primary key,
      login text not null unique,
      mail text,
      pw_hash text,
      pw_salt text,
      active boolean not null default true,
      is_enabled smallint not null default 1,
      last_seen timestamp,
      last_login_unix integer
    )`);
  await admin('users').insert([
    {
      login: 'alice',
      mail: 'Alice@Example.com',
      pw_hash: 'e10adc3949ba59abbe56e057f20f883e',
      pw_salt: 'NaCl',
      last_seen: admin.raw(`'2024-03-04 05:06:07'::timestamp`),
      last_login_unix: Math.floor(Date.now() / 1000) - 86_400,
    },
    { login: 'Bob', mail: 'Bob@example.com', pw_hash: 'h-upper', pw_salt: null },
    { login: 'bob', mail: 'bob@example.com', pw_hash: 'h-lower', pw_salt: null },
    { login: 'carol', mail: 'carol@example.com', pw_hash: null, pw_salt: null, active: false },
  ]);
  for (let i = 0; i < 30; i++) {
    await admin('users').insert({
      login: `u${i}`,
      mail: `u${i}@example.com`,
      pw_hash: 'x',
      last_seen: admin.raw('now()'),
    });
  }
});

afterAll(async () => {
  for (const s of sources) await s.close();
  await admin?.destroy();
  await db?.drop();
});

describe('a PostgreSQL legacy table with a separate salt column', () => {
  it('finds a user by login and returns the salt', async () => {
    const row = await source().findByIdentifier('alice');
    expect(row).toMatchObject({ id: '1', password: 'e10adc3949ba59abbe56e057f20f883e', salt: 'NaCl' });
  });

  it('finds a user by mail in any case', async () => {
    expect((await source().findByIdentifier('alice@example.COM'))?.id).toBe('1');
    expect((await source().findByIdentifier('ALICE@EXAMPLE.COM'))?.salt).toBe('NaCl');
  });

  it('compares login case-sensitively, since it is not listed in case_insensitive', async () => {
    expect(await source().findByIdentifier('ALICE')).toBeUndefined();
  });

  it('prefers the row spelled exactly as typed when two differ only in case', async () => {
    const s = source();
    expect((await s.findByIdentifier('Bob@example.com'))?.password).toBe('h-upper');
    expect((await s.findByIdentifier('bob@example.com'))?.password).toBe('h-lower');
    expect((await s.findByIdentifier('BOB@EXAMPLE.COM'))?.id).toBe('2');
  });

  it('returns an undefined salt for a NULL salt and a null password for a NULL hash', async () => {
    const s = source();
    expect((await s.findByIdentifier('Bob'))?.salt).toBeUndefined();
    expect((await s.findByIdentifier('carol'))?.password).toBeNull();
  });

  it('applies a where filter on a boolean column written as 1', async () => {
    const s = source({ where: { active: 1 } });
    expect(await s.findByIdentifier('carol')).toBeUndefined();
    expect((await s.findByIdentifier('alice'))?.id).toBe('1');
  });

  it('names legacy.where when a filter value cannot fit its column', async () => {
    await expect(source({ where: { active: 'maybe' } }).findByIdentifier('alice')).rejects.toMatchObject({
      code: 'legacy_config_invalid',
      key: 'legacy.where.active',
    });
  });

  it('finds by id and treats a non-numeric or out-of-range id as no such user', async () => {
    const s = source();
    expect((await s.findById('1'))?.row.login).toBe('alice');
    expect(await s.findById('abc')).toBeUndefined();
    expect(await s.findById('99999999999')).toBeUndefined();
  });

  it('reads a timestamp without time zone as UTC and maps updated_at to epoch seconds', async () => {
    const s = source();
    const row = await s.findByIdentifier('alice');
    expect(row?.row.last_seen).toBe('2024-03-04T05:06:07.000Z');
    expect(s.mapClaims(row!)).toEqual({
      email: 'Alice@Example.com',
      preferred_username: 'alice',
      updated_at: Date.UTC(2024, 2, 4, 5, 6, 7) / 1000,
    });
  });

  it('never maps the hash or the salt column to a claim', async () => {
    const s = source({ claims: { email: 'mail', nickname: 'pw_hash', locale: 'pw_salt' } });
    const row = await s.findByIdentifier('alice');
    expect(s.mapClaims(row!)).toEqual({ email: 'Alice@Example.com' });
    const text = JSON.stringify(s.describeMapping(row!));
    expect(text).not.toContain('e10adc3949ba59abbe56e057f20f883e');
    expect(text).not.toContain('NaCl');
    expect(text).toContain('32 characters, hexadecimal (lowercase)');
  });

  it('sends exactly one query per lookup', async () => {
    const counting = countingKnex(legacyConfig({ connection: db.url, ...BASE }));
    const s = source({}, { knex: counting.db });
    try {
      await s.findByIdentifier('alice');
      const before = counting.count();
      await s.findByIdentifier('alice@example.com');
      await s.findByIdentifier('nobody');
      expect(counting.count()).toBe(before + 2);
    } finally {
      await counting.db.destroy();
    }
  });

  it('pages in id order past id 9 → 10 without gaps', async () => {
    const s = source();
    const ids: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await s.page(after, 4);
      if (!page.length) break;
      ids.push(...page.map((r) => r.id));
      after = page.at(-1)?.id;
    }
    expect(ids).toEqual(Array.from({ length: 34 }, (_, i) => String(i + 1)));
    expect(await s.count()).toBe(34);
    expect(await source({ where: { active: true } }).count()).toBe(33);
  });

  it('counts users seen in the last days', async () => {
    expect(await source().countActiveSince(7)).toBe(30);
  });

  it('counts users seen in the last days from a Unix-seconds column', async () => {
    const s = source({ columns: { id: 'id', password: 'pw_hash', last_login: 'last_login_unix' } });
    expect(await s.countActiveSince(7)).toBe(1);
  });

  it('filters a smallint flag configured as true', async () => {
    expect(await source({ where: { is_enabled: true } }).count()).toBe(34);
    expect(await source({ where: { is_enabled: false } }).count()).toBe(0);
  });

  it('opens a postgresql:// URL', async () => {
    const s = source({ connection: db.url.replace(/^postgres:/, 'postgresql:') });
    expect((await s.findByIdentifier('alice'))?.id).toBe('1');
  });
});

describe('hostile identifiers on PostgreSQL', () => {
  for (const [what, identifier] of HOSTILE_IDENTIFIERS) {
    it(`finds nothing and raises nothing for ${what}`, async () => {
      expect(await source().findByIdentifier(identifier)).toBeUndefined();
      expect(await source().findById(identifier)).toBeUndefined();
    });
  }

  it('treats a value the server cannot convert (22P02) as no such user, without logging it', async () => {
    // Without the catalog facts nothing is filtered up front: the server answers 22P02.
    const log = captureLogger();
    const s = source({}, { probeSchema: false, logger: log.logger });
    expect(await s.findById('17x-secret-name')).toBeUndefined();
    expect(log.lines().some((l) => l.errorCode === '22P02')).toBe(true);
    expect(log.text()).not.toContain('secret-name');
  });
});

describe('a legacy configuration that does not fit the PostgreSQL table', () => {
  it('names the key of a missing column, from the server’s 42703', async () => {
    const err = await source({ identifiers: ['login', 'email_address'] }, { probeSchema: false })
      .findByIdentifier('alice')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'legacy_config_invalid', key: 'legacy.identifiers[1]' });
    expect((err as Error).message).toContain('email_address');
  });

  it('names legacy.table for a missing table, from the server’s 42P01', async () => {
    await expect(source({ table: 'accounts' }, { probeSchema: false }).findById('1')).rejects.toMatchObject({
      code: 'legacy_config_invalid',
      key: 'legacy.table',
    });
  });

  it('names legacy.columns.salt when the salt column is missing', async () => {
    await expect(
      source({ columns: { password: 'pw_hash', salt: 'salt' } }).checkSchema(),
    ).rejects.toMatchObject({
      code: 'legacy_config_invalid',
      key: 'legacy.columns.salt',
    });
  });
});

describe('the PostgreSQL session', () => {
  it('is read-only', async () => {
    const { config } = legacyKnexConfig(legacyConfig({ connection: db.url, ...BASE }), silentLogger);
    const k = knex(config);
    try {
      await expect(k('users').where({ id: 1 }).update({ login: 'mallory' })).rejects.toMatchObject({
        code: '25006',
      });
    } finally {
      await k.destroy();
    }
  });

  it('cancels a query that outlives query_timeout_ms and answers legacy_unavailable', async () => {
    const s = source({ query_timeout_ms: 400 });
    await s.findByIdentifier('alice');
    await admin.transaction(async (trx) => {
      await trx.raw('lock table users in access exclusive mode');
      const started = Date.now();
      const err = await s.findByIdentifier('alice').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LegacyUnavailableError);
      expect((err as Error).message).toContain('QUERY_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(3000);
    });
    expect((await s.findByIdentifier('alice'))?.id).toBe('1');
  });
});
