// The ldap source against a real OpenLDAP (slapd) the test starts: a search bind as the
// service account, then a bind as the user; RFC 4515 escaping of the login name; a disabled
// account refused; StartTLS and LDAPS with the directory's CA; userPassword read where the
// directory lets the service account see it; the listing the bulk import pages through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/hashing/registry.ts';
import { escapeFilterValue } from '../../src/legacy/ldap/index.ts';
import { createLegacySource, type LegacySource } from '../../src/legacy/source.ts';
import { silentLogger } from '../../src/logger.ts';
import { BASE_DN, ldapLegacyConfig, type Slapd, startSlapd } from '../support/slapd.ts';
import { legacyConfig } from './support.ts';

let slapd: Slapd;
const sources: LegacySource[] = [];

function source(ldap: Record<string, unknown> = {}) {
  const s = createLegacySource(legacyConfig(ldapLegacyConfig(slapd, ldap)), { logger: silentLogger });
  sources.push(s);
  return s;
}

beforeAll(async () => {
  slapd = await startSlapd([
    { uid: 'carol', mail: 'carol@example.com', givenName: 'Carol', sn: 'Cook', password: 'carol-pw' },
    { uid: 'dan', mail: 'dan@example.com', givenName: 'Dan', sn: 'Dorm', password: 'dan-pw', disabled: true },
    { uid: 'star*', mail: 'star@example.com', givenName: 'Star', sn: 'Name', password: 'star-pw' },
    { uid: 'şule', mail: 'sule@ornek.example', givenName: 'Şule', sn: 'Öz', password: 'şule-pw' },
  ]);
}, 30_000);

afterAll(async () => {
  for (const s of sources) await s.close();
  await slapd?.stop();
});

describe('an OpenLDAP directory', () => {
  it('finds a user by uid or mail with a search bind, and verifies by binding as the user', async () => {
    const s = source();
    await s.checkSchema();
    const row = await s.findByIdentifier('carol@example.com');
    expect(row).toMatchObject({ id: 'carol', password: null, identifiers: ['carol', 'carol@example.com'] });
    expect(row?.row.dn).toBe(`uid=carol,ou=people,${BASE_DN}`);
    expect(s.mapClaims(row!)).toEqual({
      email: 'carol@example.com',
      given_name: 'Carol',
      family_name: 'Cook',
      preferred_username: 'carol',
      name: 'Carol Cook',
    });
    expect(await s.verify!(row!, 'carol-pw')).toMatchObject({ match: true });
    expect(await s.verify!(row!, 'wrong')).toMatchObject({ match: false });
    expect(await s.verify!(row!, '')).toMatchObject({ match: false });
    expect((await s.findById('carol'))?.id).toBe('carol');
  });

  it('refuses a disabled account as no user', async () => {
    const s = source();
    expect(await s.findByIdentifier('dan')).toBeUndefined();
    // Without the filter the same entry is found: it is the filter that refuses it.
    expect((await source({ disabled_filter: undefined }).findByIdentifier('dan'))?.id).toBe('dan');
  });

  it.each([
    ['a filter injection', '*)(uid=*'],
    ['a wildcard', '*'],
    ['a parenthesis', 'carol)'],
    ['a backslash', 'carol\\'],
  ])('escapes %s (RFC 4515) and finds nobody', async (_name, value) => {
    expect(await source().findByIdentifier(value)).toBeUndefined();
  });

  it('matches a name holding * only literally', async () => {
    expect((await source().findByIdentifier('star*'))?.id).toBe('star*');
    expect(escapeFilterValue('*)(uid=*\u0000é\\')).toBe('\\2a\\29\\28uid=\\2a\\00é\\5c');
  });

  it('finds and binds a user whose name is not ASCII', async () => {
    const s = source();
    const row = await s.findByIdentifier('şule');
    expect(row?.row.givenName).toBe('Şule');
    expect((await s.findByIdentifier('sule@ornek.example'))?.id).toBe('şule');
    expect((await s.verify!(row!, 'şule-pw')).match).toBe(true);
    expect((await s.findById('şule'))?.id).toBe('şule');
  });

  it('refuses a NUL byte before any search', async () => {
    expect(await source().findByIdentifier('carol\u0000')).toBeUndefined();
  });

  it('upgrades with StartTLS, and connects over LDAPS, trusting the configured CA', async () => {
    const tls = { ca_file: slapd.caFile };
    const viaStartTls = source({ start_tls: true, tls });
    const row = await viaStartTls.findByIdentifier('carol');
    expect(await viaStartTls.verify!(row!, 'carol-pw')).toMatchObject({ match: true });
    const viaLdaps = source({ url: slapd.ldapsUrl, tls });
    expect((await viaLdaps.findByIdentifier('carol'))?.id).toBe('carol');
  });

  it('is unavailable, not a wrong password, when the certificate does not verify', async () => {
    await expect(source({ url: slapd.ldapsUrl }).findByIdentifier('carol')).rejects.toMatchObject({
      code: 'legacy_unavailable',
    });
  });

  it('is unavailable when the service account is refused', async () => {
    await expect(source({ bind_password: 'wrong' }).findByIdentifier('carol')).rejects.toMatchObject({
      code: 'legacy_unavailable',
    });
  });

  it('reads userPassword where the service account may, for the bridge to verify itself', async () => {
    const row = await source({ password_attribute: 'userPassword' }).findByIdentifier('carol');
    expect(row?.password).toMatch(/^\{SSHA\}/);
    expect(row?.row.userPassword).toBeUndefined();
    expect(
      (await verifyPassword({ password: 'carol-pw', stored: row!.password!, scheme: 'auto' })).match,
    ).toBe(true);
  });

  it('lists its enabled users for the bulk import, in id order, the disabled one left out', async () => {
    const rows = await source().page(undefined, 10);
    expect(rows.map((r) => r.id)).toEqual(['carol', 'star*', 'şule']);
    expect(await source().count()).toBe(3);
  });
});
