// With a key encryption key set, the target password form waiting in the outbox is sealed
// at rest (AES-256-GCM), and the worker still delivers a form the target accepts.
import bcrypt from 'bcrypt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.ts';
import { startDeliveryWorker } from '../../src/migration/worker.ts';
import { createReferenceTarget, type RunningTarget } from '../../src/target/commerce-import/reference.ts';
import { loadBeUsers } from '../legacy/support.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { createMariaDatabase, type TestDatabase } from '../support/databases.ts';
import { exchange, loginThroughBrowser, REDIRECT_URI, relyingParty } from '../support/rp.ts';

const PASSWORD = 'sealed-outbox-pw-1';
let legacyDb: TestDatabase;
let running: RunningTarget;
let t: TestBridge;

beforeAll(async () => {
  legacyDb = await createMariaDatabase();
  const hash = (await bcrypt.hash(PASSWORD, 4)).replace('$2b$', '$2y$');
  await loadBeUsers(
    legacyDb.url,
    `INSERT INTO be_users (id, first_name, last_name, username, email, password, gender, is_logged, created_at) VALUES (50001, 'Seal', 'Ed', 'sealed', 'sealed@example.com', '${hash}', 'M', 0, '2021-01-01 00:00:00')`,
  );
  running = await createReferenceTarget().listen(0, '127.0.0.1');
  t = await startTestBridge({
    key_encryption_key: 'a-test-key-encryption-key-of-at-least-32-chars',
    legacy: { connection: legacyDb.url, table: 'be_users' },
    target: { type: 'http', url: running.importUrl },
  });
  await t.addClient({
    id: 'app',
    redirectUris: [REDIRECT_URI],
    secret: 'sealed-client-secret',
    firstParty: true,
  });
});

afterAll(async () => {
  await t?.close();
  await running?.close();
  await legacyDb?.drop();
});

it('keeps the password form sealed in the outbox and delivers one the target accepts', async () => {
  const rp = await relyingParty(t.url, 'app', 'sealed-client-secret');
  const { run, callbackUrl } = await loginThroughBrowser(rp, 'sealed', PASSWORD);
  await exchange(rp, run, callbackUrl);

  const job = await t.bridge.store.db('outbox').where({ sub: '50001' }).first();
  expect(job.secret).toMatch(/^enc:v1:/);
  expect(job.secret).not.toContain('sha256$');

  const worker = startDeliveryWorker(
    { ...t.bridge, metrics: createMetrics({ defaultMetrics: false }) },
    { loop: false },
  );
  await worker.runOnce();
  await worker.stop();
  expect((await t.bridge.store.db('outbox').where({ sub: '50001' }).first()).status).toBe('delivered');
  const check = await fetch(`${running.url}/api/users/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'sealed@example.com', password: PASSWORD }),
  });
  expect(await check.json()).toEqual({ valid: true });
});
