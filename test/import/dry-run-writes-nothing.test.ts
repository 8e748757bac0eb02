// `import --dry-run` says "nothing written", and writes nothing: not the store, and not the
// rejects file unless one is named with --rejects. Real MariaDB legacy table, real
// PostgreSQL store, the reference target.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('writes the rejects to the file named with --rejects', async () => {
    const file = join(dir, 'planned-rejects.csv');
    const run = await runBin(['import', '--dry-run', '--config', configFile, '--rejects', file], {
      cwd: dir,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('28774,first_name,is required (got null)');
  });
});
