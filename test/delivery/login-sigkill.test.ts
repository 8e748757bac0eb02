// A redelivery after SIGKILL, from a real first login: on every target the registry lists,
// a legacy user logs in through the bridge's HTTP login flow (real MariaDB legacy table,
// PostgreSQL store), the delivery worker in a process of its own takes the job to a slow
// target and is killed with SIGKILL while the request is in flight; a worker started again
// delivers the job, both requests carry the same Idempotency-Key, and the target holds the
// user once.
import { createHash } from 'node:crypto';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReferenceDouble, requestsFor } from '../../src/target/reference.ts';
import { referenceFor, referenceTypes } from '../../src/target/registry.ts';
import { loadBeUsers } from '../legacy/support.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { createMariaDatabase, createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { beginLogin, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';
import { waitFor } from '../support/wait.ts';
import { spawnWorker } from '../support/worker-process.ts';

const PASSWORD = registerSecret('password', 'sigkill-login-password-1');
const KEK = registerSecret('key', 'a-key-encryption-key-for-the-sigkill-test');
const SECRET = registerSecret('client_secret', 'sigkill-login-client-secret');
const LEGACY_ID = '70001';

let legacyDb: TestDatabase;

beforeAll(async () => {
  legacyDb = await createMariaDatabase('sigkill');
  const md5 = createHash('md5').update(PASSWORD).digest('hex');
  await loadBeUsers(
    legacyDb.url,
    `INSERT INTO be_users (id, first_name, last_name, username, email, password, gender, is_logged, created_at) VALUES (${LEGACY_ID}, 'Deniz', 'Aydin', 'deniz', 'deniz@example.com', '${md5}', 'M', 0, '2020-01-02 03:04:05')`,
  );
}, 60_000);

afterAll(async () => {
  await legacyDb?.drop();
});

describe.each(referenceTypes())('a first login delivered to %s', (type) => {
  let storeDb: TestDatabase;
  let double: ReferenceDouble;
  let t: TestBridge;
  let rp: oidc.Configuration;
  const children: Array<ReturnType<typeof spawnWorker>> = [];

  const target = () => ({ ...double.targetConfig, timeout_ms: 5000 });
  const workerConfig = () => ({
    database: storeDb.url,
    key_encryption_key: KEK,
    target: target(),
    worker: { base_delay_ms: 10, max_delay_ms: 50, poll_interval_ms: 20, batch: 10, max_attempts: 10 },
    shutdown_timeout_ms: 3000,
  });

  beforeAll(async () => {
    storeDb = await createPgDatabase('sigkill');
    double = await (await referenceFor(type))();
    for (const v of Object.values(double.targetConfig))
      if (typeof v === 'string' && v.length >= 20) registerSecret('token', v);
    // The bridge serves the login and runs no worker: the worker is a process of its own.
    t = await startTestBridge(
      {
        legacy: { connection: legacyDb.url, table: 'be_users' },
        target: target(),
        key_encryption_key: KEK,
      },
      { database: storeDb },
    );
    await t.addClient({ id: 'shop', redirectUris: [REDIRECT_URI], secret: SECRET, firstParty: true });
    rp = await relyingParty(t.url, 'shop', SECRET);
  }, 60_000);

  afterAll(async () => {
    for (const c of children) {
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      await c.exited;
    }
    await t?.close();
    await double?.close();
    await storeDb?.drop();
  });

  const job = () => t.bridge.store.db('outbox').where({ sub: LEGACY_ID, kind: 'deliver' }).first();

  it('is delivered again with the same Idempotency-Key after its worker is killed mid-request, and the target keeps one user', async () => {
    const run = await beginLogin(rp);
    const page = await submitLogin(run, 'deniz', PASSWORD);
    expect(page.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(await job()).toMatchObject({ status: 'pending', attempts: 0 });

    // The target takes its time, so the request is in flight when the worker dies.
    double.setMode('slow', { delayMs: 1500 });
    const doomed = spawnWorker(workerConfig(), 1500);
    children.push(doomed);
    await doomed.ready;
    await waitFor(job, (r) => r.attempts === 1, 20_000);
    await new Promise((r) => setTimeout(r, 400)); // the request is through, its answer not
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    expect(await job()).toMatchObject({ status: 'pending', attempts: 1 });

    // The killed worker's request still reaches the target, and creates the user.
    await waitFor(
      async () => requestsFor(double, LEGACY_ID),
      (n) => n === 1,
      10_000,
    );
    double.setMode('normal');
    const again = spawnWorker(workerConfig(), 1500);
    children.push(again);
    await again.ready;
    const done = await waitFor(job, (r) => r.status === 'delivered', 30_000);
    expect(done).toMatchObject({ attempts: 2, secret: null });

    const requests = double.requests.filter((r) => r.legacyId === LEGACY_ID);
    expect(requests).toHaveLength(2);
    expect(requests[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(requests[1]!.idempotencyKey).toBe(requests[0]!.idempotencyKey);
    expect(requests[0]!.idempotencyKey).toBe(done.idempotency_key);
    expect(requestsFor(double, LEGACY_ID, 'created')).toBe(1);
    expect(requestsFor(double, LEGACY_ID, 'duplicate')).toBe(1);
    expect(double.users().size).toBe(1);
    expect(double.creates.get(LEGACY_ID)).toBe(1);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 90_000);
});
