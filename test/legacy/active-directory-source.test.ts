// The ldap source's active-directory preset against a real directory. No Active Directory
// was available, so this is slapd with a small schema defining AD's sAMAccountName,
// userPrincipalName, userAccountControl and a binary objectGUID: the preset's own filter,
// its RFC 4515 escaping, its disabled-account rule (userAccountControl bit 2, through the
// bitwise matching rule 1.2.840.113556.1.4.803) and its binary id run as they would on AD.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacySource, type LegacySource } from '../../src/legacy/source.ts';
import { silentLogger } from '../../src/logger.ts';
import {
  AD_SCHEMA,
  adUser,
  PEOPLE_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
} from '../support/slapd.ts';
import { legacyConfig } from './support.ts';

let slapd: Slapd;
const sources: LegacySource[] = [];

function source(ldap: Record<string, unknown> = {}) {
  const s = createLegacySource(
    legacyConfig({
      kind: 'ldap',
      ldap: {
        url: slapd.url,
        directory: 'active-directory',
        bind_dn: SERVICE_DN,
        bind_password: SERVICE_PASSWORD,
        base_dn: PEOPLE_DN,
        ...ldap,
      },
      claims: { email: 'mail', given_name: 'givenName', preferred_username: 'sAMAccountName' },
    }),
    { logger: silentLogger },
  );
  sources.push(s);
  return s;
}

beforeAll(async () => {
  slapd = await startSlapd(
    [
      adUser('jdoe', 512, 0x11, 'jdoe-pw'),
      adUser('mroe', 66048, 0x22, 'mroe-pw'),
      adUser('gone', 514, 0x33, 'gone-pw'),
      adUser('left', 66050, 0x44, 'left-pw'),
    ],
    { schema: AD_SCHEMA },
  );
}, 30_000);

afterAll(async () => {
  for (const s of sources) await s.close();
  await slapd?.stop();
});

describe('the active-directory preset on a directory with AD attributes', () => {
  it('finds a user by sAMAccountName, by userPrincipalName and by mail, and binds as them', async () => {
    const s = source();
    for (const name of ['jdoe', 'JDOE', 'jdoe@corp.example.local', 'jdoe@corp.example']) {
      const row = await s.findByIdentifier(name);
      expect({ name, sam: row?.row.sAMAccountName }).toEqual({ name, sam: 'jdoe' });
    }
    const row = (await s.findByIdentifier('jdoe'))!;
    expect(row.identifiers).toEqual(['jdoe', 'jdoe@corp.example.local', 'jdoe@corp.example']);
    expect(await s.verify!(row, 'jdoe-pw')).toEqual({ match: true, scheme: 'ldap-bind' });
    expect(await s.verify!(row, 'wrong')).toEqual({ match: false, scheme: 'ldap-bind' });
    expect(s.mapClaims(row)).toEqual({
      email: 'jdoe@corp.example',
      given_name: 'Jdoe',
      preferred_username: 'jdoe',
    });
  });

  it('takes the binary objectGUID as the legacy id, and finds the user by it again', async () => {
    const s = source();
    const row = (await s.findByIdentifier('mroe'))!;
    expect(row.id).toBe(Buffer.from([0x22, 0x00, 0x2a, 0x28, 0xff, ...Array(11).fill(0x22)]).toString('hex'));
    expect((await s.findById(row.id))?.row.sAMAccountName).toBe('mroe');
    expect(await s.findById('00'.repeat(16))).toBeUndefined();
  });

  it('refuses accounts with userAccountControl bit 2 (ACCOUNTDISABLE) as no user, whatever the other bits', async () => {
    const s = source();
    expect(await s.findByIdentifier('gone')).toBeUndefined();
    expect(await s.findByIdentifier('left@corp.example.local')).toBeUndefined();
    // The bit alone decides: 66048 has other bits set, not bit 2.
    expect(await s.findByIdentifier('mroe')).toBeDefined();
  });

  it('matches hostile names only literally: wildcards, a filter injection and a NUL find nobody', async () => {
    const s = source();
    for (const name of [
      '*',
      'j*',
      '*)(sAMAccountName=*',
      'jdoe)(|(sAMAccountName=*',
      'jdoe\\2a',
      'jdoe\u0000',
    ]) {
      expect({ name, row: await s.findByIdentifier(name) }).toEqual({ name, row: undefined });
    }
  });

  it('lists the enabled users for the bulk import, leaving the disabled ones out', async () => {
    const rows = await source().page(undefined, 2);
    const all = [...rows, ...(await source().page(rows.at(-1)!.id, 2))];
    expect(all.map((r) => r.row.sAMAccountName).sort()).toEqual(['jdoe', 'mroe']);
  });
});
