// Two imports against one store at once would post the same users twice and fight over
// the checkpoint: the second is refused with exit code 2 while the first holds the lock,
// and runs once it is released.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importCommand } from '../../src/cli/commands/import.ts';
import { type Io, runCli } from '../../src/cli/framework.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { type CountingTarget, generateBeUsers, startCountingTarget, writeImportConfig } from './support.ts';

let legacy: TestDatabase;
let storeDb: TestDatabase;
let target: CountingTarget;
let store: Store;
let configFile: string;

beforeAll(async () => {
  legacy = await createMariaDatabase();
  storeDb = await createPgDatabase();
  await generateBeUsers(legacy.url, 50);
  target = await startCountingTarget();
  configFile = writeImportConfig(join(mkdtempSync(join(tmpdir(), 'obt-lock-')), 'oidc-bridge.json'), {
    store: storeDb.url,
    legacy: legacy.url,
    importUrl: target.importUrl,
  });
  store = createStore({ database: storeDb.url });
  await store.migrate();
});

afterAll(async () => {
  await store?.close();
  await target?.close();
  await storeDb?.drop();
  await legacy?.drop();
});

async function runImportCli(): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const io: Io = { out: () => {}, err: (l) => err.push(l), stdin: process.stdin, isTTY: false, env: {} };
  const code = await runCli(
    [importCommand],
    ['import', '--config', configFile, '--json', '--rejects', join(dirname(configFile), 'rejects.csv')],
    io,
  );
  return { code, err: err.join('\n') };
}

it('refuses a second import while another holds the store, and sends nothing', async () => {
  const held = await store.tryLock(7_147_002);
  expect(held).toBeDefined();
  try {
    const second = await runImportCli();
    expect(second.code).toBe(2);
    expect(second.err).toContain('another import is running against this store');
    expect(target.statuses).toHaveLength(0);
  } finally {
    await held!.release();
  }
  const after = await runImportCli();
  expect(after.code).toBe(0);
  expect(target.statuses.length).toBeGreaterThan(0);
});
