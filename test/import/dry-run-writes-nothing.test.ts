// `import --dry-run` says "nothing written", and writes nothing: not the store, and not the
// rejects file unless one is named with --rejects. Real MariaDB legacy table, real
// PostgreSQL store, the reference target.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexPkg from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../support/cli.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { type CountingTarget, generateBeUsers, startCountingTarget, writeImportConfig } from './support.ts';

let legacyDb: TestDatabase;
let storeDb: TestDatabase;
let target: CountingTarget;
let dir: string;
let configFile: string;

beforeAll(async () => {
  [legacyDb, storeDb] = await Promise.all([createMariaDatabase('dry'), createPgDatabase('dry')]);
  await generateBeUsers(legacyDb.url, 40);
  const legacy = knexPkg.knex({ client: 'mysql2', connection: legacyDb.url });
  try {
    const row = (id: number, email: string, password: string) => ({
      id,
      first_name: 'Extra',
      last_name: 'Row',
      username: `extra${id}`,
      email,
      password,
      gender: 'F',
      accept_notifications: 1,
      created_at: new Date('2020-01-01T00:00:00Z'),
    });
    const bcrypt = '$2y$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';
    // An application that checks e-mails case-sensitively lets both in (here: no unique index).
    await legacy.raw('ALTER TABLE be_users DROP INDEX be_users_email_unique');
    await legacy('be_users').insert([
      // A bcrypt cut short to 57 characters by a narrow column: no password matches it.
      row(50001, 'short@example.com', bcrypt.slice(0, 57)),
      // Two md5 users whose e-mails differ only in case: the target holds one of them.
      row(50002, 'Twin@Example.com', '5f4dcc3b5aa765d61d8327deb882cf99'),
      row(50003, 'twin@example.COM', '5f4dcc3b5aa765d61d8327deb882cf99'),
    ]);
  } finally {
    await legacy.destroy();
  }
  target = await startCountingTarget();
  dir = mkdtempSync(join(tmpdir(), 'obt-dry-'));
  configFile = writeImportConfig(join(dir, 'bridge.yaml'), {
    store: storeDb.url,
    legacy: legacyDb.url,
    importUrl: target.importUrl,
  });
}, 60_000);

afterAll(async () => {
  await target?.close();
  await legacyDb?.drop();
  await storeDb?.drop();
});

describe('import --dry-run', () => {
  it('writes no rejects file of its own accord, and lists the rejects instead', async () => {
    const run = await runBin(['import', '--dry-run', '--config', configFile], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('nothing written');
    expect(run.stdout).toMatch(/reject: legacy id 28774/);
    expect(existsSync(join(dir, 'import-rejects.csv'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['bridge.yaml']);
    expect(target.statuses).toHaveLength(0);
  });

  it('rejects a hash no password can match, counts --without-password, and warns of e-mails equal but for case', async () => {
    const run = await runBin(
      ['import', '--dry-run', '--without-password', '--json', '--config', configFile],
      {
        cwd: dir,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout);
    expect(plan.counts.needs_login).toBeGreaterThan(0);
    expect(plan.counts.without_password).toBe(plan.counts.needs_login);
    expect(plan.counts.email_duplicates).toBe(1);
    expect(plan.email_duplicates).toEqual([{ legacy_id: '50003', same_as: '50002' }]);
    const text = await runBin(['import', '--dry-run', '--config', configFile], { cwd: dir });
    expect(text.stdout).toMatch(/reject: legacy id 50001: password hash unusable \(malformed\)/);
    expect(text.stdout).toMatch(/e-mail duplicates: +1/);
    expect(text.stdout).toContain('legacy id 50003: same e-mail as legacy id 50002');
    expect(target.statuses).toHaveLength(0);
  });

  it('writes the rejects to the file named with --rejects', async () => {
    const file = join(dir, 'planned-rejects.csv');
    const run = await runBin(['import', '--dry-run', '--config', configFile, '--rejects', file], {
      cwd: dir,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('28774,first_name,is required (got null)');
  });
});
