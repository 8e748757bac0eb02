// The webhook target against its receiver over real HTTP and a real store: what a receiver
// gets, the signature it checks, the password forms it can verify, duplicates, and a
// password change after migration sent as its own event.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/logger.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { enqueuePasswordChange } from '../../../src/migration/outbox.ts';
import { startDeliveryWorker } from '../../../src/migration/worker.ts';
import { createServices, type Services } from '../../../src/services.ts';
import { createStore, type Store } from '../../../src/store/db.ts';
import type { ReferenceDouble } from '../../../src/target/reference.ts';
import { startReference } from '../../../src/target/webhook/double.ts';
import { checkForm, makeForm } from '../../../src/target/webhook/password.ts';
import { signatureHeader, verifySignature } from '../../../src/target/webhook/signature.ts';
import { createPgDatabase, type TestDatabase } from '../../support/databases.ts';
import { clearDeliveries, seedDelivery } from '../../support/outbox.ts';
import { registerSecret } from '../../support/secrets.ts';

const PASSWORD = registerSecret('password', 'webhook-user-pw-1');
const NEW_PASSWORD = registerSecret('password', 'webhook-user-pw-2');

let database: TestDatabase;
let store: Store;
let double: ReferenceDouble;
let services: Services;

const row = (id: number) => ({ id, email: `wh${id}@example.com`, first_name: 'Web', last_name: 'Hook' });

beforeAll(async () => {
  database = await createPgDatabase('webhook');
  store = createStore({ database: database.url });
  await store.migrate();
  double = await startReference();
  registerSecret('key', String(double.targetConfig.secret));
  const config = parseConfig({ database: database.url, target: double.targetConfig });
  services = createServices(config, {
    store,
    logger: silentLogger,
    metrics: createMetrics({ defaultMetrics: false }),
  });
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

describe('the webhook signature', () => {
  const secret = 'a-webhook-signing-secret-of-32-chars!!';
  const body = '{"id":"deliver.1"}';

  it('verifies for the body and secret it was made with', () => {
    expect(verifySignature(secret, signatureHeader(secret, body), body)).toBe(true);
  });

  it('fails for a changed body, another secret, a missing header or garbage', () => {
    const header = signatureHeader(secret, body);
    expect(verifySignature(secret, header, body.replace('1', '2'))).toBe(false);
    expect(verifySignature(`${secret}x`, header, body)).toBe(false);
    expect(verifySignature(secret, undefined, body)).toBe(false);
    expect(verifySignature(secret, 't=abc,v1=zz', body)).toBe(false);
  });

  it('fails once the timestamp is older than the tolerance, so a captured request cannot be replayed', () => {
    const tenMinutesAgo = Date.now() - 600_000;
    expect(verifySignature(secret, signatureHeader(secret, body, tenMinutesAgo), body)).toBe(false);
    expect(verifySignature(secret, signatureHeader(secret, body, Date.now() - 60_000), body)).toBe(true);
  });
});

describe('the password forms', () => {
  it.each(['argon2id', 'bcrypt', 'commerce'] as const)(
    'makes a %s form that verifies the password and no other',
    async (form) => {
      const made = await makeForm(form, PASSWORD);
      registerSecret('hash', made);
      expect(made).not.toContain(PASSWORD);
      expect(await checkForm(form, PASSWORD, made)).toBe(true);
      expect(await checkForm(form, 'another password', made)).toBe(false);
    },
  );

  it('names the form in the right family', async () => {
    expect(await makeForm('argon2id', PASSWORD)).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await makeForm('bcrypt', PASSWORD)).toMatch(/^\$2[aby]\$12\$/);
    expect(await makeForm('commerce', PASSWORD)).toMatch(/^sha256\$[A-Za-z0-9]{12}\$[0-9a-f]{64}$/);
  });
});

describe('delivery to a webhook receiver', () => {
  it('posts a signed user.migrated event the receiver accepts, and the user can sign in there', async () => {
    const { sub } = await seedDelivery(store.db, services, row(9001), PASSWORD, {
      email: 'wh9001@example.com',
    });
    const worker = startDeliveryWorker(services, { loop: false });
    expect(await worker.runOnce()).toBe(1);
    await worker.stop();

    const job = await store.db('outbox').where({ sub }).first();
    expect(job).toMatchObject({ status: 'delivered', secret: null, row_data: null, target_ref: 'wh-1' });
    expect(double.requests).toHaveLength(1);
    expect(double.requests[0]).toMatchObject({ status: 201, outcome: 'created', legacyId: '9001' });
    expect(double.requests[0]!.body).toMatchObject({
      id: 'deliver.9001',
      type: 'user.migrated',
      user: { sub: '9001', legacy_id: '9001', claims: { email: 'wh9001@example.com' } },
      password: '[redacted]',
    });
    expect(await double.verifyPassword('9001', PASSWORD)).toBe(true);
  });

  it('counts a user the receiver already holds (409) as delivered, once', async () => {
    await seedDelivery(store.db, services, row(9002), PASSWORD);
    const first = startDeliveryWorker(services, { loop: false });
    await first.runOnce();
    await store.db('outbox').where({ sub: '9002' }).update({ status: 'pending', attempts: 0, secret: 'x' });
    await first.runOnce();
    await first.stop();
    expect(double.creates.get('9002')).toBe(1);
    expect(await store.db('outbox').where({ sub: '9002' }).first()).toMatchObject({
      status: 'delivered',
      last_reason: 'already_exists',
    });
  });

  it('refuses a request whose signature does not verify: the job fails, saying 401', async () => {
    const forged = createServices(
      parseConfig({
        database: database.url,
        target: { ...double.targetConfig, secret: 'not-the-receivers-secret-at-all-0123' },
      }),
      { store, logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) },
    );
    await seedDelivery(store.db, forged, row(9003), PASSWORD);
    const worker = startDeliveryWorker(forged, { loop: false });
    await worker.runOnce();
    await worker.stop();
    expect(await store.db('outbox').where({ sub: '9003' }).first()).toMatchObject({
      status: 'failed',
      last_reason: 'rejected',
      last_error: 'target answered 401 bad_signature',
    });
    expect(double.creates.size).toBe(0);
  });

  it('sends a password changed after migration as user.password_changed, after the first delivery', async () => {
    const { sub } = await seedDelivery(store.db, services, row(9004), PASSWORD);
    const form = await services.target.passwordForm(NEW_PASSWORD);
    await enqueuePasswordChange(store.db, {
      sub,
      payload: { legacy_id: sub },
      secret: services.box.seal(form!),
    });
    const worker = startDeliveryWorker(services, { loop: false });
    // The change waits for the creation: the first pass delivers the user only.
    expect(await worker.runOnce()).toBe(1);
    expect(await double.verifyPassword('9004', PASSWORD)).toBe(true);
    expect(await worker.runOnce()).toBe(1);
    await worker.stop();
    expect(double.requests.map((r) => r.outcome)).toEqual(['created', 'updated']);
    expect(await double.verifyPassword('9004', NEW_PASSWORD)).toBe(true);
    expect(await double.verifyPassword('9004', PASSWORD)).toBe(false);
    expect(await store.db('outbox').where({ sub, kind: 'update' }).first()).toMatchObject({
      status: 'delivered',
      secret: null,
    });
  });
});

describe('the webhook configuration', () => {
  it('refuses a signing secret shorter than 32 characters, naming the key', () => {
    expect(() =>
      parseConfig({ target: { type: 'webhook', url: 'https://hooks.example/u', secret: 'short' } }),
    ).toThrow(/target\.secret/);
  });

  it('is loadable without the optional keys, with argon2id as the password form', () => {
    const config = parseConfig({
      target: { type: 'webhook', url: 'https://hooks.example/u', secret: 'x'.repeat(32) },
    });
    expect(config.target).toMatchObject({ type: 'webhook', password_form: 'argon2id', timeout_ms: 10000 });
  });
});
