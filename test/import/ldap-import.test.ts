// The bulk import from an LDAP directory: a real slapd with three dozen users and a size
// limit of 10 for the service account, so only RFC 2696 paged results can list them all.
// The directory gives no password hashes, so every user needs a login (the directory checks
// the password then) or is sent --without-password; the first login then migrates them.
// (The HTTP kind's refusal is in test/config/legacy-kinds.test.ts.)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCommand } from '../../src/cli/commands/import.ts';
import { createLegacySource, type LegacyRow } from '../../src/legacy/source.ts';
import { silentLogger } from '../../src/logger.ts';
import { legacyConfig } from '../legacy/support.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { runCommands } from '../support/cli.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { beginLogin, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import {
  type DirectoryUser,
  ldapLegacyConfig,
  PEOPLE_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
} from '../support/slapd.ts';
import { type CountingTarget, startCountingTarget } from './support.ts';

const USERS = 36;
const SIZE_LIMIT = 10;
const SECRET = 'ldap-import-secret';
const uidOf = (i: number) => `user${String(i).padStart(2, '0')}`;
// user07 is disabled: never listed, never imported.
const DISABLED = uidOf(7);
const listed = Array.from({ length: USERS }, (_, i) => uidOf(i + 1)).filter((u) => u !== DISABLED);

let slapd: Slapd;
let storeDb: TestDatabase;
let target: CountingTarget;
let dir: string;
let legacy: Record<string, unknown>;
let targetConfig: Record<string, unknown>;
let configFile: string;

const cli = (argv: string[]) => runCommands([importCommand], argv);

beforeAll(async () => {
  const users: DirectoryUser[] = Array.from({ length: USERS }, (_, i) => ({
    uid: uidOf(i + 1),
    mail: `${uidOf(i + 1)}@ldap.example`,
    givenName: `Given${i + 1}`,
    sn: `Family${i + 1}`,
    password: `pw-${uidOf(i + 1)}`,
    disabled: uidOf(i + 1) === DISABLED,
  }));
  [slapd, storeDb, target] = await Promise.all([
    startSlapd(users, {
      limits: `limits dn.exact="${SERVICE_DN}" size.soft=${SIZE_LIMIT} size.hard=${SIZE_LIMIT} size.prtotal=unlimited`,
    }),
    createPgDatabase('ldapimport'),
    startCountingTarget(),
  ]);
  legacy = ldapLegacyConfig(slapd);
  targetConfig = {
    type: 'commerce-import',
    url: target.importUrl,
    mapping: {
      first_name: 'givenName',
      last_name: 'sn',
      email: 'mail',
      customer_code: 'uid',
      gender: '',
      date_of_birth: '',
      email_allowed: '',
      date_joined: '',
    },
    defaults: { date_joined: '2020-01-01T00:00:00Z' },
  };
  dir = mkdtempSync(join(tmpdir(), 'obt-ldap-import-'));
  configFile = join(dir, 'bridge.yaml');
  writeFileSync(configFile, JSON.stringify({ database: storeDb.url, legacy, target: targetConfig }));
}, 60_000);

afterAll(async () => {
  await target?.close();
  await slapd?.stop();
  await storeDb?.drop();
});

describe('the ldap source pages through its directory', () => {
  it('lists every enabled user in id order, in pages smaller than the directory, past its size limit', async () => {
    // Without paging the service account sees at most SIZE_LIMIT entries.
    const client = new Client({ url: slapd.url });
    await client.bind(SERVICE_DN, SERVICE_PASSWORD);
    await expect(client.search(PEOPLE_DN, { filter: '(uid=*)', attributes: ['uid'] })).rejects.toMatchObject({
      code: 4,
    });
    await client.unbind();

    const source = createLegacySource(legacyConfig(legacy), { logger: silentLogger });
    const pages: LegacyRow[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await source.page(after, 7);
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(7);
      pages.push(page);
      after = page.at(-1)!.id;
    }
    expect(pages.length).toBe(Math.ceil(listed.length / 7));
    const rows = pages.flat();
    expect(rows.map((r) => r.id)).toEqual(listed);
    expect(rows[0]).toMatchObject({
      id: 'user01',
      password: null,
      identifiers: ['user01', 'user01@ldap.example'],
      row: { givenName: 'Given1', sn: 'Family1', mail: 'user01@ldap.example' },
    });
    expect(await source.count()).toBe(listed.length);
    // A page after a given id starts right after it, as --resume needs.
    expect((await source.page('user20', 3)).map((r) => r.id)).toEqual(['user21', 'user22', 'user23']);
  });
});

describe('import from an ldap source', () => {
  it('plans every user as needing a login, because the directory checks their password itself, and says so', async () => {
    const run = await cli(['import', '--dry-run', '--batch', '7', '--config', configFile]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain(`${listed.length} rows of ${slapd.url}`);
    expect(run.out).toMatch(/need a login:\s+35/);
    expect(run.out).toMatch(/ldap-bind\s+0\s+35\s+0/);
    expect(run.out).toContain(
      '35 users have no password hash the bridge can read (ldap-bind): the legacy store checks their password at their first login',
    );
    expect(run.out).toContain('--without-password imports them now');
    expect(target.statuses).toHaveLength(0);
  });

  describe('with --without-password', () => {
    let t: TestBridge;
    let rp: oidc.Configuration;
    beforeAll(async () => {
      t = await startTestBridge({ legacy, target: targetConfig }, { database: storeDb });
      await t.addClient({ id: 'shop', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
      rp = await relyingParty(t.url, 'shop', SECRET);
    });
    afterAll(async () => t?.close());

    it('sends every enabled user with an unusable password, and a first login migrates them through a bind', async () => {
      const run = await cli([
        'import',
        '--without-password',
        '--batch',
        '7',
        '--json',
        // Written beside the config, not into the working directory.
        '--rejects',
        join(dir, 'rejects.csv'),
        '--config',
        configFile,
      ]);
      expect(run.code, run.err).toBe(0);
      const summary = JSON.parse(run.out.split('\n').at(-1)!) as {
        counts: { rows: number; needs_login: number; without_password: number; delivered: number };
      };
      expect(summary.counts).toMatchObject({
        rows: listed.length,
        needs_login: listed.length,
        without_password: listed.length,
        delivered: listed.length,
      });
      expect([...target.double.users().keys()].sort()).toEqual(listed);
      expect(target.double.users().get('user03')).toMatchObject({
        first_name: 'Given3',
        last_name: 'Family3',
        email: 'user03@ldap.example',
        customer_code: 'user03',
      });
      expect(target.double.users().has(DISABLED)).toBe(false);
      expect(await target.double.verifyPassword('user03', 'pw-user03')).toBe(false);

      const login = await beginLogin(rp);
      expect(
        (await submitLogin(login, 'user03@ldap.example', 'pw-user03')).url.startsWith(REDIRECT_URI),
      ).toBe(true);
      const account = await t.bridge.store.db('accounts').where({ sub: 'user03' }).first();
      expect(account.password_hash).not.toBeNull();
      const event = await t.bridge.store
        .db('audit_events')
        .where({ sub: 'user03', type: 'password_delivered' })
        .first();
      expect(event.details).toMatchObject({ reason: 'imported_without_password' });
      // Imported once, never delivered again by the login.
      expect(target.creates.get('user03')).toBe(1);
    });
  });
});
