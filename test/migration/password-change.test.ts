// A password changed after migration reaches the target when its format takes an update and
// password_changes is deliver; otherwise it is recorded, never sent, and `migration status`
// counts the accounts whose target copy keeps an older password. Real PostgreSQL store.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationCommands } from '../../src/cli/commands/migration.ts';
import { parseConfig } from '../../src/config/load.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { passwordChanged } from '../../src/migration/password-change.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createTargetFormat } from '../../src/target/registry.ts';
import { runCommands } from '../support/cli.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

const KEK = 'k'.repeat(40);
let db: TestDatabase;
let store: Store;
let dir: string;

beforeAll(async () => {
  db = await createPgDatabase('pwchange');
  store = createStore({ database: db.url });
  await store.migrate();
  dir = mkdtempSync(join(tmpdir(), 'obt-pwchange-'));
  await store.db.transaction(async (trx) => {
    for (const sub of ['a', 'b', 'c']) {
      await createAccounts(store.db).insert(trx, {
        sub,
        legacyId: sub,
        passwordHash: null,
        claims: {},
        source: 'legacy',
        identifiers: [`${sub}@example.com`],
      });
    }
  });
});

afterAll(async () => {
  await store?.close();
  await db?.drop();
});

function deps(raw: Record<string, unknown>) {
  const config = parseConfig({ database: db.url, key_encryption_key: KEK, ...raw });
  const box = createSecretBox(KEK);
  return { config, db: store.db, box, target: createTargetFormat(config.target, { box }) };
}

const updateJob = (sub: string) => store.db('outbox').where({ sub, kind: 'update' }).first();

async function status(raw: Record<string, unknown>) {
  const file = join(dir, `c-${Math.random()}.yaml`);
  writeFileSync(file, JSON.stringify({ database: db.url, key_encryption_key: KEK, ...raw }));
  return runCommands(migrationCommands, ['migration', 'status', '--config', file]);
}

const scim = { type: 'scim', url: 'http://127.0.0.1:9/scim/v2', send_password: 'always' };

describe('a password changed after migration', () => {
  it('is queued, sealed, for a target that takes an update (SCIM)', async () => {
    expect(
      await passwordChanged(deps({ target: scim }), { sub: 'a', legacyId: 'a', password: 'new-pass-a' }),
    ).toBe('queued');
    const job = await updateJob('a');
    expect(job.status).toBe('pending');
    expect(job.secret).toBeTruthy();
    expect(job.secret).not.toContain('new-pass-a');
  });

  it('is recorded and not sent when password_changes is record', async () => {
    const d = deps({ target: scim, password_changes: 'record' });
    expect(await passwordChanged(d, { sub: 'b', legacyId: 'b', password: 'new-pass-b' })).toBe('recorded');
    expect(await updateJob('b')).toMatchObject({ status: 'skipped', secret: null });
  });

  it('is recorded for a target that takes no update (the commerce import), and migration status counts it', async () => {
    const target = { type: 'commerce-import', url: 'http://127.0.0.1:9/api/users/import' };
    expect(await passwordChanged(deps({ target }), { sub: 'c', legacyId: 'c', password: 'new-pass-c' })).toBe(
      'recorded',
    );
    const job = await updateJob('c');
    expect(job).toMatchObject({ status: 'skipped', secret: null });
    expect(job.last_error).toMatch(/takes no update/);
    const shown = await status({ target });
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/password changes the target was not told of: 2/);
  });

  it('is neither queued nor recorded without a target', async () => {
    expect(await passwordChanged(deps({}), { sub: 'a', legacyId: 'a', password: 'x-pass' })).toBe('none');
  });
});
