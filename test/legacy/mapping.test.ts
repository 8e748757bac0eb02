// Claims from legacy columns, and the `legacy check` view of a row: pure functions, tested
// on plain rows shaped like what mysql2 and pg return.
import { describe, expect, it } from 'vitest';
import { describeMapping, describeSecretShape, mapClaims } from '../../src/legacy/mapping.ts';
import { valueAsText } from '../../src/legacy/row-values.ts';
import { sqlMappingEntries, sqlSecretColumns } from '../../src/legacy/sql/index.ts';
import { EXAMPLE_HASH, legacyConfig } from './support.ts';

describe('mapClaims', () => {
  const claims = {
    email: 'email',
    given_name: 'first_name',
    family_name: 'last_name',
    preferred_username: 'username',
  };

  it('skips NULL, empty and missing columns', () => {
    expect(
      mapClaims({ email: 'a@example.com', first_name: null, last_name: '  ', username: 'a' }, claims),
    ).toEqual({
      email: 'a@example.com',
      preferred_username: 'a',
    });
  });

  it('composes name only when both given and family name are present', () => {
    expect(mapClaims({ first_name: 'Ada', last_name: 'Lovelace' }, claims).name).toBe('Ada Lovelace');
    expect(mapClaims({ first_name: 'Ada', last_name: null }, claims).name).toBeUndefined();
    expect(
      mapClaims({ first_name: 'Ada', last_name: 'L', full: 'Countess' }, { ...claims, name: 'full' }).name,
    ).toBe('Countess');
  });

  it('writes dates as ISO strings, updated_at as epoch seconds and birthdate as a day', () => {
    const at = new Date('2020-01-02T03:04:05.000Z');
    expect(
      mapClaims(
        { c: at, u: at, b: at, z: new Date(Number.NaN) },
        { created: 'c', updated_at: 'u', birthdate: 'b', zero: 'z' },
      ),
    ).toEqual({ created: '2020-01-02T03:04:05.000Z', updated_at: 1577934245, birthdate: '2020-01-02' });
  });

  it('emits email_verified only when a column is mapped to it, as a boolean', () => {
    expect(mapClaims({ email: 'a@example.com' }, { email: 'email' })).not.toHaveProperty('email_verified');
    expect(mapClaims({ v: 1 }, { email_verified: 'v' })).toEqual({ email_verified: true });
    expect(mapClaims({ v: '0' }, { email_verified: 'v' })).toEqual({ email_verified: false });
    expect(mapClaims({ v: 'perhaps' }, { email_verified: 'v' })).toEqual({});
  });

  it('never reads an excluded column', () => {
    expect(
      mapClaims({ password: EXAMPLE_HASH }, { nickname: 'password' }, { exclude: ['password'] }),
    ).toEqual({});
  });
});

describe('describeSecretShape', () => {
  it.each([
    [EXAMPLE_HASH, '57 characters, starts with $2y$'],
    ['$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', '44 characters, starts with $argon2id$'],
    ['pbkdf2_sha256$260000$salt$hash=', '31 characters, starts with pbkdf2_sha256$'],
    ['{SSHA}abcdefgh', '14 characters, starts with {SSHA}'],
    ['5f4dcc3b5aa765d61d8327deb882cf99', '32 characters, hexadecimal (lowercase)'],
    ['5F4DCC3B5AA765D61D8327DEB882CF99', '32 characters, hexadecimal (uppercase)'],
    ['X03MO1qnZdYdgyfeuILPmQ==', '24 characters, base64'],
    ['mysalt$5f4dcc3b', '15 characters, no known format'],
    ['', 'empty'],
    [null, 'NULL'],
  ])('describes %j without its value', (value, shape) => {
    expect(describeSecretShape(value)).toBe(shape);
  });

  it('describes a digest kept in a BINARY column as the hex a verifier receives', () => {
    const raw = Buffer.from('5f4dcc3b5aa765d61d8327deb882cf99', 'hex');
    expect(valueAsText(raw)).toBe('5f4dcc3b5aa765d61d8327deb882cf99');
    expect(describeSecretShape(raw)).toBe('32 characters, hexadecimal (lowercase) (binary column)');
  });

  it('keeps a bcrypt string stored in VARBINARY as text', () => {
    expect(valueAsText(Buffer.from(EXAMPLE_HASH))).toBe(EXAMPLE_HASH);
  });
});

describe('describeMapping', () => {
  const config = legacyConfig({
    connection: 'mysql://u@h/db',
    table: 'be_users',
    columns: { salt: 'salt' },
    claims: { email: 'email', nickname: 'salt' },
  });
  const row = {
    id: 28774,
    password: EXAMPLE_HASH,
    salt: 'pepper',
    username: 'testuser-bal',
    email: 'e@example.com',
  };

  it('lists every configured mapping with the column and value', () => {
    const lines = describeMapping(row, sqlMappingEntries(config), sqlSecretColumns(config));
    expect(lines.map((l) => l.key)).toEqual([
      'legacy.columns.id',
      'legacy.columns.password',
      'legacy.columns.salt',
      'legacy.identifiers[0]',
      'legacy.identifiers[1]',
      'legacy.claims.email',
      'legacy.claims.nickname',
    ]);
    expect(lines[0]).toEqual({
      key: 'legacy.columns.id',
      role: 'id',
      column: 'id',
      present: true,
      value: '28774',
    });
  });

  it('shows the hash and the salt only by length and shape, wherever they are mapped', () => {
    const text = JSON.stringify(describeMapping(row, sqlMappingEntries(config), sqlSecretColumns(config)));
    expect(text).not.toContain(EXAMPLE_HASH);
    expect(text).not.toContain('pepper');
    expect(text).toContain('6 characters');
  });

  it('marks a column the row does not have', () => {
    const line = describeMapping(
      { id: 1, password: null },
      sqlMappingEntries(config),
      sqlSecretColumns(config),
    ).find((l) => l.key === 'legacy.claims.email');
    expect(line).toMatchObject({ present: false, value: 'column not in row' });
  });
});
