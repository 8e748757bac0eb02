// Coexistence on the http kind, against a real HTTP legacy application. The user-migration
// GET takes a login name: with id_field username the sweep finds each migrated user by it,
// and one the application no longer knows is disabled. With a numeric id, or the single POST
// (no look-up without a password), the sweep checks nobody and says why and what to do,
// instead of taking every migrated account for gone.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as oidc from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { accountCommands } from '../../src/cli/commands/accounts.ts';
import { type AppUser, startLegacyApp } from '../../src/demo/legacy-http.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { runCommands } from '../support/cli.ts';
import { beginLogin, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';

const SECRET = 'http-coexistence-secret';
const cli = (argv: string[]) => runCommands(accountCommands, argv);
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(style: 'user-migration' | 'post', idField = 'id') {
  const users: AppUser[] = [
    {
      id: 501,
      username: 'ines',
      email: 'ines@app.example',
      password: 'ines-pw',
      firstName: 'Ines',
      lastName: 'Ito',
    },
    {
      id: 502,
      username: 'otto',
      email: 'otto@app.example',
      password: 'otto-pw',
      firstName: 'Otto',
      lastName: 'Orr',
    },
  ];
  const app = await startLegacyApp(users);
  cleanups.push(() => app.close());
  const legacy = {
    kind: 'http',
    http: { style, url: style === 'post' ? `${app.url}/check` : `${app.url}/users`, id_field: idField },
    claims: { email: 'email', given_name: 'firstName', preferred_username: 'username' },
  };
  const t: TestBridge = await startTestBridge({ legacy });
  cleanups.push(() => t.close());
  await t.addClient({ id: 'shop', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
  const rp: oidc.Configuration = await relyingParty(t.url, 'shop', SECRET);
  const configFile = join(mkdtempSync(join(tmpdir(), 'obt-http-coex-')), 'oidc-bridge.yaml');
  writeFileSync(configFile, JSON.stringify({ issuer: t.url, database: t.database.url, legacy }));
  const logsIn = async (name: string, password: string) =>
    (await submitLogin(await beginLogin(rp), name, password)).url.startsWith(REDIRECT_URI);
  return { users, t, configFile, logsIn };
}

describe('coexistence with the legacy application over HTTP', () => {
  it('user-migration style with id_field username: the sweep keeps users the application knows and disables one it no longer does', async () => {
    const { users, configFile, logsIn } = await setUp('user-migration', 'username');
    expect(await logsIn('ines', 'ines-pw')).toBe(true);
    expect(await logsIn('otto@app.example', 'otto-pw')).toBe(true);
    const kept = JSON.parse((await cli(['accounts', 'sync', '--json', '--config', configFile])).out);
    expect(kept).toMatchObject({ checked: 2, disabled: [], complete: true });

    users.splice(1, 1);
    const swept = await cli(['accounts', 'sync', '--config', configFile]);
    expect(swept.code).toBe(0);
    expect(swept.out).toContain('against http://127.0.0.1:');
    expect(swept.out).toContain('Disabled: 1 (legacy row gone or filtered out): otto');
    expect(await logsIn('otto', 'otto-pw')).toBe(false);
    expect(await logsIn('ines', 'ines-pw')).toBe(true);
  });

  it.each([
    ['single-POST style', 'post', 'id'],
    ['user-migration style with a numeric id', 'user-migration', 'id'],
  ] as const)(
    '%s: the sweep checks nobody, says why and what to do, and disables no one',
    async (_what, style, idField) => {
      const { t, configFile, logsIn } = await setUp(style, idField);
      expect(await logsIn('ines', 'ines-pw')).toBe(true);
      const run = await cli(['accounts', 'sync', '--config', configFile]);
      expect(run.code).toBe(1);
      expect(run.err).toContain('The http legacy source cannot look a user up by id');
      expect(run.err).toContain('set legacy.http.id_field: username');
      const account = await t.bridge.store.db('accounts').where({ sub: '501' }).first();
      expect(account.disabled_at).toBeNull();
      expect(await logsIn('ines', 'ines-pw')).toBe(true);
    },
  );
});
