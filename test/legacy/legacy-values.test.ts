// Legacy values converted once, at the source: a timestamp, 0/1 tinyint, BIT(1), a binary
// column, a bigint id above 2^53 and NULL read the same in `legacy check`'s preview, in the
// outbox snapshot a login seals (and the worker opens), and in the bulk import's payload.
import knexPkg from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { createLegacySource, type LegacySource } from '../../src/legacy/source.ts';
import { silentLogger } from '../../src/logger.ts';
import { openRow, sealRow } from '../../src/migration/outbox.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { createStore } from '../../src/store/db.ts';
import { createTargetFormat } from '../../src/target/registry.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';

const BIG_ID = '9007199254740993'; // 2^53 + 1: a double rounds it to ...992

let maria: TestDatabase;
let pg: TestDatabase;
const sources: LegacySource[] = [];

beforeAll(async () => {
  maria = await createMariaDatabase('values');
  const db = knexPkg.knex({ client: 'mysql2', connection: maria.url, pool: { min: 0, max: 1 } });
  await db.raw(`create table shop_users (
    id bigint unsigned primary key, username varchar(50), email varchar(100), password varchar(100),
    first_name varchar(50), last_name varchar(50), gender char(1),
    accept_notifications bit(1), sms tinyint(1), call_ok bit(1),
    email_verified_at datetime null, created_at timestamp null, birthday date null,
    fb varbinary(40) null, phone varchar(20) null)`);
  await db.raw(
    `insert into shop_users values (?, 'bits', 'bits@example.com', 'x', 'Bit', 'Flag', 'F',
      b'1', 1, b'0', '2024-02-03 04:05:06', '2020-01-02 03:04:05', '1990-05-06', 'fb-123', null)`,
    [BIG_ID],
  );
  await db.destroy();
  pg = await createPgDatabase('values');
  const p = knexPkg.knex({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
  await p.raw(`create table members (id bigint primary key, login text, mail text, hash text)`);
  await p.raw(`insert into members values (${BIG_ID}, 'big', 'big@example.com', 'x')`);
  await p.destroy();
});

afterAll(async () => {
  for (const s of sources) await s.close();
  await maria?.drop();
  await pg?.drop();
});

const TARGET = {
  type: 'commerce-import',
  url: 'http://127.0.0.1:9/import',
  mapping: {
    sms_allowed: 'sms',
    call_allowed: 'call_ok',
    verified: 'email_verified_at',
    facebook_uuid: 'fb',
    phone: 'phone',
  },
};

function source(legacy: Record<string, unknown>): LegacySource {
  const config = parseConfig({ legacy, target: TARGET });
  const s = createLegacySource(config.legacy!, { logger: silentLogger });
  sources.push(s);
  return s;
}

/** The payload without its password fields, which each path fills its own way. */
function fields(payload: Record<string, unknown>): Record<string, unknown> {
  const { password: _p, password_algorithm: _a, attributes: _at, ...rest } = payload;
  return rest;
}

describe('legacy values converted once at the source', () => {
  it('reads BIT(1), tinyint, timestamps, binary text, NULL and a bigint id the same way on every path', async () => {
    const s = source({ connection: maria.url, table: 'shop_users' });
    const row = (await s.findByIdentifier('bits'))!;
    expect(row.id).toBe(BIG_ID);
    expect(row.row).toMatchObject({
      accept_notifications: 1,
      sms: 1,
      call_ok: 0,
      email_verified_at: '2024-02-03T04:05:06.000Z',
      created_at: '2020-01-02T03:04:05.000Z',
      fb: 'fb-123',
      phone: null,
    });

    const config = parseConfig({ legacy: { connection: maria.url, table: 'shop_users' }, target: TARGET });
    const target = createTargetFormat(config.target, { logger: silentLogger });
    const box = createSecretBox('k'.repeat(32));
    const claims = s.mapClaims(row);
    // legacy check
    const checked = fields(target.preview({ legacyId: row.id, row: row.row, claims }).payload);
    // login: the sealed snapshot in the outbox, opened as the worker opens it
    const snapshot = openRow(sealRow(row.row, { target, box }), { legacy_id: row.id }, box);
    const delivered = fields(target.preview({ legacyId: row.id, row: snapshot, claims }).payload);
    // the bulk import
    const built = target.bulk!.build({ legacyId: row.id, row: row.row, claims }, null);
    expect(built.ok).toBe(true);
    const imported = fields((built as { user: Record<string, unknown> }).user);

    expect(checked).toMatchObject({
      email_allowed: true,
      sms_allowed: true,
      call_allowed: false,
      verified: true,
      facebook_uuid: 'fb-123',
      phone: null,
      customer_code: BIG_ID,
      date_of_birth: '1990-05-06',
    });
    for (const field of Object.keys(checked)) {
      expect({ field, value: delivered[field] }).toEqual({ field, value: checked[field] });
      expect({ field, value: imported[field] }).toEqual({ field, value: checked[field] });
    }
  });

  it('keeps a PostgreSQL int8 id above 2^53 exact while the bridge store reads its own int8 as numbers', async () => {
    const store = createStore({ database: pg.url });
    try {
      const n = (await store.db.raw('select 9007199254740993::int8 - 9007199254740990::int8 as n')).rows[0].n;
      expect(n).toBe(3);
      const s = source({
        connection: pg.url,
        table: 'members',
        identifiers: ['login', 'mail'],
        columns: { password: 'hash' },
        claims: { email: 'mail' },
      });
      expect((await s.findByIdentifier('big'))?.id).toBe(BIG_ID);
      expect((await s.findById(BIG_ID))?.id).toBe(BIG_ID);
    } finally {
      await store.close();
    }
  });
});
