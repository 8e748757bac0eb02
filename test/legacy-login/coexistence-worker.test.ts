// Coexistence as the worker keeps it, on real MariaDB and PostgreSQL legacy tables, from real
// logins through the bridge: the periodic sweep of the `worker` process disables the users
// deactivated and deleted in the legacy application after migration, and they stay refused
// with the legacy database then stopped while the sweep goes on disabling nobody; and
// `migration retry` sends legacy data fixed since the login, saying whether it read the live
// row or kept the copy taken at login.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexPkg, { type Knex } from 'knex';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationCommands } from '../../src/cli/commands/migration.ts';
import { workerCommand } from '../../src/cli/commands/worker.ts';
import { startReference } from '../../src/target/commerce-import/double.ts';
import type { ReferenceDouble } from '../../src/target/reference.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { runCommands, startBin } from '../support/cli.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { beginLogin, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';
import { type TcpProxy, tcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait.ts';

const SECRET = registerSecret('client_secret', 'coexistence-worker-client-secret');
const USERS = [
  [1, 'ana', 'Ana'],
  [2, 'bora', 'Bora'],
  [3, 'cem', 'Cem'],
  [4, 'dila', ''],
  [5, 'ece', ''],
] as const;
const password = (name: string) => registerSecret('password', `pw-${name}-coexist`);
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const cli = (argv: string[]) => runCommands([workerCommand, ...migrationCommands], argv);

describe.each([
  ['MariaDB', 'mysql'],
  ['PostgreSQL', 'postgres'],
] as const)('the worker and migration retry beside a %s legacy table', (_name, family) => {
  let legacyDb: TestDatabase;
  let legacyKnex: Knex;
  let proxy: TcpProxy;
  let double: ReferenceDouble;
  let t: TestBridge;
  let rp: oidc.Configuration;
  let configFile: string;

  beforeAll(async () => {
    legacyDb = family === 'mysql' ? await createMariaDatabase('coexw') : await createPgDatabase('coexw');
    legacyKnex = knexPkg.knex({ client: family === 'mysql' ? 'mysql2' : 'pg', connection: legacyDb.url });
    await legacyKnex.schema.createTable('members', (tb) => {
      tb.integer('id').primary();
      tb.string('username', 64).notNullable();
      tb.string('email', 254).notNullable();
      tb.string('password', 64).notNullable();
      tb.string('first_name', 64).notNullable();
      tb.string('last_name', 64).notNullable();
      tb.dateTime('created_at').notNullable();
      tb.boolean('active').notNullable();
    });
    await legacyKnex('members').insert(
      USERS.map(([id, username, first]) => ({
        id,
        username,
        email: `${username}@example.com`,
        password: md5(password(username)),
        first_name: first,
        last_name: 'Yilmaz',
        created_at: new Date('2019-05-06T07:08:09Z'),
        active: true,
      })),
    );
    proxy = await tcpProxy(Number(new URL(legacyDb.url).port));
    const viaProxy = new URL(legacyDb.url);
    viaProxy.port = String(proxy.port);
    double = await startReference();
    const legacy = {
      connection: viaProxy.toString(),
      table: 'members',
      identifiers: ['username'],
      where: { active: 1 },
      claims: { email: 'email', given_name: 'first_name', preferred_username: 'username' },
      query_timeout_ms: 2000,
      coexistence: { sweep_interval_seconds: 1 },
    };
    const target = {
      ...double.targetConfig,
      // The members table has no gender, birthday or consent columns.
      mapping: { gender: '', date_of_birth: '', email_allowed: '' },
    };
    t = await startTestBridge({ legacy, target });
    await t.addClient({ id: 'shop', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
    rp = await relyingParty(t.url, 'shop', SECRET);
    configFile = join(mkdtempSync(join(tmpdir(), 'obt-coexw-')), 'oidc-bridge.yaml');
    // JSON is YAML.
    writeFileSync(
      configFile,
      JSON.stringify({
        issuer: t.url,
        database: t.database.url,
        legacy,
        target,
        log_level: 'info',
        worker: { base_delay_ms: 10, max_delay_ms: 20, poll_interval_ms: 50 },
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await double?.close();
    await proxy?.close();
    await legacyKnex?.destroy();
    await legacyDb?.drop();
  });

  async function loggedIn(identifier: string, pw: string): Promise<boolean> {
    const run = await beginLogin(rp);
    const page = await submitLogin(run, identifier, pw);
    return page.url.startsWith(REDIRECT_URI);
  }
  const account = (sub: string) =>
    t.bridge.store.db('accounts').where({ sub }).first('disabled_at', 'disabled_by');
  const lastLoginReason = async (sub: string) =>
    (
      await t.bridge.store
        .db('audit_events')
        .where({ sub, type: 'login' })
        .orderBy('id', 'desc')
        .first('reason')
    )?.reason;

  it("the worker's sweep disables a deactivated and a deleted user, and they stay refused with the legacy database stopped", async () => {
    for (const name of ['ana', 'bora', 'cem']) expect(await loggedIn(name, password(name))).toBe(true);
    await legacyKnex('members').where({ id: 1 }).update({ active: false });
    await legacyKnex('members').where({ id: 2 }).delete();

    const worker = await startBin(['worker', '--config', configFile], /delivery worker running/);
    try {
      await waitFor(
        async () => [await account('1'), await account('2')],
        (rows) => rows.every((r) => r?.disabled_by === 'legacy-sync'),
        20_000,
      );
      expect((await account('3'))?.disabled_at).toBeNull();

      await proxy.stop();
      try {
        // The sweep goes on while the legacy database is down, and disables nobody for it.
        await waitFor(
          async () => worker.output(),
          (out) => out.includes('legacy sync stopped: legacy database unreachable'),
          20_000,
        );
        expect((await account('3'))?.disabled_at).toBeNull();
        // The swept users stay out; the one still active logs in without the legacy database.
        expect(await loggedIn('ana', password('ana'))).toBe(false);
        expect(await lastLoginReason('1')).toBe('disabled');
        expect(await loggedIn('bora', password('bora'))).toBe(false);
        expect(await lastLoginReason('2')).toBe('disabled');
        expect(await loggedIn('cem', password('cem'))).toBe(true);
        expect((await account('1'))?.disabled_by).toBe('legacy-sync');
      } finally {
        await proxy.start();
      }
    } finally {
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    }
  }, 90_000);

  it('migration retry sends the legacy data fixed since the login, and says it read the live row', async () => {
    expect(await loggedIn('dila', password('dila'))).toBe(true);
    expect((await cli(['worker', '--once', '--config', configFile])).code).toBe(0);
    const failed = await t.bridge.store.db('outbox').where({ sub: '4', kind: 'deliver' }).first();
    expect(failed.status).toBe('failed');
    expect(failed.last_error).toMatch(/first_name/);

    await legacyKnex('members').where({ id: 4 }).update({ first_name: 'Dila' });
    const retry = await cli(['migration', 'retry', '--config', configFile]);
    expect(retry.code, retry.err).toBe(0);
    expect(retry.out).toContain('Re-queued 1 job.');
    expect(retry.out).toContain('1 with the live legacy row, read again now');
    expect((await cli(['worker', '--once', '--config', configFile])).out).toBe('Processed 1 job.');
    expect(await t.bridge.store.db('outbox').where({ sub: '4', kind: 'deliver' }).first()).toMatchObject({
      status: 'delivered',
    });
    expect(double.users().get('4')).toMatchObject({ first_name: 'Dila', last_name: 'Yilmaz' });
  }, 60_000);

  it('migration retry keeps the copy taken at login while the legacy database is stopped, and says so', async () => {
    expect(await loggedIn('ece', password('ece'))).toBe(true);
    expect((await cli(['worker', '--once', '--config', configFile])).code).toBe(0);
    expect((await t.bridge.store.db('outbox').where({ sub: '5', kind: 'deliver' }).first()).status).toBe(
      'failed',
    );
    await legacyKnex('members').where({ id: 5 }).update({ first_name: 'Ece' });
    await proxy.stop();
    try {
      const retry = await cli(['migration', 'retry', '--config', configFile]);
      expect(retry.code, retry.err).toBe(0);
      expect(retry.out).toContain(
        '1 with the copy of the legacy row taken at login (the legacy database is unreachable)',
      );
    } finally {
      await proxy.start();
    }
    // The copy still has the empty name: the job fails again, and waits for the next retry.
    await cli(['worker', '--once', '--config', configFile]);
    expect((await t.bridge.store.db('outbox').where({ sub: '5', kind: 'deliver' }).first()).status).toBe(
      'failed',
    );
    expect(double.users().has('5')).toBe(false);
  }, 60_000);
});
