// Coexistence end to end, on real MariaDB and PostgreSQL legacy tables shaped like Django's
// auth_user: until cut-over the bridge lets a migrated user in only while the legacy
// application would (the row is re-checked at login, a sweep disables the rest and holds
// with the legacy database stopped), `accounts` commands end sessions and refresh tokens,
// and one case rule per identifier column holds before and after migration.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import knexPkg, { type Knex } from 'knex';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountCommands } from '../../src/cli/commands/accounts.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { runCommands } from '../support/cli.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { beginLogin, exchange, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import { type TcpProxy, tcpProxy } from '../support/tcp-proxy.ts';

const SECRET = 'coexistence-client-secret';
const USERS = [
  [1, 'dave'],
  [2, 'DAVE'],
  [3, 'erin'],
  [4, 'finn'],
  [5, 'gale'],
  [6, 'hugo'],
  [7, 'ivy'],
  [8, 'jack'],
] as const;
const password = (name: string) => `pw-${name}-secret`;

const cli = (argv: string[]) => runCommands(accountCommands, argv);

describe.each([
  ['MariaDB', 'mysql'],
  ['PostgreSQL', 'postgres'],
] as const)('coexistence with a %s legacy table', (_name, family) => {
  let legacyDb: TestDatabase;
  let legacyKnex: Knex;
  let proxy: TcpProxy;
  let t: TestBridge;
  let rp: oidc.Configuration;
  let configFile: string;
  let legacyConfig: Record<string, unknown>;

  beforeAll(async () => {
    legacyDb = family === 'mysql' ? await createMariaDatabase() : await createPgDatabase();
    legacyKnex = knexPkg.knex({ client: family === 'mysql' ? 'mysql2' : 'pg', connection: legacyDb.url });
    // Django's own columns; username keeps the server's default collation (case-insensitive
    // on MariaDB), so only the bridge's rule can keep dave and DAVE apart.
    await legacyKnex.schema.createTable('auth_user', (tb) => {
      tb.integer('id').primary();
      tb.string('username', 150).notNullable().index();
      tb.string('email', 254).notNullable();
      tb.string('password', 128).notNullable();
      tb.string('first_name', 150).notNullable();
      tb.string('last_name', 150).notNullable();
      tb.boolean('is_active').notNullable();
    });
    const rows = [];
    for (const [id, username] of USERS) {
      rows.push({
        id,
        username,
        email: `${username.toLowerCase()}${id}@example.com`,
        password: await bcrypt.hash(password(username), 4),
        first_name: username,
        last_name: 'Tester',
        is_active: true,
      });
    }
    await legacyKnex('auth_user').insert(rows);

    proxy = await tcpProxy(Number(new URL(legacyDb.url).port));
    const viaProxy = new URL(legacyDb.url);
    viaProxy.port = String(proxy.port);
    legacyConfig = {
      connection: viaProxy.toString(),
      table: 'auth_user',
      identifiers: ['username', 'email'],
      where: { is_active: 1 },
      claims: { email: 'email', given_name: 'first_name', preferred_username: 'username' },
      query_timeout_ms: 2000,
    };
    const legacy = legacyConfig;
    t = await startTestBridge({ legacy });
    await t.addClient({ id: 'shop', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
    rp = await relyingParty(t.url, 'shop', SECRET);
    const dir = mkdtempSync(join(tmpdir(), 'obt-coex-'));
    configFile = join(dir, 'oidc-bridge.yaml');
    // JSON is YAML.
    writeFileSync(configFile, JSON.stringify({ issuer: t.url, database: t.database.url, legacy }));
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await legacyKnex?.destroy();
    await legacyDb?.drop();
  });

  /** A full browser login; the sub on success, null when the bridge refused. */
  async function login(identifier: string, pw: string) {
    const run = await beginLogin(rp);
    // A first-party client: no consent page, the login returns to the client or stays put.
    const page = await submitLogin(run, identifier, pw);
    if (!page.url.startsWith(REDIRECT_URI)) return null;
    const tokens = await exchange(rp, run, new URL(page.url));
    return { sub: tokens.claims()!.sub, tokens };
  }
  const subOf = async (identifier: string, pw: string) => (await login(identifier, pw))?.sub ?? null;
  const deactivate = (id: number) => legacyKnex('auth_user').where({ id }).update({ is_active: false });
  const reasonsOf = async (sub: string) =>
    (
      await t.bridge.store.db('audit_events').where({ sub, type: 'login' }).orderBy('id').select('reason')
    ).map((r: { reason: string }) => r.reason);

  it('keeps dave and DAVE apart as the distinct users they are, before and after migration; Dave is neither', async () => {
    expect(await subOf('dave', password('dave'))).toBe('1');
    expect(await subOf('DAVE', password('DAVE'))).toBe('2');
    // Both are migrated now: the bridge's own login names follow the same rule.
    expect(await subOf('DAVE', password('DAVE'))).toBe('2');
    expect(await subOf('dave', password('dave'))).toBe('1');
    expect(await subOf('Dave', password('dave'))).toBeNull();
    // An e-mail address matches in any case, on either side.
    expect(await subOf('DAVE1@EXAMPLE.COM', password('dave'))).toBe('1');
    const names = await t.bridge.store.db('account_identifiers').where({ sub: '2' }).orderBy('identifier');
    expect(names.map((n: { identifier: string; exact: boolean }) => [n.identifier, n.exact])).toEqual([
      ['DAVE', true],
      ['dave2@example.com', false],
    ]);
  });

  it('refuses a user deactivated in the legacy application after migration at the next login, under every spelling', async () => {
    expect(await subOf('erin', password('erin'))).toBe('3');
    await deactivate(3);
    expect(await subOf('erin', password('erin'))).toBeNull();
    expect(await subOf('erin3@example.com', password('erin'))).toBeNull();
    expect(await subOf('ERIN3@Example.COM', password('erin'))).toBeNull();
    expect((await reasonsOf('3')).slice(-3)).toEqual(['legacy_refused', 'legacy_refused', 'legacy_refused']);
  });

  it('refuses a user deleted in the legacy application after migration at the next login', async () => {
    expect(await subOf('finn', password('finn'))).toBe('4');
    await legacyKnex('auth_user').where({ id: 4 }).delete();
    expect(await subOf('finn', password('finn'))).toBeNull();
    expect((await reasonsOf('4')).at(-1)).toBe('legacy_refused');
  });

  it('disables by the sweep the accounts whose rows are gone or filtered out, and they stay out with the legacy database stopped', async () => {
    expect(await subOf('gale', password('gale'))).toBe('5');
    expect(await subOf('hugo', password('hugo'))).toBe('6');
    expect(await subOf('ivy', password('ivy'))).toBe('7');
    await deactivate(5);
    await legacyKnex('auth_user').where({ id: 6 }).delete();

    const dry = await cli(['accounts', 'sync', '--dry-run', '--json', '--config', configFile]);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.out).disabled).toEqual(expect.arrayContaining(['5', '6']));
    expect(await t.bridge.store.db('accounts').where({ sub: '5' }).first('disabled_at')).toEqual({
      disabled_at: null,
    });

    const sync = await cli(['accounts', 'sync', '--json', '--config', configFile]);
    expect(sync.code).toBe(0);
    const report = JSON.parse(sync.out);
    expect(report.complete).toBe(true);
    expect(report.disabled).toEqual(expect.arrayContaining(['5', '6']));
    expect(report.disabled).not.toContain('7');
    const gale = await t.bridge.store.db('accounts').where({ sub: '5' }).first('disabled_at', 'disabled_by');
    expect(gale.disabled_at).not.toBeNull();
    expect(gale.disabled_by).toBe('legacy-sync');
    expect(
      await t.bridge.store
        .db('audit_events')
        .where({ sub: '6', type: 'admin.account_disabled' })
        .first('actor'),
    ).toEqual({ actor: 'legacy-sync' });

    await proxy.stop();
    try {
      // A migrated user still active logs in without the legacy database (fail open)…
      expect(await subOf('ivy', password('ivy'))).toBe('7');
      // …and the swept ones stay out.
      expect(await subOf('gale', password('gale'))).toBeNull();
      expect(await subOf('hugo', password('hugo'))).toBeNull();
      expect((await reasonsOf('5')).at(-1)).toBe('disabled');
      // An outage never disables anyone: the sweep stops and says so.
      const down = await cli(['accounts', 'sync', '--config', configFile]);
      expect(down.code).toBe(1);
      expect(down.err).toMatch(/unreachable/);
      expect(await t.bridge.store.db('accounts').where({ sub: '7' }).first('disabled_at')).toEqual({
        disabled_at: null,
      });
    } finally {
      await proxy.start();
    }

    // Reactivated in the legacy application, the account the sweep disabled comes back.
    await legacyKnex('auth_user').where({ id: 5 }).update({ is_active: true });
    const again = JSON.parse((await cli(['accounts', 'sync', '--json', '--config', configFile])).out);
    expect(again.enabled).toContain('5');
    expect(await subOf('gale', password('gale'))).toBe('5');
  });

  it('with when_unreachable closed, refuses a migrated user while the legacy database is stopped', async () => {
    const closed = await startTestBridge(
      { legacy: { ...legacyConfig, coexistence: { when_unreachable: 'closed' } } },
      { database: t.database },
    );
    try {
      const other = await relyingParty(closed.url, 'shop', SECRET);
      const tryLogin = async () => {
        const run = await beginLogin(other);
        return submitLogin(run, 'ivy', password('ivy'));
      };
      expect((await tryLogin()).url.startsWith(REDIRECT_URI)).toBe(true);
      await proxy.stop();
      try {
        const page = await tryLogin();
        expect(page.url.startsWith(REDIRECT_URI)).toBe(false);
        expect(page.status).toBe(503);
      } finally {
        await proxy.start();
      }
      expect((await tryLogin()).url.startsWith(REDIRECT_URI)).toBe(true);
    } finally {
      await closed.close();
    }
  });

  it('accounts disable ends the live refresh tokens of the account, and enable, list, show and delete do what they say', async () => {
    const first = await login('jack', password('jack'));
    expect(first?.sub).toBe('8');
    const refresh = first!.tokens.refresh_token!;
    expect(refresh).toBeTruthy();
    await oidc.refreshTokenGrant(rp, refresh);
    const live = () =>
      t.bridge.store
        .db('oidc_payloads')
        .where({ type: 'RefreshToken' })
        .andWhereRaw("payload->>'accountId' = ?", ['8'])
        .count({ n: '*' });
    expect(Number((await live())[0]!.n)).toBeGreaterThan(0);

    const disabled = await cli([
      'accounts',
      'disable',
      'jack',
      '--reason',
      'left the company',
      '--config',
      configFile,
    ]);
    expect(disabled.code).toBe(0);
    expect(disabled.out).toMatch(/Disabled account 8; ended 1 session\(s\)/);
    expect(Number((await live())[0]!.n)).toBe(0);
    await expect(oidc.refreshTokenGrant(rp, refresh)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await subOf('jack', password('jack'))).toBeNull();

    const listed = JSON.parse(
      (await cli(['accounts', 'list', '--status', 'disabled', '--json', '--config', configFile])).out,
    );
    expect(listed.map((a: { sub: string }) => a.sub)).toContain('8');

    const shown = await cli(['accounts', 'show', '8', '--json', '--config', configFile]);
    const account = JSON.parse(shown.out);
    expect(account).toMatchObject({ sub: '8', disabled_by: 'cli', has_password: true });
    expect(account.login_names).toEqual(
      expect.arrayContaining([
        { name: 'jack', match: 'exact' },
        { name: 'jack8@example.com', match: 'any case' },
      ]),
    );
    expect(shown.out).not.toMatch(/argon2|\$2[aby]\$/);

    expect((await cli(['accounts', 'enable', '8', '--config', configFile])).code).toBe(0);
    expect(await subOf('jack', password('jack'))).toBe('8');

    const deleted = await cli(['accounts', 'delete', '8', '--config', configFile]);
    expect(deleted.code).toBe(0);
    expect(await t.bridge.store.db('accounts').where({ sub: '8' }).first()).toBeUndefined();
    expect(await t.bridge.store.db('account_identifiers').where({ sub: '8' }).first()).toBeUndefined();
    const events = await t.bridge.store
      .db('audit_events')
      .where({ sub: '8' })
      .whereLike('type', 'admin.%')
      .orderBy('id')
      .select('type', 'actor');
    expect(events.map((e: { type: string }) => e.type)).toEqual([
      'admin.account_disabled',
      'admin.account_enabled',
      'admin.account_deleted',
    ]);

    const missing = await cli(['accounts', 'disable', 'nobody-at-all', '--config', configFile]);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/No account "nobody-at-all"/);
  });
});
