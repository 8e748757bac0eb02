// The delivery job's copy of the legacy row, on a real store after a real login: with
// OIDC_BRIDGE_KEY set it holds only the columns the target maps, sealed, and nothing of it
// is left once the job is delivered. Laravel's remember_token never leaves the legacy table.
import bcrypt from 'bcrypt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.ts';
import { startDeliveryWorker } from '../../src/migration/worker.ts';
import { createReferenceTarget, type RunningTarget } from '../../src/target/commerce-import/reference.ts';
import { loadBeUsers } from '../legacy/support.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { createMariaDatabase, type TestDatabase } from '../support/databases.ts';
import { exchange, loginThroughBrowser, REDIRECT_URI, relyingParty } from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';

const PASSWORD = registerSecret('password', 'row-copy-pw-77');
const REMEMBER_TOKEN = registerSecret('token', 'laravel-remember-token-9f8e7d6c5b4a');
const KEK = registerSecret('key', 'a-key-encryption-key-for-the-row-copy-test');
let legacyDb: TestDatabase;
let running: RunningTarget;
let t: TestBridge;

/** Every outbox row as PostgreSQL prints it: whatever a column holds, in clear, is in here. */
async function outboxText(): Promise<string> {
  const rows = await t.bridge.store.db.raw('SELECT o::text AS t FROM outbox o');
  return (rows.rows as Array<{ t: string }>).map((r) => r.t).join('\n');
}

beforeAll(async () => {
  legacyDb = await createMariaDatabase();
  const hash = (await bcrypt.hash(PASSWORD, 4)).replace('$2b$', '$2y$');
  await loadBeUsers(
    legacyDb.url,
    `INSERT INTO be_users (id, first_name, last_name, username, email, password, gender, remember_token, is_logged, created_at) VALUES (50101, 'Rowena', 'Copeland', 'rowcopy', 'rowcopy@example.com', '${hash}', 'F', '${REMEMBER_TOKEN}', 1, '2021-01-01 00:00:00')`,
  );
  running = await createReferenceTarget().listen(0, '127.0.0.1');
  t = await startTestBridge({
    key_encryption_key: KEK,
    legacy: { connection: legacyDb.url, table: 'be_users' },
    target: { type: 'commerce-import', url: running.importUrl },
  });
  await t.addClient({
    id: 'app',
    redirectUris: [REDIRECT_URI],
    secret: 'row-copy-client-secret',
    firstParty: true,
  });
});

afterAll(async () => {
  await t?.close();
  await running?.close();
  await legacyDb?.drop();
});

it('keeps no legacy column in clear in the outbox, and nothing of the row once delivered', async () => {
  const rp = await relyingParty(t.url, 'app', 'row-copy-client-secret');
  const { run, callbackUrl } = await loginThroughBrowser(rp, 'rowcopy', PASSWORD);
  await exchange(rp, run, callbackUrl);

  const waiting = await outboxText();
  expect(waiting).toContain('50101');
  // Neither the column the target never maps nor the ones it does are readable at rest.
  expect(waiting).not.toContain(REMEMBER_TOKEN);
  expect(waiting).not.toContain('remember_token');
  expect(waiting).not.toContain('Rowena');
  expect(waiting).not.toContain('Copeland');

  const worker = startDeliveryWorker(
    { ...t.bridge, metrics: createMetrics({ defaultMetrics: false }) },
    { loop: false },
  );
  await worker.runOnce();
  await worker.stop();
  const job = await t.bridge.store.db('outbox').where({ sub: '50101' }).first();
  expect(job.status).toBe('delivered');
  // The target got the mapped fields; the job forgot them, sealed or not.
  const check = await fetch(`${running.url}/api/users/50101`);
  expect(await check.json()).toMatchObject({ first_name: 'Rowena', last_name: 'Copeland' });
  const ended = await outboxText();
  expect(ended).not.toContain('Rowena');
  expect(ended).not.toContain('enc:v1:');
  expect(ended).not.toContain(REMEMBER_TOKEN);
});
