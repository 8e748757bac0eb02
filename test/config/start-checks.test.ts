// What the start refuses, with exit 2, the key and the fix, before serving a single login: a
// where key that is not a column name, a target mapping that names no target field, and a
// legacy table the configuration names that the database does not have.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { createTargetFormat } from '../../src/target/registry.ts';
import { runBin } from '../support/cli.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('checks at start', () => {
  it('refuses a where key that is not a plain column name', () => {
    const [issue] = issues(() =>
      parseConfig(
        {
          legacy: { connection: 'mysql://u@127.0.0.1/shop', table: 'users', where: { 'active = 1 OR 1': 1 } },
        },
        {},
      ),
    );
    expect(issue).toContain('legacy.where.active = 1 OR 1');
    expect(issue).toContain('Fix:');
  });

  it('refuses a commerce-import mapping that names no target field', () => {
    const config = parseConfig(
      {
        target: { type: 'commerce-import', url: 'http://127.0.0.1:1/import', mapping: { frist_name: 'fn' } },
      },
      {},
    );
    const [issue] = issues(() => createTargetFormat(config.target));
    expect(issue).toContain('target.mapping.frist_name');
  });
});

describe('oidc-bridge start', () => {
  let store: TestDatabase;
  let legacyDb: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'obr-start-'));

  beforeAll(async () => {
    store = await createPgDatabase();
    legacyDb = await createPgDatabase('obl');
  });
  afterAll(async () => {
    await store?.drop();
    await legacyDb?.drop();
  });

  it('exits 2 naming legacy.table when the table does not exist', async () => {
    const file = join(dir, 'missing-table.yaml');
    writeFileSync(
      file,
      [
        `database: ${store.url}`,
        'port: 0',
        'admin: { enabled: false }',
        'legacy:',
        `  connection: ${legacyDb.url}`,
        '  table: no_such_users',
      ].join('\n'),
    );
    const r = await runBin(['start', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('legacy.table');
    expect(r.stderr).toContain('no_such_users');
  });

  it('exits 2 naming the mapping key of a commerce-import target', async () => {
    const file = join(dir, 'bad-mapping.yaml');
    writeFileSync(
      file,
      [
        `database: ${store.url}`,
        'port: 0',
        'admin: { enabled: false }',
        'target: { type: commerce-import, url: "http://127.0.0.1:1/import", mapping: { frist_name: fn } }',
      ].join('\n'),
    );
    const r = await runBin(['start', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('target.mapping.frist_name');
  });
});
