// The bulk import against real MariaDB (100,000 generated be_users rows, mixed schemes), a
// real PostgreSQL store and the reference target over HTTP: the dry run and the real run
// agree, the target ends up holding exactly the importable users, and their legacy
// passwords work there unchanged.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCommand } from '../../src/cli/commands/import.ts';
import { type Io, runCli } from '../../src/cli/framework.ts';
import type { ImportSummary } from '../../src/migration/import.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import {
  type CountingTarget,
  emailOf,
  type Generated,
  generateBeUsers,
  isImportable,
  kindOf,
  passwordOf,
  startCountingTarget,
  writeImportConfig,
} from './support.ts';

const ROWS = Number(process.env.IMPORT_TEST_ROWS ?? 100_000);

let legacyDb: TestDatabase;
let storeDb: TestDatabase;
let store: Store;
let target: CountingTarget;
let generated: Generated;
let dir: string;
let configFile: string;

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdin: Readable.from([]),
    isTTY: false,
    env: {},
  };
  const code = await runCli([importCommand], argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  [legacyDb, storeDb] = await Promise.all([createMariaDatabase('imp'), createPgDatabase('imp')]);
  generated = await generateBeUsers(legacyDb.url, ROWS);
  console.info(`generated ${ROWS} be_users rows in ${generated.seconds.toFixed(1)} s`);
  target = await startCountingTarget();
  dir = mkdtempSync(join(tmpdir(), 'import-'));
  configFile = writeImportConfig(join(dir, 'bridge.yaml'), {
    store: storeDb.url,
    legacy: legacyDb.url,
    importUrl: target.importUrl,
  });
  store = createStore({ database: storeDb.url });
}, 180_000);

afterAll(async () => {
  await store?.close();
  await target?.close();
  await legacyDb?.drop();
  await storeDb?.drop();
});

describe(`importing ${ROWS} legacy users`, () => {
  let plan: ImportSummary;
  let result: ImportSummary;
  const csv = () => join(dir, 'rejects.csv');

  it('plans the import in a dry run that sends nothing and writes nothing', async () => {
    const run = await cli(['import', '--dry-run', '--json', '--config', configFile, '--rejects-csv', csv()]);
    expect(run.code, run.err).toBe(0);
    plan = JSON.parse(run.out) as ImportSummary;
    expect(plan.counts).toMatchObject({
      rows: ROWS + 1,
      importable: generated.importable,
      needs_login: generated.needsLogin,
      rejected: generated.rejected,
      already_in_bridge: 0,
    });
    expect(plan.counts.by_scheme.md5?.importable).toBe(
      generated.ids.filter((id) => kindOf(id) === 'md5').length,
    );
    expect(plan.counts.by_scheme['sha1 (salted)']?.importable).toBeGreaterThan(0);
    expect(plan.counts.by_scheme.bcrypt?.needs_login).toBeGreaterThan(0);
    expect(plan.counts.by_scheme.argon2?.needs_login).toBeGreaterThan(0);
    expect(plan.sample?.password).toMatch(/^(md5|sha1|sha256)\$.*\$<hash: \d+ hex>$/);
    expect(target.statuses).toHaveLength(0);
    // Not even a checkpoint: the dry run did not so much as migrate the store.
    expect(await store.db.schema.hasTable('import_checkpoints')).toBe(false);
  }, 120_000);

  it('writes every reject to the CSV with the field and reason, and no hash', () => {
    const lines = readFileSync(csv(), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('legacy_id,field,reason');
    // One line a problem: the example row lacks both names and date_joined.
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(generated.rejected);
    expect(lines).toContain('28774,first_name,is required (got null)');
    expect(lines.join('\n')).not.toMatch(/[0-9a-f]{32}|\$2[aby]\$/);
  });

  it('imports exactly the importable users, agreeing with the dry run on every count', async () => {
    await store.migrate();
    const run = await cli(['import', '--json', '--config', configFile, '--rejects-csv', csv()]);
    expect(run.code, run.err).toBe(0);
    result = JSON.parse(run.out) as ImportSummary;
    console.info(
      `imported ${result.counts.delivered} users in ${result.seconds.toFixed(1)} s (${result.rows_per_sec} rows/s)`,
    );
    for (const key of [
      'rows',
      'importable',
      'needs_login',
      'rejected',
      'already_in_bridge',
      'by_scheme',
    ] as const) {
      expect(result.counts[key], key).toEqual(plan.counts[key]);
    }
    expect(result.counts.delivered).toBe(generated.importable);
    const codes = [...target.double.users().keys()].sort();
    const expected = generated.ids.filter(isImportable).map(String).sort();
    expect(codes).toEqual(expected);
    expect([...target.creates.values()].every((n) => n === 1)).toBe(true);
  }, 180_000);

  it('gives every imported user an account without a hash and a delivered outbox row', async () => {
    const accounts = await store.db('accounts').where({ source: 'import' }).count({ n: '*' }).first();
    expect(Number(accounts?.n)).toBe(generated.importable);
    const withHash = await store.db('accounts').whereNotNull('password_hash').count({ n: '*' }).first();
    expect(Number(withHash?.n)).toBe(0);
    const jobs: Array<{ status: string; n: number }> = await store
      .db('outbox')
      .select('status')
      .count({ n: '*' })
      .groupBy('status');
    expect(jobs.map((j) => [j.status, Number(j.n)])).toEqual([['delivered', generated.importable]]);
    const secrets = await store.db('outbox').whereNotNull('secret').count({ n: '*' }).first();
    expect(Number(secrets?.n)).toBe(0);
    const checkpoint = await store.db('import_checkpoints').where({ name: 'bulk-import' }).first();
    expect(checkpoint.status).toBe('done');
    expect(checkpoint.last_id).toBe(String(generated.ids.at(-1)));
  });

  it('lets 20 imported users log in to the target with their legacy passwords', async () => {
    const importable = generated.ids.filter(isImportable);
    const step = Math.floor(importable.length / 20);
    for (let i = 0; i < 20; i++) {
      const id = importable[i * step]!;
      const res = await fetch(`${target.url}/api/users/check`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: emailOf(id), password: passwordOf(id) }),
      });
      expect(((await res.json()) as { valid: boolean }).valid, `${kindOf(id)} user ${id}`).toBe(true);
    }
  });

  it('skips everyone on a second run, since they all have accounts now', async () => {
    const requestsBefore = target.statuses.length;
    const run = await cli([
      'import',
      '--json',
      '--config',
      configFile,
      '--batch',
      '1000',
      '--rejects-csv',
      csv(),
    ]);
    expect(run.code, run.err).toBe(0);
    const again = JSON.parse(run.out) as ImportSummary;
    expect(again.counts.already_in_bridge).toBe(generated.importable);
    expect(again.counts.delivered).toBe(0);
    expect(target.statuses.length).toBe(requestsBefore);
  }, 120_000);
});
