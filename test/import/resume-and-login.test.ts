// The bulk import next to lazy migration and under trouble, against real MariaDB, a real
// PostgreSQL store and the reference target over HTTP: a run killed halfway and resumed
// delivers nobody twice, lazily migrated users are skipped, an imported user's login
// re-hashes without a second delivery, and a rate-limiting or failing target is handled.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrationCommands } from '../../src/cli/commands/migration.ts';
import { type Io, runCli } from '../../src/cli/framework.ts';
import { parseConfig } from '../../src/config/load.ts';
import { createLegacySource } from '../../src/legacy/source.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { ImportStoppedError, runImport } from '../../src/migration/import.ts';
import { createLogin } from '../../src/migration/login.ts';
import { createAudit } from '../../src/security/audit.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { runBin } from '../support/cli.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import {
  type CountingTarget,
  emailOf,
  FIRST_ID,
  type Generated,
  generateBeUsers,
  isImportable,
  kindOf,
  passwordOf,
  startCountingTarget,
  targetDeps,
  writeImportConfig,
} from './support.ts';

let legacyDb: TestDatabase;
let target: CountingTarget;
let generated: Generated;
let dir: string;
const ROWS = 30_000;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  legacyDb = await createMariaDatabase('impres');
  generated = await generateBeUsers(legacyDb.url, ROWS);
  target = await startCountingTarget();
  dir = mkdtempSync(join(tmpdir(), 'import-resume-'));
}, 120_000);

afterEach(async () => {
  target.double.reset();
  target.creates.clear();
  for (const fn of cleanup.splice(0)) await fn();
});

afterAll(async () => {
  await target?.close();
  await legacyDb?.drop();
});

async function freshStore(): Promise<{ store: Store; url: string }> {
  const db = await createPgDatabase('impres');
  const store = createStore({ database: db.url });
  await store.migrate();
  cleanup.push(async () => {
    await store.close();
    await db.drop();
  });
  return { store, url: db.url };
}

function configFor(storeUrl: string) {
  return parseConfig({
    database: storeUrl,
    legacy: { connection: legacyDb.url, table: 'be_users', columns: { last_login: 'updated_at' } },
    target: { type: 'http', url: target.importUrl, timeout_ms: 30_000 },
  });
}

function legacyFor(config: ReturnType<typeof configFor>) {
  const legacy = createLegacySource(config.legacy!, { logger: silentLogger });
  cleanup.push(() => legacy.close());
  return legacy;
}

function expectEveryoneCreatedOnce(): void {
  const expected = generated.ids.filter(isImportable).map(String).sort();
  expect([...target.creates.keys()].sort()).toEqual(expected);
  const twice = [...target.creates].filter(([, n]) => n !== 1);
  expect(twice).toEqual([]);
}

describe('an import killed halfway', () => {
  it('resumes after its checkpoint and delivers no user twice', async () => {
    const { store, url } = await freshStore();
    const config = writeImportConfig(join(dir, 'kill.yaml'), {
      store: url,
      legacy: legacyDb.url,
      importUrl: target.importUrl,
    });
    // Slow enough that the progress line shows 30 % well before the end.
    target.double.setMode('slow', { delayMs: 60 });
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '../../bin/oidc-bridge.js'),
        'import',
        '--config',
        config,
        '--batch',
        '200',
        '--concurrency',
        '2',
        '--rejects-csv',
        join(dir, 'kill.csv'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const killedAt = await new Promise<number>((resolve, reject) => {
      let buffer = '';
      child.stderr.on('data', (d: Buffer) => {
        buffer += d.toString();
        for (const line of buffer.split('\n').slice(0, -1)) {
          // Other stderr lines (a library's warning) are not progress.
          if (!line.startsWith('{"event"')) continue;
          const p = JSON.parse(line) as { event: string; rows: number };
          if (p.event === 'progress' && p.rows >= 0.3 * ROWS) {
            child.kill('SIGKILL');
            resolve(p.rows);
          }
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      });
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`import ended (${code}) before it could be killed`));
      });
    });
    expect(killedAt).toBeLessThan(ROWS);
    target.double.setMode('normal');
    const checkpoint = await store.db('import_checkpoints').where({ name: 'bulk-import' }).first();
    expect(checkpoint.status).toBe('running');

    const refused = await runBin(['import', '--config', config, '--rejects-csv', join(dir, 'kill.csv')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--resume');

    const resumed = await runBin([
      'import',
      '--resume',
      '--json',
      '--config',
      config,
      '--rejects-csv',
      join(dir, 'kill.csv'),
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary.resumed).toBe(true);
    expect(summary.counts).toMatchObject({
      rows: ROWS + 1,
      importable: generated.importable,
      needs_login: generated.needsLogin,
      rejected: generated.rejected,
      delivered: generated.importable,
    });
    expectEveryoneCreatedOnce();
    const delivered = await store.db('outbox').where({ status: 'delivered' }).count({ n: '*' }).first();
    expect(Number(delivered?.n)).toBe(generated.importable);
  }, 120_000);
});

describe('the import beside lazy migration', () => {
  it('skips a lazily migrated user, and an imported user who logs in is not delivered again', async () => {
    const { store, url } = await freshStore();
    const config = configFor(url);
    const legacy = legacyFor(config);
    const accounts = createAccounts(store.db);
    const login = createLogin({
      config,
      db: store.db,
      accounts,
      legacy,
      audit: createAudit(store.db, silentLogger),
      metrics: createMetrics({ defaultMetrics: false }),
      logger: silentLogger,
      ...targetDeps(config),
    });
    const lazy = FIRST_ID; // md5: importable, but logs in before the import
    expect(kindOf(lazy)).toBe('md5');
    expect(await login.authenticate({ identifier: emailOf(lazy), password: passwordOf(lazy) })).toMatchObject(
      { ok: true },
    );

    const summary = await runImport(
      { config, db: store.db, ...targetDeps(config), legacy },
      { batch: 1000, concurrency: 4 },
    );
    expect(summary.counts.already_in_bridge).toBe(1);
    expect(summary.counts.delivered).toBe(generated.importable - 1);
    // Its delivery is the worker's job: the import sent nothing for it.
    expect(target.creates.has(String(lazy))).toBe(false);
    expect(
      await store
        .db('outbox')
        .where({ sub: String(lazy) })
        .first(),
    ).toMatchObject({ status: 'pending' });

    const imported = FIRST_ID + 8; // salted sha1
    expect(kindOf(imported)).toBe('sha1_salted');
    expect(await accounts.findBySub(String(imported))).toMatchObject({
      source: 'import',
      password_hash: null,
    });
    const outcome = await login.authenticate({
      identifier: `user${imported}`,
      password: passwordOf(imported),
    });
    expect(outcome).toMatchObject({ ok: true, sub: String(imported), migrated: false });
    expect((await accounts.findBySub(String(imported)))?.password_hash).toMatch(/^\$argon2id\$/);
    const jobs = await store.db('outbox').where({ sub: String(imported) });
    expect(jobs).toHaveLength(1);
    expect(jobs[0].status).toBe('delivered');
    expect(target.creates.get(String(imported))).toBe(1);

    // What `migration status` makes of it: the users left by scheme and the readiness figure.
    const file = writeImportConfig(join(dir, 'status.yaml'), {
      store: url,
      legacy: legacyDb.url,
      importUrl: target.importUrl,
    });
    const out: string[] = [];
    const io: Io = {
      out: (l) => out.push(l),
      err: () => {},
      stdin: Readable.from([]),
      isTTY: false,
      env: {},
    };
    expect(
      await runCli(
        migrationCommands,
        ['migration', 'status', '--json', '--active-days', '90', '--config', file],
        io,
      ),
    ).toBe(0);
    const { cutover } = JSON.parse(out.join('\n'));
    const active = generated.ids.filter((id) => id % 4 === 0);
    expect(cutover).toMatchObject({
      import_rejected: generated.rejected,
      active_days: 90,
      active_users: active.length,
      active_with_account: active.filter(isImportable).length,
    });
    expect(cutover.left_by_scheme).toMatchObject({
      bcrypt: generated.ids.filter((id) => kindOf(id) === 'bcrypt').length + 1,
    });
  }, 120_000);
});

describe('a target that pushes back', () => {
  it('waits out 429 with Retry-After and still completes', async () => {
    const { store, url } = await freshStore();
    const config = configFor(url);
    target.double.setMode('ratelimit', { retryAfterSeconds: 1, count: 2 });
    const started = Date.now();
    const summary = await runImport(
      { config, db: store.db, ...targetDeps(config), legacy: legacyFor(config) },
      { batch: 1000 },
    );
    expect(summary.rate_limited).toEqual({ times: 2, waited_ms: 2000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(target.statuses.filter((s) => s === 429)).toHaveLength(2);
    expect(summary.counts.delivered).toBe(generated.importable);
    expectEveryoneCreatedOnce();
  }, 120_000);

  it('stops with a resumable checkpoint when the target stays down, and resumes once it is back', async () => {
    const { store, url } = await freshStore();
    const config = configFor(url);
    const legacy = legacyFor(config);
    const noWait = async () => {};
    let pages = 0;
    const flaky = {
      ...legacy,
      async page(after: string | number | undefined, limit: number) {
        // The target goes down after the first few batches.
        if (++pages === 4) target.double.setMode('down');
        return legacy.page(after, limit);
      },
    };
    await expect(
      runImport(
        { config, db: store.db, ...targetDeps(config), legacy: flaky, sleep: noWait },
        { batch: 1000, concurrency: 1 },
      ),
    ).rejects.toBeInstanceOf(ImportStoppedError);
    const checkpoint = await store.db('import_checkpoints').where({ name: 'bulk-import' }).first();
    expect(checkpoint.status).toBe('running');
    expect(Number(checkpoint.last_id)).toBeGreaterThan(FIRST_ID);
    await expect(
      runImport({ config, db: store.db, ...targetDeps(config), legacy }, {}),
    ).rejects.toMatchObject({
      code: 'import_interrupted',
    });

    target.double.setMode('normal');
    const summary = await runImport(
      { config, db: store.db, ...targetDeps(config), legacy },
      { resume: true, batch: 1000 },
    );
    expect(summary.resumed).toBe(true);
    expect(summary.counts.delivered).toBe(generated.importable);
    expectEveryoneCreatedOnce();
  }, 120_000);
});
