// Coexistence on a directory with Active Directory's attributes (slapd standing in for AD,
// none being available): users migrated at login keep their accounts through the sweep,
// which finds each again by its binary objectGUID; one disabled in the directory afterwards
// (userAccountControl bit 2) is refused at the next login and disabled by the sweep.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountCommands } from '../../src/cli/commands/accounts.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { runCommands } from '../support/cli.ts';
import { beginLogin, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import {
  AD_SCHEMA,
  ADMIN_DN,
  ADMIN_PASSWORD,
  adUser,
  PEOPLE_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
} from '../support/slapd.ts';

const SECRET = 'directory-coexistence-secret';
const cli = (argv: string[]) => runCommands(accountCommands, argv);

let slapd: Slapd;
let t: TestBridge;
let rp: oidc.Configuration;
let configFile: string;

beforeAll(async () => {
  slapd = await startSlapd([adUser('jdoe', 512, 0x11, 'jdoe-pw'), adUser('mroe', 66048, 0x22, 'mroe-pw')], {
    schema: AD_SCHEMA,
  });
  const legacy = {
    kind: 'ldap',
    ldap: {
      url: slapd.url,
      directory: 'active-directory',
      bind_dn: SERVICE_DN,
      bind_password: SERVICE_PASSWORD,
      base_dn: PEOPLE_DN,
    },
    claims: { email: 'mail', given_name: 'givenName', preferred_username: 'sAMAccountName' },
  };
  t = await startTestBridge({ legacy });
  await t.addClient({ id: 'shop', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
  rp = await relyingParty(t.url, 'shop', SECRET);
  configFile = join(mkdtempSync(join(tmpdir(), 'obt-ad-coex-')), 'oidc-bridge.yaml');
  writeFileSync(configFile, JSON.stringify({ issuer: t.url, database: t.database.url, legacy }));
}, 60_000);

afterAll(async () => {
  await t?.close();
  await slapd?.stop();
});

async function logsIn(identifier: string, password: string): Promise<boolean> {
  const page = await submitLogin(await beginLogin(rp), identifier, password);
  return page.url.startsWith(REDIRECT_URI);
}

async function setAccountControl(sam: string, value: number): Promise<void> {
  const admin = new Client({ url: slapd.url });
  try {
    await admin.bind(ADMIN_DN, ADMIN_PASSWORD);
    await admin.modify(
      `uid=${sam},${PEOPLE_DN}`,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'userAccountControl', values: [String(value)] }),
      }),
    );
  } finally {
    await admin.unbind();
  }
}

const guidOf = (byte: number) =>
  Buffer.from([byte, 0x00, 0x2a, 0x28, 0xff, ...Array(11).fill(byte)]).toString('hex');

describe('coexistence with Active Directory attributes', () => {
  it('keeps migrated users through the sweep, and refuses and disables one disabled in the directory', async () => {
    expect(await logsIn('jdoe', 'jdoe-pw')).toBe(true);
    expect(await logsIn('mroe@corp.example.local', 'mroe-pw')).toBe(true);
    const subs = (await t.bridge.store.db('accounts').orderBy('sub').pluck('sub')) as string[];
    expect(subs).toEqual([guidOf(0x11), guidOf(0x22)]);

    // Each account is found again by its objectGUID: none is taken for gone.
    const kept = JSON.parse((await cli(['accounts', 'sync', '--json', '--config', configFile])).out);
    expect(kept).toMatchObject({ checked: 2, disabled: [], enabled: [], complete: true });

    await setAccountControl('jdoe', 514);
    expect(await logsIn('jdoe', 'jdoe-pw')).toBe(false);
    const swept = JSON.parse((await cli(['accounts', 'sync', '--json', '--config', configFile])).out);
    expect(swept).toMatchObject({ checked: 2, disabled: [guidOf(0x11)], complete: true });
    expect(await logsIn('mroe', 'mroe-pw')).toBe(true);

    // Enabled again in the directory: the sweep gives the account back.
    await setAccountControl('jdoe', 512);
    const back = JSON.parse((await cli(['accounts', 'sync', '--json', '--config', configFile])).out);
    expect(back).toMatchObject({ enabled: [guidOf(0x11)] });
    expect(await logsIn('jdoe@corp.example', 'jdoe-pw')).toBe(true);
  });
});
