// Delivery workers as real, separate processes on one PostgreSQL store: two replicas never
// deliver one job twice, and a worker killed with SIGKILL in the middle of a delivery
// leaves a lease that expires, so the job is delivered after a restart, the user once.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { startDeliveryWorker } from '../../src/migration/worker.ts';
import { createServices } from '../../src/services.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import {
  createReferenceTarget,
  IMPORT_PATH,
  type ReferenceTarget,
} from '../../src/target/commerce-import/reference.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { seedDelivery } from '../support/outbox.ts';
import { waitFor } from '../support/wait.ts';
import { spawnWorker } from '../support/worker-process.ts';

async function seedJobs(db: Knex, ids: number[]): Promise<void> {
  const deps = createServices(parseConfig(childConfig()), { store, logger: silentLogger });
  for (const id of ids) {
    const row = {
      id,
      first_name: 'Mehmet',
      last_name: 'Demir',
      email: `p${id}@example.com`,
      gender: 'M',
      created_at: '2018-01-02T03:04:05.000Z',
    };
    await seedDelivery(db, deps, row, 'pw-of-a-process-test', {});
  }
}

let database: TestDatabase;
let store: Store;
let target: ReferenceTarget;
let server: Server;
let importUrl: string;
/** Import requests as they arrive, before the target answers. */
let arrivals = 0;
const children: Array<ReturnType<typeof spawnWorker>> = [];

function childConfig(worker: Record<string, unknown> = {}) {
  return {
    database: database.url,
    target: { type: 'http', url: importUrl, timeout_ms: 5000 },
    worker: { base_delay_ms: 10, max_delay_ms: 50, poll_interval_ms: 20, batch: 5, ...worker },
    shutdown_timeout_ms: 3000,
  };
}

function requestsFor(code: string, status?: number): number {
  return target.state.requests.filter(
    (r) =>
      (r.body as { customer_code?: string }).customer_code === code &&
      (status === undefined || r.status === status),
  ).length;
}

beforeAll(async () => {
  database = await createPgDatabase('workerproc');
  store = createStore({ database: database.url });
  await store.migrate();
  target = createReferenceTarget();
  const handle = target.app.callback();
  server = createServer((req, res) => {
    if (req.url === IMPORT_PATH) arrivals += 1;
    void handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  importUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${IMPORT_PATH}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await store?.close();
  await database?.drop();
});

beforeEach(async () => {
  target.state.reset();
  arrivals = 0;
  await store.db('outbox').del();
  await store.db('account_identifiers').del();
  await store.db('accounts').del();
});

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await c.exited;
  }
});

describe('delivery workers in separate processes', () => {
  it('never deliver one job twice when two processes share the store', async () => {
    const ids = Array.from({ length: 80 }, (_, i) => 8000 + i);
    await seedJobs(store.db, ids);
    target.state.setMode('slow', { delayMs: 10 });
    const a = spawnWorker(childConfig(), 5000);
    const b = spawnWorker(childConfig(), 5000);
    children.push(a, b);
    await Promise.all([a.ready, b.ready]);

    await waitFor(
      () => store.db('outbox').whereNot({ status: 'delivered' }).count({ n: '*' }).first(),
      (r) => Number(r?.n) === 0,
    );
    for (const id of ids) expect(requestsFor(String(id))).toBe(1);
    expect(target.state.requests).toHaveLength(80);
    expect(target.state.users.size).toBe(80);

    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  }, 60_000);

  it('deliver a job after its worker was killed mid-delivery, the user held once', async () => {
    await seedJobs(store.db, [8500]);
    // The target takes its time, so the request is in flight when the worker dies.
    target.state.setMode('slow', { delayMs: 1500 });
    const doomed = spawnWorker(childConfig(), 1500);
    children.push(doomed);
    await doomed.ready;
    await waitFor(
      async () => arrivals,
      (n) => n === 1,
    );
    await new Promise((r) => setTimeout(r, 200)); // the body is through
    doomed.child.kill('SIGKILL');
    await doomed.exited;

    const orphan = await store.db('outbox').where({ sub: '8500' }).first();
    expect(orphan).toMatchObject({ status: 'pending', attempts: 1 });
    expect(orphan.lease_token).not.toBeNull();
    expect(orphan.secret).not.toBeNull();

    target.state.setMode('normal');
    const restarted = startDeliveryWorker(
      createServices(parseConfig(childConfig()), {
        store,
        logger: silentLogger,
        metrics: createMetrics({ defaultMetrics: false }),
      }),
      { leaseMs: 1500 },
    );
    try {
      const done = await waitFor(
        () => store.db('outbox').where({ sub: '8500' }).first(),
        (r) => r.status === 'delivered',
      );
      expect(done).toMatchObject({ attempts: 2, secret: null, lease_token: null });
      // The killed worker's request reached the target too; already_exists made it harmless.
      await waitFor(
        async () => target.state.requests.length,
        (n) => n === 2,
      );
      expect(requestsFor('8500', 201)).toBe(1);
      expect(requestsFor('8500', 409)).toBe(1);
      expect(target.state.users.size).toBe(1);
      expect(arrivals).toBe(2);
    } finally {
      await restarted.stop();
    }
  }, 60_000);
});
