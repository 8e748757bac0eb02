// The delivery worker against real PostgreSQL and the commerce platform's reference import
// API over real HTTP: delivery and erasure of the password form, validation failures fixed
// by configuration, conflicts, dead letters, shutdown and LISTEN. The guarantees every target
// shares (outages, flaky targets, competing workers, SIGKILL) are in test/delivery/.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { Knex } from 'knex';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrationCommands } from '../../src/cli/commands/migration.ts';
import { type Io, runCli } from '../../src/cli/framework.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { createDeliveryQueries } from '../../src/migration/delivery-queries.ts';
import {
  backoffDelay,
  type DeliveryWorker,
  LISTEN_APPLICATION_NAME,
  startDeliveryWorker,
} from '../../src/migration/worker.ts';
import { createServices } from '../../src/services.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { buildUser } from '../../src/target/commerce-import/mapping.ts';
import { parsePassword } from '../../src/target/commerce-import/password.ts';
import {
  createReferenceTarget,
  type ReferenceTarget,
  type RunningTarget,
} from '../../src/target/commerce-import/reference.ts';
import { NO_PASSWORD_FORM } from '../../src/target/commerce-import/sink.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { EXAMPLE_ROW } from '../support/example-row.ts';
import { seedDelivery } from '../support/outbox.ts';
import { captureLogLine, registerSecret } from '../support/secrets.ts';
import { waitFor } from '../support/wait.ts';

const PASSWORD = registerSecret('password', 'correct horse 42');

/** Every worker log line, kept for the leak checks here and in the run's global log scan. */
const logLines: string[] = [];
const logger = createLogger({
  level: 'debug',
  destination: new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        logLines.push(line);
        captureLogLine(line);
      }
      done();
    },
  }),
});

function legacyRow(id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    first_name: 'Ayşe',
    last_name: 'Yılmaz',
    username: `user${id}`,
    email: `user${id}@example.com`,
    password: '$2y$10$abcdefghijklmnopqrstuv',
    gender: 'F',
    birthday: '1990-05-17',
    accept_notifications: 1,
    created_at: '2019-03-04T05:06:07.000Z',
    ...overrides,
  };
}

/** What a first login writes: the account and its delivery job, in one transaction. */
async function seedJob(db: Knex, row: Record<string, unknown>): Promise<{ sub: string; secret: string }> {
  const { sub, secret } = await seedDelivery(
    db,
    createServices(configFor(), { store, logger }),
    row,
    PASSWORD,
  );
  registerSecret('hash', secret!);
  registerSecret('hash', parsePassword(secret!)!.hash);
  return { sub, secret: secret! };
}

async function job(db: Knex, sub: string) {
  return db('outbox').where({ sub }).first();
}

/** One worker pass, then the job's row: for waiting on a worker without a loop. */
async function passThenRead(w: DeliveryWorker, sub: string) {
  await w.runOnce();
  return job(store.db, sub);
}

/** Requests the target answered, per customer_code and status. */
function requestsFor(target: ReferenceTarget, code: string, status?: number): number {
  return target.state.requests.filter(
    (r) =>
      (r.body as { customer_code?: string }).customer_code === code &&
      (status === undefined || r.status === status),
  ).length;
}

let database: TestDatabase;
let store: Store;
let target: ReferenceTarget;
let running: RunningTarget;
let metrics: Metrics;
const workers: DeliveryWorker[] = [];
const extraStores: Store[] = [];

function configFor(
  overrides: Record<string, unknown> = {},
  targetOverrides: Record<string, unknown> = {},
): Config {
  return parseConfig({
    database: database.url,
    target: { type: 'http', url: running.importUrl, timeout_ms: 2000, ...targetOverrides },
    worker: { base_delay_ms: 10, max_delay_ms: 50, poll_interval_ms: 20, batch: 10, max_attempts: 10 },
    shutdown_timeout_ms: 3000,
    ...overrides,
  });
}

function worker(
  config: Config = configFor(),
  options: Parameters<typeof startDeliveryWorker>[1] = { loop: false },
  on: Store = store,
  m: Metrics = metrics,
): DeliveryWorker {
  const w = startDeliveryWorker(createServices(config, { store: on, logger, metrics: m }), options);
  workers.push(w);
  return w;
}

beforeAll(async () => {
  database = await createPgDatabase('worker');
  store = createStore({ database: database.url });
  await store.migrate();
  target = createReferenceTarget();
  running = await target.listen();
});

afterAll(async () => {
  await running?.close();
  await store?.close();
  await database?.drop();
});

beforeEach(async () => {
  target.state.reset();
  metrics = createMetrics({ defaultMetrics: false });
  await store.db('outbox').del();
  await store.db('account_identifiers').del();
  await store.db('accounts').del();
  await store.db('audit_events').del();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await Promise.all(extraStores.splice(0).map((s) => s.close()));
});

describe('delivery worker', () => {
  it('delivers a pending job, erases its password form, and the target holds the user once', async () => {
    const { sub, secret } = await seedJob(store.db, legacyRow(1001));
    expect(await worker().runOnce()).toBe(1);

    const row = await job(store.db, sub);
    expect(row).toMatchObject({ status: 'delivered', secret: null, attempts: 1, last_reason: 'delivered' });
    expect(row.delivered_at).toBeInstanceOf(Date);
    expect(row.locked_until).toBeNull();
    expect(target.state.users.size).toBe(1);
    const user = target.state.users.get('1001')!;
    expect(user).toMatchObject({ first_name: 'Ayşe', email: 'user1001@example.com', password: secret });
    expect(requestsFor(target, '1001')).toBe(1);
    const audit = await store.db('audit_events').where({ type: 'delivery', sub });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 'success', reason: 'delivered' });
    expect((await metrics.deliveries.get()).values).toContainEqual(
      expect.objectContaining({ labels: { outcome: 'delivered' }, value: 1 }),
    );
  });

  it('fails a job whose payload breaks the user-import format, naming the field and the legacy row, and sends nothing', async () => {
    const { sub } = await seedJob(store.db, EXAMPLE_ROW);
    expect(await worker().runOnce()).toBe(1);

    const row = await job(store.db, sub);
    expect(row).toMatchObject({ status: 'failed', last_reason: 'invalid', attempts: 1 });
    expect(row.last_error).toMatch(/^legacy row 28774: first_name is required/);
    expect(row.last_error).toContain('last_name');
    expect(row.secret).not.toBeNull(); // kept for the retry after the mapping is fixed
    expect(target.state.requests).toHaveLength(0);
    expect(await worker().runOnce()).toBe(0); // not retried on its own
  });

  it('delivers the failed example row after defaults are configured and the job is re-queued', async () => {
    const { sub, secret } = await seedJob(store.db, EXAMPLE_ROW);
    await worker().runOnce();
    expect((await job(store.db, sub)).status).toBe('failed');

    expect(await createDeliveryQueries(store.db).requeue(['failed'])).toHaveLength(1);
    const fixed = configFor(
      {},
      { defaults: { first_name: 'Unknown', last_name: 'Unknown', date_joined: '2020-01-01T00:00:00Z' } },
    );
    expect(await worker(fixed).runOnce()).toBe(1);

    expect(await job(store.db, sub)).toMatchObject({ status: 'delivered', secret: null, attempts: 1 });
    expect(target.state.users.get('28774')).toMatchObject({
      first_name: 'Unknown',
      email: 'testuser-bal@example.com',
      date_joined: '2020-01-01T00:00:00Z',
      password: secret,
    });
  });

  it('records an e-mail conflict, erases the password form and does not retry it', async () => {
    await seedJob(store.db, legacyRow(4001));
    const { sub } = await seedJob(store.db, legacyRow(4002, { email: 'user4001@example.com' }));
    const w = worker();
    expect(await w.runOnce()).toBe(2);

    expect(await job(store.db, sub)).toMatchObject({
      status: 'conflict',
      secret: null,
      attempts: 1,
      last_reason: 'email_conflict',
    });
    expect((await job(store.db, sub)).last_error).toContain('email_conflict');
    expect(await w.runOnce()).toBe(0);
    expect(requestsFor(target, '4002')).toBe(1);
    const audit = await store.db('audit_events').where({ type: 'delivery', sub }).first();
    expect(audit).toMatchObject({ outcome: 'failure', reason: 'email_conflict' });
  });

  it('counts a user the target already holds as delivered', async () => {
    const row = legacyRow(4101);
    const { sub } = await seedJob(store.db, row);
    const earlier = buildUser(
      row,
      { legacyId: '4101' },
      { kind: 'plain', password: 'another', algorithm: 'sha256' },
    );
    const res = await fetch(running.importUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(earlier),
    });
    expect(res.status).toBe(201);

    await worker().runOnce();
    expect(await job(store.db, sub)).toMatchObject({
      status: 'delivered',
      secret: null,
      last_reason: 'already_exists',
    });
    expect(requestsFor(target, '4101', 409)).toBe(1);
  });

  it('gives up after max_attempts: the job is dead and its password form erased', async () => {
    const { sub } = await seedJob(store.db, legacyRow(5001));
    target.state.setMode('down');
    const w = worker(
      configFor({ worker: { base_delay_ms: 1, max_delay_ms: 5, poll_interval_ms: 20, max_attempts: 3 } }),
    );
    const dead = await waitFor(
      () => passThenRead(w, sub),
      (r) => r.status === 'dead',
    );
    expect(dead).toMatchObject({ attempts: 3, secret: null, last_reason: 'dead' });
    expect(dead.last_error).toMatch(/^gave up after 3 attempts: target answered 503/);
    expect(requestsFor(target, '5001')).toBe(3);
    expect(await w.runOnce()).toBe(0);
    const reasons = (await store.db('audit_events').where({ type: 'delivery', sub }).orderBy('id')).map(
      (a) => a.reason,
    );
    expect(reasons).toEqual(['retry', 'retry', 'dead']);
    expect((await metrics.deliveryAttempts.get()).values).toContainEqual(
      expect.objectContaining({ metricName: 'oidc_bridge_delivery_attempts_sum', value: 3 }),
    );
  });

  it('delivers a dead job re-queued with `migration retry --dead` once its user logs in again, with the row it had', async () => {
    const { sub } = await seedJob(store.db, legacyRow(5101));
    target.state.setMode('down');
    const w = worker(
      configFor({ worker: { base_delay_ms: 1, max_delay_ms: 2, poll_interval_ms: 20, max_attempts: 2 } }),
    );
    const dead = await waitFor(
      () => passThenRead(w, sub),
      (r) => r.status === 'dead',
    );
    // The password form goes with the last attempt; the sealed row copy stays for a retry.
    expect(dead).toMatchObject({ secret: null, last_reason: 'dead' });
    expect(dead.row_data).not.toBeNull();
    target.state.setMode('normal');

    const file = join(mkdtempSync(join(tmpdir(), 'obt-worker-')), 'bridge.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        database: database.url,
        log_level: 'silent',
        target: { type: 'http', url: running.importUrl },
      }),
    );
    const out: string[] = [];
    const io: Io = {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      stdin: Readable.from([]),
      isTTY: false,
      env: { LOG_LEVEL: 'silent' },
    };
    expect(await runCli(migrationCommands, ['migration', 'retry', '--dead', '--config', file], io)).toBe(0);
    expect(out).toEqual(['Re-queued 1 job.']);

    // Without a password form it waits for the user, sending nothing.
    await worker().runOnce();
    expect(await job(store.db, sub)).toMatchObject({ status: 'failed', last_reason: 'no_password_form' });
    // The user's next login gives the job a fresh form, as the login does.
    const services = createServices(configFor(), { store, logger });
    const form = await services.target.passwordForm(PASSWORD);
    expect(await createAccounts(store.db).recordLogin(sub, services.box.seal(form!))).toBe(true);
    await worker().runOnce();

    expect(await job(store.db, sub)).toMatchObject({ status: 'delivered', secret: null, row_data: null });
    expect(target.state.users.get('5101')).toMatchObject({
      first_name: 'Ayşe',
      last_name: 'Yılmaz',
      email: 'user5101@example.com',
      password: form,
    });
  });

  it('erases the row copy of a dead job when it is given up', async () => {
    const { sub } = await seedJob(store.db, legacyRow(5201));
    target.state.setMode('down');
    const w = worker(
      configFor({ worker: { base_delay_ms: 1, max_delay_ms: 2, poll_interval_ms: 20, max_attempts: 1 } }),
    );
    const dead = await waitFor(
      () => passThenRead(w, sub),
      (r) => r.status === 'dead',
    );
    const ids = await createDeliveryQueries(store.db).deadLetter();
    expect(ids).toEqual([dead.id]);
    expect(await job(store.db, sub)).toMatchObject({ status: 'dead', secret: null, row_data: null });
    expect(await createDeliveryQueries(store.db).deadLetter()).toEqual([]);
  });

  it('leaves no password form anywhere in the store once jobs are delivered, conflicted or dead', async () => {
    const secrets: string[] = [];
    for (const id of [6001, 6002]) secrets.push((await seedJob(store.db, legacyRow(id))).secret);
    secrets.push((await seedJob(store.db, legacyRow(6003, { email: 'user6001@example.com' }))).secret);
    await worker().runOnce();
    target.state.setMode('down');
    secrets.push((await seedJob(store.db, legacyRow(6004))).secret);
    const w = worker(
      configFor({ worker: { base_delay_ms: 1, max_delay_ms: 2, poll_interval_ms: 20, max_attempts: 2 } }),
    );
    await waitFor(
      () => passThenRead(w, '6004'),
      (r) => r.status === 'dead',
    );

    const hashes = secrets.map((s) => parsePassword(s)!.hash);
    for (const tableName of ['outbox', 'audit_events', 'accounts']) {
      const columns = await store
        .db('information_schema.columns')
        .where({ table_name: tableName, table_schema: 'public' })
        .whereIn('data_type', ['text', 'character varying', 'jsonb', 'json'])
        .pluck('column_name');
      const rows = await store
        .db(tableName)
        .select(columns.map((c: string) => store.db.raw('??::text as ??', [c, c])));
      const dump = JSON.stringify(rows);
      for (const h of hashes) expect(dump).not.toContain(h);
    }
  });

  it('writes no password form to its log, whatever the outcome', async () => {
    logLines.length = 0;
    const secrets = [
      (await seedJob(store.db, legacyRow(6101))).secret,
      (await seedJob(store.db, legacyRow(6102, { email: 'user6101@example.com' }))).secret,
      (await seedJob(store.db, EXAMPLE_ROW)).secret,
    ];
    await worker().runOnce();
    target.state.setMode('down');
    secrets.push((await seedJob(store.db, legacyRow(6103))).secret);
    await worker(configFor({ worker: { max_attempts: 1 } })).runOnce();

    const text = logLines.join('\n');
    expect(text).toContain('"msg":"delivered"');
    expect(text).toContain('"msg":"delivery ended without success"');
    for (const s of secrets) {
      expect(text).not.toContain(s);
      expect(text).not.toContain(parsePassword(s)!.hash);
    }
    expect(text).not.toContain(PASSWORD);
  });

  it('honours Retry-After on 429 without spending an attempt', async () => {
    const { sub } = await seedJob(store.db, legacyRow(7001));
    target.state.setMode('ratelimit', { retryAfterSeconds: 1, count: 1 });
    const w = worker();
    await w.runOnce();

    const waiting = await job(store.db, sub);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0, last_reason: 'retry' });
    expect(waiting.last_error).toContain('429');
    expect(waiting.next_attempt_at.getTime() - waiting.last_attempt_at.getTime()).toBeGreaterThanOrEqual(990);
    expect(await w.runOnce()).toBe(0); // not due yet

    const delivered = await waitFor(
      () => passThenRead(w, sub),
      (r) => r.status === 'delivered',
    );
    expect(delivered.attempts).toBe(1);
  });

  it('fails a job the target rejects with another 4xx, keeping it for an operator', async () => {
    const guarded = createReferenceTarget({ token: 'the-right-token-123' });
    const g = await guarded.listen();
    try {
      const { sub } = await seedJob(store.db, legacyRow(7101));
      const config = configFor(
        {},
        { url: g.importUrl, headers: { Authorization: 'Bearer the-wrong-token-45' } },
      );
      const w = worker(config);
      await w.runOnce();
      const row = await job(store.db, sub);
      expect(row).toMatchObject({ status: 'failed', last_reason: 'rejected', attempts: 1 });
      expect(row.last_error).toBe('target answered 401 unauthorized');
      expect(row.secret).not.toBeNull();
      expect(await w.runOnce()).toBe(0);
    } finally {
      await g.close();
    }
  });

  it('retries after a timeout and after a refused connection', async () => {
    const { sub } = await seedJob(store.db, legacyRow(7201));
    target.state.setMode('slow', { delayMs: 600 });
    await worker(configFor({}, { timeout_ms: 100 })).runOnce();
    const timedOut = await job(store.db, sub);
    expect(timedOut).toMatchObject({ status: 'pending', attempts: 1 });
    expect(timedOut.last_error).toBe('no answer within 100 ms');

    // A port nobody listens on.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await store.db('outbox').where({ sub }).update({ next_attempt_at: store.db.fn.now() });
    await worker(configFor({}, { url: `http://127.0.0.1:${port}/api/users/import` })).runOnce();
    const refused = await job(store.db, sub);
    expect(refused).toMatchObject({ status: 'pending', attempts: 2 });
    expect(refused.last_error).toBe('cannot reach the target: ECONNREFUSED');
  });

  it('fails a re-queued job whose password form was erased, saying why', async () => {
    const { sub } = await seedJob(store.db, legacyRow(7301));
    await store.db('outbox').where({ sub }).update({ secret: null });
    await worker().runOnce();
    expect(await job(store.db, sub)).toMatchObject({
      status: 'failed',
      last_reason: 'no_password_form',
      last_error: NO_PASSWORD_FORM,
    });
    expect(target.state.requests).toHaveLength(0);
  });

  it('wakes at once when a job is enqueued on PostgreSQL, long before the next poll', async () => {
    worker(configFor({ worker: { poll_interval_ms: 60_000 } }), {});
    await new Promise((r) => setTimeout(r, 300)); // LISTEN connected, first poll done
    const started = Date.now();
    const { sub } = await seedJob(store.db, legacyRow(7401));
    await waitFor(
      () => job(store.db, sub),
      (r) => r.status === 'delivered',
      5000,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reconnects its LISTEN connection after the database drops it, and wakes on the next job', async () => {
    worker(configFor({ worker: { poll_interval_ms: 60_000 } }), {});
    const listeners = () =>
      store
        .db('pg_stat_activity')
        .where({ application_name: LISTEN_APPLICATION_NAME, datname: database.name })
        .pluck('pid');
    const [first] = await waitFor(listeners, (pids) => pids.length === 1, 5000);
    await store.db.raw('SELECT pg_terminate_backend(?)', [first]);
    await waitFor(listeners, (pids) => pids.length === 1 && pids[0] !== first, 5000);

    const started = Date.now();
    const { sub } = await seedJob(store.db, legacyRow(7451));
    await waitFor(
      () => job(store.db, sub),
      (r) => r.status === 'delivered',
      5000,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('finishes the delivery in flight before stop() resolves', async () => {
    const { sub } = await seedJob(store.db, legacyRow(7501));
    target.state.setMode('slow', { delayMs: 400 });
    const w = worker(configFor(), {});
    await waitFor(
      () => job(store.db, sub),
      (r) => r.attempts === 1,
      5000,
    );
    await w.stop();
    expect(await job(store.db, sub)).toMatchObject({ status: 'delivered', secret: null });
  });

  it('interrupts a delivery that outlasts the drain timeout and releases the job at once', async () => {
    const { sub } = await seedJob(store.db, legacyRow(7601));
    target.state.setMode('slow', { delayMs: 3000 });
    const w = worker(configFor(), { drainTimeoutMs: 200 });
    await waitFor(
      () => job(store.db, sub),
      (r) => r.attempts === 1,
      5000,
    );
    await w.stop();
    const released = await job(store.db, sub);
    expect(released).toMatchObject({ status: 'pending', attempts: 0, locked_until: null });
    expect(released.secret).not.toBeNull();
  });

  it('updates the outbox jobs gauge by status', async () => {
    await seedJob(store.db, legacyRow(7701));
    await seedJob(store.db, EXAMPLE_ROW);
    const w = worker(configFor(), {});
    await waitFor(
      async () => (await metrics.outboxJobs.get()).values,
      (v) =>
        v.some((m) => m.labels.status === 'delivered' && m.value === 1) &&
        v.some((m) => m.labels.status === 'failed' && m.value === 1),
      5000,
    );
    await w.stop();
  });

  it('delivers from the embedded PGlite store by polling', async () => {
    const embedded = createStore({ memory: true });
    extraStores.push(embedded);
    await embedded.migrate();
    const { sub } = await seedJob(embedded.db, legacyRow(7801));
    const config = parseConfig({
      target: { type: 'http', url: running.importUrl },
      worker: { poll_interval_ms: 20 },
    });
    worker(config, {}, embedded);
    await waitFor(
      () => job(embedded.db, sub),
      (r) => r.status === 'delivered',
      5000,
    );
    expect(target.state.users.has('7801')).toBe(true);
  });

  it('claims nothing when the target type is none', async () => {
    await seedJob(store.db, legacyRow(7901));
    expect(await worker(parseConfig({ database: database.url })).runOnce()).toBe(0);
    expect((await job(store.db, '7901')).status).toBe('pending');
  });
});

describe('backoffDelay', () => {
  const cfg = { base_delay_ms: 100, max_delay_ms: 1000 };

  it('stays below base · 2^(attempt-1), capped at max_delay_ms', () => {
    expect(backoffDelay(1, cfg, () => 0.999)).toBe(99);
    expect(backoffDelay(3, cfg, () => 0.999)).toBe(399);
    expect(backoffDelay(10, cfg, () => 0.999)).toBe(999);
    expect(backoffDelay(500, cfg, () => 0.999)).toBe(999);
  });

  it('spreads delays over the whole range (full jitter)', () => {
    expect(backoffDelay(4, cfg, () => 0)).toBe(0);
    expect(backoffDelay(4, cfg, () => 0.5)).toBe(400);
  });
});
