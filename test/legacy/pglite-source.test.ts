// The legacy source on the embedded PGlite the zero-config demo uses: a seeded in-memory
// instance handed over as a knex instance, and a pglite: URL naming a data directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import knexPkg, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacySource } from '../../src/legacy/source.ts';
import { legacyConfig } from './support.ts';

const { knex } = knexPkg;

const CONFIG = {
  table: 'be_users',
  identifiers: ['username', 'email'],
  columns: { id: 'id', password: 'password', salt: 'salt' },
};

const SCHEMA = [
  `create table be_users (
    id serial primary key, username text not null unique, email text not null,
    password text, salt text, first_name text, last_name text, created_at timestamptz
  )`,
  `insert into be_users (username, email, password, salt, first_name, last_name, created_at) values
    ('demo', 'Demo@Example.com', '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234', null, 'Demo', 'User', '2021-06-07T08:09:10Z'),
    ('salty', 'salty@example.com', '0123456789abcdef0123456789abcdef01234567', 'pepper', null, null, null)`,
];

let memory: Knex;
let dir: string;

beforeAll(async () => {
  memory = knex({ client: ClientPgLite, dialect: 'postgres', connection: {} } as Knex.Config);
  for (const sql of SCHEMA) await memory.raw(sql);
  dir = mkdtempSync(join(tmpdir(), 'legacy-pglite-'));
  const seeded = new PGlite(dir);
  await seeded.exec(SCHEMA.join(';\n'));
  await seeded.close();
});

afterAll(async () => {
  await memory?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a PGlite legacy database', () => {
  it('looks users up in a seeded in-memory instance passed as knex', async () => {
    const s = createLegacySource(legacyConfig({ connection: 'pglite:memory', ...CONFIG }), { knex: memory });
    expect(s.kind).toBe('sql');
    expect((await s.findByIdentifier('demo'))?.id).toBe('1');
    expect((await s.findByIdentifier('DEMO@example.com'))?.row.username).toBe('demo');
    expect(await s.findByIdentifier("' OR 1=1 --")).toBeUndefined();
    expect(await s.findByIdentifier('demo\u0000')).toBeUndefined();
    const salty = await s.findByIdentifier('salty');
    expect(salty).toMatchObject({ id: '2', salt: 'pepper' });
    expect(s.mapClaims((await s.findByIdentifier('demo'))!)).toEqual({
      email: 'Demo@Example.com',
      given_name: 'Demo',
      family_name: 'User',
      name: 'Demo User',
      preferred_username: 'demo',
    });
    expect(await s.count()).toBe(2);
    expect((await s.page(undefined, 10)).map((r) => r.id)).toEqual(['1', '2']);
    await s.ping();
    await s.close();
    // The instance belongs to its creator: closing the source leaves it open.
    expect((await memory.raw('select 1 as one')).rows[0].one).toBe(1);
  });

  it('opens a pglite: URL naming a data directory', async () => {
    const s = createLegacySource(legacyConfig({ connection: `pglite:${dir}`, ...CONFIG }));
    try {
      expect(s.kind).toBe('sql');
      expect((await s.findByIdentifier('salty@EXAMPLE.com'))?.password).toBe(
        '0123456789abcdef0123456789abcdef01234567',
      );
    } finally {
      await s.close();
    }
  });

  it('opens pglite:memory, an empty database, and names legacy.table', async () => {
    const s = createLegacySource(legacyConfig({ connection: 'pglite:memory', ...CONFIG }));
    try {
      await expect(s.findByIdentifier('demo')).rejects.toMatchObject({
        code: 'legacy_config_invalid',
        key: 'legacy.table',
      });
    } finally {
      await s.close();
    }
  });
});
