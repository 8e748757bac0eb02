// A user the bulk import sent without a password (--without-password: the target holds an
// unusable one) logs in at the bridge later: that first login hands their password form to
// the target when its format takes an update, and otherwise records that the target was not
// told, for `migration status`. Real MariaDB legacy table, PostgreSQL store, the reference
// import API, the real login form.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCommand } from '../../src/cli/commands/import.ts';
import { migrationCommands } from '../../src/cli/commands/migration.ts';
import { loadBeUsers } from '../legacy/support.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { runCommands } from '../support/cli.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { beginLogin, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import { type CountingTarget, startCountingTarget } from './support.ts';

const SECRET = 'without-password-secret';
const PASSWORD = 'pw-straggler-1';
let legacyDb: TestDatabase;
let storeDb: TestDatabase;
let target: CountingTarget;
let t: TestBridge;
let rp: oidc.Configuration;
let configFile: string;
let dir: string;

const cli = (argv: string[]) => runCommands([importCommand, ...migrationCommands], argv);

beforeAll(async () => {
  [legacyDb, storeDb] = await Promise.all([createMariaDatabase('nopw'), createPgDatabase('nopw')]);
  const hash = (await bcrypt.hash(PASSWORD, 4)).replace('$2b$', '$2y$');
  await loadBeUsers(
    legacyDb.url,
    `INSERT INTO be_users (id, first_name, last_name, username, email, password, gender, is_logged, created_at) VALUES (60001, 'Sena', 'Kaya', 'sena', 'sena@example.com', '${hash}', 'F', 0, '2020-01-02 03:04:05')`,
  );
  target = await startCountingTarget();
  const legacy = { connection: legacyDb.url, table: 'be_users' };
  const targetConfig = { type: 'commerce-import', url: target.importUrl };
  t = await startTestBridge({ legacy, target: targetConfig }, { database: storeDb });
  await t.addClient({ id: 'shop', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
  rp = await relyingParty(t.url, 'shop', SECRET);
  dir = mkdtempSync(join(tmpdir(), 'obt-nopw-'));
  configFile = join(dir, 'bridge.yaml');
  writeFileSync(configFile, JSON.stringify({ database: storeDb.url, legacy, target: targetConfig }));
}, 60_000);

afterAll(async () => {
  await t?.close();
  await target?.close();
  await legacyDb?.drop();
  await storeDb?.drop();
});

describe('a user imported without a password', () => {
  it('logs in, and the first login hands the password to the target or records that it could not', async () => {
    const run = await cli([
      'import',
      '--without-password',
      '--json',
      '--config',
      configFile,
      '--rejects',
      join(dir, 'rejects.csv'),
    ]);
    expect(run.code, run.out).toBe(0);
    expect(JSON.parse(run.out.split('\n').at(-1)!).counts.without_password).toBe(1);
    expect(target.double.users().get('60001')).toBeTruthy();
    expect(await target.double.verifyPassword('60001', PASSWORD)).toBe(false);

    const login = await beginLogin(rp);
    const page = await submitLogin(login, 'sena', PASSWORD);
    expect(page.url.startsWith(REDIRECT_URI)).toBe(true);

    // The commerce import API cannot change a password: the change is recorded, never sent.
    const update = await t.bridge.store.db('outbox').where({ sub: '60001', kind: 'update' }).first();
    expect(update).toMatchObject({ status: 'skipped', secret: null });
    expect(update.last_error).toMatch(/takes no update/);
    const event = await t.bridge.store
      .db('audit_events')
      .where({ sub: '60001', type: 'password_delivered' })
      .first();
    expect(event.details).toMatchObject({ target: 'recorded', reason: 'imported_without_password' });
    const status = await cli(['migration', 'status', '--config', configFile]);
    expect(status.out).toMatch(/password changes the target was not told of: 1/);
    // …and, as what it is, with what the operator must do about it.
    expect(status.out).toMatch(/imported without a password, logged in since, the target not told: 1/);
    expect(status.out).toMatch(/password reset at the target/);
    expect(status.out).toMatch(/migration list --status skipped/);
    const json = JSON.parse((await cli(['migration', 'status', '--json', '--config', configFile])).out);
    expect(json).toMatchObject({
      password_changes_not_delivered: 1,
      imported_without_password_not_delivered: 1,
    });
    const listed = await cli(['migration', 'list', '--status', 'skipped', '--json', '--config', configFile]);
    expect(JSON.parse(listed.out)).toEqual(
      expect.arrayContaining([expect.objectContaining({ legacy_id: '60001', status: 'skipped' })]),
    );
    // The user the import sent with an unusable password is marked for a reset at the target.
    expect(target.double.users().get('60001')).toMatchObject({
      attributes: { password_reset_required: true },
    });
  });

  it('is refused by the import for a target with no bulk API, whose users migrate at their first login', async () => {
    for (const type of ['scim', 'webhook']) {
      const other = join(dir, `${type}.yaml`);
      const raw =
        type === 'scim'
          ? {
              type,
              url: 'http://127.0.0.1:9/scim/v2',
              token: 'scim-token-for-refusal',
              send_password: 'never',
            }
          : { type, url: 'http://127.0.0.1:9/hook', secret: 'a-webhook-secret-of-at-least-32-chars!!' };
      writeFileSync(
        other,
        JSON.stringify({
          database: storeDb.url,
          legacy: { connection: legacyDb.url, table: 'be_users' },
          target: raw,
        }),
      );
      const r = await cli([
        'import',
        '--without-password',
        '--config',
        other,
        '--rejects',
        join(dir, 'r.csv'),
      ]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toContain(`target.type ${type} has no bulk import`);
    }
  });
});
