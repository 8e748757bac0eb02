// Every request of the bulk import carries an Idempotency-Key made from the run and the
// users it holds. An import killed while the target still works on a batch sends that batch
// again on --resume under the same key, and the reference target answers it as it answered
// the first time: every user created once, counted as created, none as already there.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { batchKeys } from '../../src/migration/import.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { BIN, runBin } from '../support/cli.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { waitFor } from '../support/wait.ts';
import {
  type CountingTarget,
  type Generated,
  generateBeUsers,
  isImportable,
  startCountingTarget,
  writeImportConfig,
} from './support.ts';

let legacyDb: TestDatabase;
let storeDb: TestDatabase;
let store: Store;
let target: CountingTarget;
let generated: Generated;
let dir: string;
let configFile: string;

beforeAll(async () => {
  legacyDb = await createMariaDatabase('impkey');
  storeDb = await createPgDatabase('impkey');
  generated = await generateBeUsers(legacyDb.url, 20);
  target = await startCountingTarget();
  store = createStore({ database: storeDb.url });
  await store.migrate();
  dir = mkdtempSync(join(tmpdir(), 'import-key-'));
  configFile = writeImportConfig(join(dir, 'oidc-bridge.json'), {
    store: storeDb.url,
    legacy: legacyDb.url,
    importUrl: target.importUrl,
  });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await target?.close();
  await storeDb?.drop();
  await legacyDb?.drop();
});

const args = () => ['--config', configFile, '--batch', '10', '--concurrency', '1'];

it('re-sends the batch a killed import left unanswered under the same Idempotency-Key, and the target creates nobody twice', async () => {
  const rejects = ['--rejects', join(dir, 'rejects.csv')];
  // The first batch waits at the target long enough for the import to die first; the target
  // still creates its users after the delay, as a real slow server would.
  target.double.setMode('slow', { delayMs: 3000 });
  const child = spawn(process.execPath, [BIN, 'import', ...args(), ...rejects], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
  await waitFor(
    () => store.db('import_checkpoints').first(),
    (row) => row?.status === 'running',
    20_000,
  );
  await new Promise((r) => setTimeout(r, 1000)); // the first batch is at the target now
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  await waitFor(
    async () => target.double.requests.length,
    (n) => n === 1,
    10_000,
  );
  const checkpoint = await store.db('import_checkpoints').first();
  expect(checkpoint.last_id).toBeNull(); // the answer never reached the import
  target.double.setMode('normal');

  const resumed = await runBin(['import', '--resume', '--json', ...args(), ...rejects]);
  expect(resumed.code, resumed.stderr).toBe(0);
  const summary = JSON.parse(resumed.stdout);
  expect(summary.counts).toMatchObject({ delivered: generated.importable, already_existed: 0 });

  const [first, second, ...rest] = target.double.requests;
  expect(first!.idempotencyKey).toMatch(
    /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  expect(second!.idempotencyKey).toBe(first!.idempotencyKey);
  expect(second!.body).toEqual(first!.body);
  expect(second!.outcome).toBe('duplicate'); // the first answer, replayed
  // The key is the run's and the batch's: made again from the checkpoint's run id, it matches.
  const sent = (first!.body as Array<{ customer_code: string }>).map((u) => u.customer_code);
  expect(first!.idempotencyKey).toBe(batchKeys(checkpoint.run_id, sent).batch);
  // Each later batch has a key of its own.
  const keys = target.double.requests.map((r) => r.idempotencyKey);
  expect(new Set(keys).size).toBe(rest.length + 1);

  const expected = generated.ids.filter(isImportable).map(String).sort();
  expect([...target.creates.keys()].sort()).toEqual(expected);
  expect([...target.creates.values()].every((n) => n === 1)).toBe(true);
}, 90_000);

it('gives a batch a new key in a new run (--restart), the same users or not', async () => {
  const checkpoint = await store.db('import_checkpoints').first();
  const before = target.double.requests.length;
  const restarted = await runBin([
    'import',
    '--restart',
    '--json',
    ...args(),
    '--rejects',
    join(dir, 'r2.csv'),
  ]);
  expect(restarted.code, restarted.stderr).toBe(0);
  const after = await store.db('import_checkpoints').first();
  expect(after.run_id).not.toBe(checkpoint.run_id);
  // Everyone has an account now: the new run sends nobody.
  expect(target.double.requests.length).toBe(before);
  expect(batchKeys(after.run_id, ['30000']).batch).not.toBe(batchKeys(checkpoint.run_id, ['30000']).batch);
});
