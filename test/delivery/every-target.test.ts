// The delivery guarantees, on every target the registry lists, each against its own test
// double over real HTTP and one real PostgreSQL store: an outage is survived, 200 jobs
// through a target failing every other request are delivered once each, two workers never
// deliver one job twice (in one process or in two), and a job survives its worker's SIGKILL.
import type { Knex } from 'knex';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { type DeliveryWorker, startDeliveryWorker } from '../../src/migration/worker.ts';
import { createServices } from '../../src/services.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { type ReferenceDouble, requestsFor } from '../../src/target/reference.ts';
import { referenceFor, referenceTypes } from '../../src/target/registry.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { clearDeliveries, seedDelivery } from '../support/outbox.ts';
import { registerSecret } from '../support/secrets.ts';
import { waitFor } from '../support/wait.ts';
import { spawnWorker } from '../support/worker-process.ts';

const PASSWORD = registerSecret('password', 'every-target-password-1');
const KEK = registerSecret('key', 'a-key-encryption-key-for-every-target');

describe.each(referenceTypes())('delivery to %s', (type) => {
  let database: TestDatabase;
  let store: Store;
  let double: ReferenceDouble;
  const workers: DeliveryWorker[] = [];
  const extraStores: Store[] = [];
  const children: Array<ReturnType<typeof spawnWorker>> = [];

  function rawConfig(worker: Record<string, unknown> = {}) {
    return {
      database: database.url,
      key_encryption_key: KEK,
      target: { ...double.targetConfig, timeout_ms: 5000 },
      worker: {
        base_delay_ms: 10,
        max_delay_ms: 50,
        poll_interval_ms: 20,
        batch: 10,
        max_attempts: 10,
        ...worker,
      },
      shutdown_timeout_ms: 3000,
    };
  }

  function worker(
    config: Config,
    options: Parameters<typeof startDeliveryWorker>[1] = { loop: false },
    on: Store = store,
    metrics: Metrics = createMetrics({ defaultMetrics: false }),
  ): DeliveryWorker {
    const w = startDeliveryWorker(
      createServices(config, { store: on, logger: silentLogger, metrics }),
      options,
    );
    workers.push(w);
    return w;
  }

  async function seedJobs(db: Knex, ids: number[]): Promise<void> {
    const deps = createServices(parseConfig(rawConfig()), { store, logger: silentLogger });
    for (const id of ids) {
      const row = {
        id,
        first_name: 'Mehmet',
        last_name: 'Demir',
        username: `user${id}`,
        email: `p${id}@example.com`,
        gender: 'M',
        created_at: '2018-01-02T03:04:05.000Z',
      };
      await seedDelivery(db, deps, row, PASSWORD);
    }
  }

  const undelivered = () => store.db('outbox').whereNot({ status: 'delivered' }).count({ n: '*' }).first();
  const job = (sub: string) => store.db('outbox').where({ sub }).first();

  beforeAll(async () => {
    database = await createPgDatabase('every');
    store = createStore({ database: database.url });
    await store.migrate();
    double = await (await referenceFor(type))();
    for (const v of Object.values(double.targetConfig))
      if (typeof v === 'string' && v.length >= 20) registerSecret('token', v);
  });

  afterAll(async () => {
    await double?.close();
    await store?.close();
    await database?.drop();
  });

  beforeEach(async () => {
    double.reset();
    await clearDeliveries(store.db);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await Promise.all(extraStores.splice(0).map((s) => s.close()));
    for (const c of children.splice(0)) {
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      await c.exited;
    }
  });

  it('retries with back-off while the target is down, then delivers once it is back', async () => {
    const w = worker(parseConfig(rawConfig({ base_delay_ms: 300, max_delay_ms: 300 })));
    expect(await w.runOnce()).toBe(0); // a running worker: it has read what the target says of itself
    await seedJobs(store.db, [1002]);
    double.setMode('down');
    expect(await w.runOnce()).toBe(1);

    const retried = await job('1002');
    expect(retried).toMatchObject({ status: 'pending', attempts: 1, last_reason: 'retry' });
    expect(retried.secret).not.toBeNull();
    expect(retried.last_error).toContain('503');
    expect(retried.next_attempt_at.getTime()).toBeGreaterThan(retried.last_attempt_at.getTime());

    double.setMode('normal');
    const delivered = await waitFor(
      async () => {
        await w.runOnce();
        return job('1002');
      },
      (r) => r.status === 'delivered',
    );
    expect(delivered).toMatchObject({ attempts: 2, secret: null, row_data: null });
    expect(requestsFor(double, '1002', 'fault')).toBe(1);
    expect(requestsFor(double, '1002', 'created')).toBe(1);
  });

  it('delivers 200 jobs each exactly once through a target failing every other request', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => 2000 + i);
    await seedJobs(store.db, ids);
    double.setMode('flaky');
    worker(parseConfig(rawConfig({ batch: 20, max_delay_ms: 40, max_attempts: 40 })), {});

    await waitFor(undelivered, (r) => Number(r?.n) === 0, 60_000);
    expect(double.users().size).toBe(200);
    for (const id of ids) expect(requestsFor(double, String(id), 'created')).toBe(1);
    expect(double.requests.filter((r) => r.outcome === 'duplicate')).toHaveLength(0);
    expect(double.requests.filter((r) => r.status === 500).length).toBeGreaterThan(0);
  }, 120_000);

  it('never delivers one job twice when two workers with their own pools share the store', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => 3000 + i);
    await seedJobs(store.db, ids);
    // A little latency keeps both workers busy at once.
    double.setMode('slow', { delayMs: 15 });
    const config = parseConfig(rawConfig({ max_delay_ms: 40, batch: 5 }));
    const a = createStore({ database: database.url });
    const b = createStore({ database: database.url });
    extraStores.push(a, b);
    const [ma, mb] = [createMetrics({ defaultMetrics: false }), createMetrics({ defaultMetrics: false })];
    worker(config, {}, a, ma);
    worker(config, {}, b, mb);

    await waitFor(undelivered, (r) => Number(r?.n) === 0, 60_000);
    for (const id of ids) expect(requestsFor(double, String(id))).toBe(1);
    expect(double.requests).toHaveLength(120);
    const attempts = await store.db('outbox').max({ m: 'attempts' }).first();
    expect(Number(attempts?.m)).toBe(1);
    const delivered = async (m: Metrics) =>
      (await m.deliveries.get()).values.find((v) => v.labels.outcome === 'delivered')?.value ?? 0;
    expect(await delivered(ma)).toBeGreaterThan(0);
    expect(await delivered(mb)).toBeGreaterThan(0);
    expect((await delivered(ma)) + (await delivered(mb))).toBe(120);
  }, 120_000);

  it('never delivers one job twice when two processes share the store', async () => {
    const ids = Array.from({ length: 80 }, (_, i) => 8000 + i);
    await seedJobs(store.db, ids);
    double.setMode('slow', { delayMs: 10 });
    const a = spawnWorker(rawConfig({ batch: 5 }), 5000);
    const b = spawnWorker(rawConfig({ batch: 5 }), 5000);
    children.push(a, b);
    await Promise.all([a.ready, b.ready]);

    await waitFor(undelivered, (r) => Number(r?.n) === 0, 60_000);
    for (const id of ids) expect(requestsFor(double, String(id))).toBe(1);
    expect(double.requests).toHaveLength(80);
    expect(double.users().size).toBe(80);

    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  }, 90_000);

  it('delivers a job after its worker was killed mid-delivery, the user held once', async () => {
    await seedJobs(store.db, [8500]);
    // The target takes its time, so the request is in flight when the worker dies.
    double.setMode('slow', { delayMs: 1500 });
    const doomed = spawnWorker(rawConfig(), 1500);
    children.push(doomed);
    await doomed.ready;
    await waitFor(
      () => job('8500'),
      (r) => r.attempts === 1,
    );
    await new Promise((r) => setTimeout(r, 400)); // the request is through, its answer not
    doomed.child.kill('SIGKILL');
    await doomed.exited;

    const orphan = await job('8500');
    expect(orphan).toMatchObject({ status: 'pending', attempts: 1 });
    expect(orphan.lease_token).not.toBeNull();
    expect(orphan.secret).not.toBeNull();

    double.setMode('normal');
    worker(parseConfig(rawConfig()), { leaseMs: 1500 });
    const done = await waitFor(
      () => job('8500'),
      (r) => r.status === 'delivered',
      30_000,
    );
    expect(done).toMatchObject({ attempts: 2, secret: null, lease_token: null });
    // The killed worker's request reached the target too; the duplicate answer made it harmless.
    await waitFor(
      async () => requestsFor(double, '8500'),
      (n) => n === 2,
    );
    expect(requestsFor(double, '8500', 'created')).toBe(1);
    expect(requestsFor(double, '8500', 'duplicate')).toBe(1);
    // Both attempts carried the job's one idempotency key.
    const keys = double.requests.filter((r) => r.legacyId === '8500').map((r) => r.idempotencyKey);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(double.users().size).toBe(1);
    expect(double.creates.get('8500')).toBe(1);
  }, 90_000);
});
