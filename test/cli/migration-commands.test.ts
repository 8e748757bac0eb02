// `migration status | list | retry` and `worker --once` through the CLI framework with a
// capturing Io, against real PostgreSQL (store and legacy table) and the reference target:
// what operators read, the exit codes, and that no password form is ever printed.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import knexPkg, { type Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrationCommands } from '../../src/cli/commands/migration.ts';
import { workerCommand } from '../../src/cli/commands/worker.ts';
import { type Io, runCli } from '../../src/cli/framework.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { enqueueDelivery } from '../../src/migration/outbox.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import {
  parsePassword as parseTargetPassword,
  passwordFromPlain as targetPasswordFromPlain,
} from '../../src/target/commerce-import/password.ts';
import {
  createReferenceTarget,
  type ReferenceTarget,
  type RunningTarget,
} from '../../src/target/commerce-import/reference.ts';
import { snapshotColumns } from '../../src/target/values.ts';
import { BIN } from '../support/cli.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

const { knex } = knexPkg;
const commands = [...migrationCommands, workerCommand];

let storeDb: TestDatabase;
let legacyDb: TestDatabase;
let store: Store;
let target: ReferenceTarget;
let running: RunningTarget;
let dir: string;
const secrets: string[] = [];

function writeConfig(name: string, config: Record<string, unknown>): string {
  const file = join(dir, name);
  // JSON is YAML.
  writeFileSync(file, JSON.stringify(config));
  return file;
}

let plainConfig: string;
let legacyConfig: string;
let brokenLegacyConfig: string;

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdin: Readable.from([]),
    isTTY: false,
    env: { LOG_LEVEL: 'silent' },
  };
  const code = await runCli(commands, argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function seed(
  id: number,
  status: string,
  opts: { scheme?: string; lastError?: string; row?: Record<string, unknown> } = {},
) {
  const sub = String(id);
  const secret = targetPasswordFromPlain(`pw-${id}`, 'sha256');
  secrets.push(secret);
  const row = opts.row ?? {
    id,
    first_name: 'Ali',
    last_name: 'Veli',
    email: `u${id}@example.com`,
    created_at: '2020-02-02T02:02:02.000Z',
  };
  await store.db.transaction(async (trx) => {
    await createAccounts(store.db).insert(trx, {
      sub,
      legacyId: sub,
      passwordHash: null,
      claims: {},
      source: 'legacy',
      legacyScheme: opts.scheme ?? 'bcrypt',
      identifiers: [`u${id}@example.com`],
    });
    await enqueueDelivery(trx, {
      sub,
      payload: { legacy_id: sub, claims: {} },
      secret,
      rowData: JSON.stringify(snapshotColumns(row, Object.keys(row))),
    });
  });
  await store
    .db('outbox')
    .where({ sub })
    .update({
      status,
      attempts: status === 'pending' ? 0 : 3,
      last_error: opts.lastError ?? null,
      secret: status === 'delivered' || status === 'dead' ? null : secret,
    });
  return (await store.db('outbox').where({ sub }).first('id')).id as number;
}

function expectNoSecret(text: string): void {
  for (const s of secrets) expect(text).not.toContain(parseTargetPassword(s)!.hash);
}

beforeAll(async () => {
  storeDb = await createPgDatabase('migcli');
  legacyDb = await createPgDatabase('migcli_legacy');
  store = createStore({ database: storeDb.url });
  await store.migrate();
  const legacy: Knex = knex({ client: 'pg', connection: legacyDb.url });
  try {
    await legacy.schema.createTable('be_users', (t) => {
      t.integer('id').primary();
      t.string('username');
      t.string('email');
      t.string('password');
      t.string('first_name');
      t.string('last_name');
    });
    await legacy('be_users').insert(
      [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({
        id,
        username: `u${id}`,
        email: `u${id}@example.com`,
        password: 'x',
        first_name: 'A',
        last_name: 'B',
      })),
    );
  } finally {
    await legacy.destroy();
  }
  target = createReferenceTarget();
  running = await target.listen();
  dir = mkdtempSync(join(tmpdir(), 'obt-migcli-'));
  const base = {
    database: storeDb.url,
    target: { type: 'http', url: running.importUrl },
    log_level: 'silent',
    worker: { base_delay_ms: 10, max_delay_ms: 20 },
  };
  plainConfig = writeConfig('plain.yaml', base);
  legacyConfig = writeConfig('legacy.yaml', {
    ...base,
    legacy: { connection: legacyDb.url, table: 'be_users' },
  });
  brokenLegacyConfig = writeConfig('broken.yaml', {
    ...base,
    legacy: {
      connection: 'postgres://postgres@127.0.0.1:1/nothing',
      table: 'be_users',
      query_timeout_ms: 500,
    },
  });
});

afterAll(async () => {
  await running?.close();
  await store?.close();
  await storeDb?.drop();
  await legacyDb?.drop();
});

beforeEach(async () => {
  target.state.reset();
  await store.db('outbox').del();
  await store.db('account_identifiers').del();
  await store.db('accounts').del();
  await store.db('audit_events').del();
  secrets.length = 0;
});

async function seedMix() {
  await seed(1, 'delivered', { scheme: 'bcrypt' });
  await seed(2, 'delivered', { scheme: 'md5' });
  await seed(3, 'pending', { scheme: 'bcrypt' });
  await seed(4, 'failed', { lastError: 'legacy row 4: first_name is required (got null)' });
  await seed(5, 'dead', { lastError: 'gave up after 3 attempts: target answered 503' });
  await seed(6, 'conflict', { lastError: 'target answered 409 email_conflict' });
}

describe('migration status', () => {
  it('counts legacy users, migrated accounts, jobs by status and schemes as JSON', async () => {
    await seedMix();
    const r = await cli(['migration', 'status', '--json', '--config', legacyConfig]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      legacy_total: 8,
      migrated: 6,
      imported: 0,
      percent_migrated: 75,
      target: 'http',
      jobs: { pending: 1, delivered: 2, failed: 1, conflict: 1, dead: 1, skipped: 0 },
      password_changes_not_delivered: 0,
      imported_without_password_not_delivered: 0,
      readiness: expect.objectContaining({ legacy_total: 8 }),
      schemes: { bcrypt: 5, md5: 1 },
    });
  });

  it('prints a readable summary and points at the failed and dead jobs', async () => {
    await seedMix();
    const r = await cli(['migration', 'status', '--config', legacyConfig]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('legacy users:      8');
    expect(r.out).toContain('migrated:          75%');
    expect(r.out).toMatch(/failed: +1/);
    expect(r.out).toMatch(/bcrypt: +5/);
    expect(r.out).toContain('migration list --status failed');
    expectNoSecret(r.out);
  });

  it('still reports the store when the legacy database is unreachable', async () => {
    await seed(1, 'delivered');
    const r = await cli(['migration', 'status', '--config', brokenLegacyConfig]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/legacy users: +unavailable/);
    expect(r.out).toMatch(/delivered: +1/);
  });

  it('exits quietly when the reader of its output has gone (migration status | true)', async () => {
    await seedMix();
    // `true` exits at once, so every line the command writes meets a closed pipe (EPIPE).
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        'bash',
        [
          '-c',
          'set -o pipefail; "$0" "$1" migration status --config "$2" | true',
          process.execPath,
          BIN,
          plainConfig,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('says so when no legacy database is configured', async () => {
    const r = await cli(['migration', 'status', '--config', plainConfig]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('legacy users:      not configured');
  });
});

describe('migration list', () => {
  it('lists failed jobs with sub, legacy id, attempts and the last error, never the password form', async () => {
    await seedMix();
    const r = await cli(['migration', 'list', '--status', 'failed', '--config', plainConfig]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^id +sub +legacy_id +attempts +next_attempt +last_reason +last_error$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\d+ +4 +4 +3 +legacy row 4: first_name is required \(got null\)$/);
    expectNoSecret(r.out);
  });

  it('gives JSON without a secret field', async () => {
    await seedMix();
    const r = await cli(['migration', 'list', '--status', 'pending', '--json', '--config', plainConfig]);
    expect(r.code).toBe(0);
    const jobs = JSON.parse(r.out);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ sub: '3', legacy_id: '3', status: 'pending', attempts: 0 });
    expect(jobs[0]).not.toHaveProperty('secret');
    expectNoSecret(r.out);
  });

  it('says when there is nothing to list', async () => {
    const r = await cli(['migration', 'list', '--status', 'dead', '--config', plainConfig]);
    expect(r).toMatchObject({ code: 0, out: 'No dead jobs.' });
  });

  it('exits 2 for an unknown or missing status, naming the valid ones', async () => {
    const bad = await cli(['migration', 'list', '--status', 'stuck', '--config', plainConfig]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(
      '--status must be one of pending, delivered, failed, conflict, dead, skipped, got "stuck"',
    );
    const missing = await cli(['migration', 'list', '--config', plainConfig]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--status is required.');
    const limit = await cli([
      'migration',
      'list',
      '--status',
      'failed',
      '--limit',
      '0',
      '--config',
      plainConfig,
    ]);
    expect(limit.code).toBe(2);
  });
});

describe('migration retry', () => {
  it('re-queues failed jobs only, due now with a fresh attempt budget', async () => {
    await seedMix();
    const r = await cli(['migration', 'retry', '--config', plainConfig]);
    expect(r).toMatchObject({ code: 0, out: 'Re-queued 1 job.' });
    expect(await store.db('outbox').where({ sub: '4' }).first()).toMatchObject({
      status: 'pending',
      attempts: 0,
    });
    expect((await store.db('outbox').where({ sub: '5' }).first()).status).toBe('dead');
    const audit = await store.db('audit_events').where({ type: 'admin.delivery_retry' }).first();
    expect(audit).toMatchObject({ outcome: 'success', actor: 'cli' });
  });

  it('re-queues dead jobs too with --dead', async () => {
    await seedMix();
    const r = await cli(['migration', 'retry', '--dead', '--config', plainConfig]);
    expect(r).toMatchObject({ code: 0, out: 'Re-queued 2 jobs.' });
    expect(await store.db('outbox').where({ sub: '5' }).first()).toMatchObject({
      status: 'pending',
      attempts: 0,
    });
  });

  it('re-queues one job by id, and exits 1 naming the status of a job it cannot re-queue', async () => {
    await seedMix();
    const dead = (await store.db('outbox').where({ sub: '5' }).first()).id;
    const refused = await cli(['migration', 'retry', '--id', String(dead), '--config', plainConfig]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      `Job ${dead} is dead; only failed jobs are re-queued (add --dead for dead ones).`,
    );
    const done = await cli(['migration', 'retry', '--id', String(dead), '--dead', '--config', plainConfig]);
    expect(done).toMatchObject({ code: 0, out: 'Re-queued 1 job.' });
    expect((await cli(['migration', 'retry', '--id', '999999', '--config', plainConfig])).err).toBe(
      'No job 999999.',
    );
    expect((await cli(['migration', 'retry', '--id', 'abc', '--config', plainConfig])).code).toBe(2);
  });
});

describe('migration retry and the live legacy row', () => {
  const nameless = (id: number) => ({
    id,
    first_name: null,
    last_name: null,
    email: `u${id}@example.com`,
    created_at: '2020-02-02T02:02:02.000Z',
  });

  it('re-reads the legacy row fixed since the login, says so, and the target receives the fixed data', async () => {
    const legacy = knex({ client: 'pg', connection: legacyDb.url });
    try {
      if (!(await legacy.schema.hasColumn('be_users', 'created_at')))
        await legacy.schema.alterTable('be_users', (t) => {
          t.timestamp('created_at', { useTz: true }).defaultTo('2021-03-03T03:03:03Z');
        });
      await legacy('be_users').where({ id: 6 }).update({ first_name: 'Fixed', last_name: 'Later' });
    } finally {
      await legacy.destroy();
    }
    await seed(6, 'pending', { row: nameless(6) });
    await cli(['worker', '--once', '--config', plainConfig]);
    expect((await store.db('outbox').where({ sub: '6' }).first()).status).toBe('failed');

    const r = await cli(['migration', 'retry', '--config', legacyConfig]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Re-queued 1 job.');
    expect(r.out).toContain('1 with the live legacy row, read again now');
    expect((await cli(['worker', '--once', '--config', legacyConfig])).out).toBe('Processed 1 job.');
    expect((await store.db('outbox').where({ sub: '6' }).first()).status).toBe('delivered');
    expect(target.state.users.get('6')).toMatchObject({ first_name: 'Fixed', last_name: 'Later' });
    expect((await store.db('accounts').where({ sub: '6' }).first()).claims).toMatchObject({
      given_name: 'Fixed',
    });
  });

  it('keeps the copy taken at login when the legacy database is unreachable, and says so', async () => {
    await seed(7, 'failed', { row: nameless(7) });
    const r = await cli(['migration', 'retry', '--config', brokenLegacyConfig]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      '1 with the copy of the legacy row taken at login (the legacy database is unreachable)',
    );
    expect((await store.db('outbox').where({ sub: '7' }).first()).status).toBe('pending');
  });
});

describe('worker --once', () => {
  it('delivers the jobs due now and exits 0', async () => {
    await seed(11, 'pending');
    await seed(12, 'pending');
    await seed(13, 'failed');
    const r = await cli(['worker', '--once', '--config', plainConfig]);
    expect(r).toMatchObject({ code: 0, out: 'Processed 2 jobs.' });
    expect(target.state.users.size).toBe(2);
    expect((await store.db('outbox').where({ sub: '13' }).first()).status).toBe('failed');
  });

  it('delivers a failed example row once the configured defaults fill the missing fields and it is retried', async () => {
    const seedRow = {
      id: 28774,
      first_name: null,
      last_name: null,
      email: 'testuser-bal@example.com',
      created_at: null,
    };
    await seed(28774, 'pending', { row: seedRow });
    const first = await cli(['worker', '--once', '--config', plainConfig]);
    expect(first.code).toBe(0);
    const failed = await store.db('outbox').where({ sub: '28774' }).first();
    expect(failed.status).toBe('failed');
    expect(failed.last_error).toMatch(/^legacy row 28774: first_name is required/);

    const fixed = writeConfig('fixed.yaml', {
      database: storeDb.url,
      log_level: 'silent',
      target: {
        type: 'http',
        url: running.importUrl,
        defaults: { first_name: 'Unknown', last_name: 'Unknown', date_joined: 'now' },
      },
    });
    expect((await cli(['migration', 'retry', '--config', fixed])).out).toBe('Re-queued 1 job.');
    expect((await cli(['worker', '--once', '--config', fixed])).out).toBe('Processed 1 job.');
    expect(await store.db('outbox').where({ sub: '28774' }).first()).toMatchObject({
      status: 'delivered',
      secret: null,
    });
    expect(target.state.users.get('28774')).toMatchObject({ first_name: 'Unknown', last_name: 'Unknown' });
  });
});
