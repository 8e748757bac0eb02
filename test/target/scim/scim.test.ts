// The SCIM target against a SCIM service provider the project does not write (SCIMMY and
// scimmy-routers, from the registry), over real HTTP and a real store: the users of the
// import guide's table created with the core and enterprise schemas and their password, a
// password change sent as a PATCH, 409 uniqueness, bearer auth and the ServiceProviderConfig.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/logger.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { enqueuePasswordChange } from '../../../src/migration/outbox.ts';
import { startDeliveryWorker } from '../../../src/migration/worker.ts';
import { createServices, type Services } from '../../../src/services.ts';
import { createStore, type Store } from '../../../src/store/db.ts';
import type { ReferenceDouble } from '../../../src/target/reference.ts';
import { startReference } from '../../../src/target/scim/double.ts';
import { createPgDatabase, type TestDatabase } from '../../support/databases.ts';
import { clearDeliveries, seedDelivery } from '../../support/outbox.ts';
import { registerSecret } from '../../support/secrets.ts';

const KEK = registerSecret('key', 'a-key-encryption-key-for-the-scim-tests');
const TOKEN = registerSecret('token', 'scim-bearer-token-0123456789');
const PASSWORD = registerSecret('password', 'scim-user-password-1');
const NEW_PASSWORD = registerSecret('password', 'scim-user-password-2');

let database: TestDatabase;
let store: Store;
let sp: ReferenceDouble;

function servicesFor(target: Record<string, unknown>): Services {
  const config = parseConfig({ database: database.url, key_encryption_key: KEK, target });
  return createServices(config, {
    store,
    logger: silentLogger,
    metrics: createMetrics({ defaultMetrics: false }),
  });
}

/** Rows shaped as the import guide's be_users table holds them. */
const beUser = (id: number, username: string, extra: Record<string, unknown> = {}) => ({
  id,
  first_name: 'Ayşe',
  last_name: 'Yılmaz',
  username,
  email: `${username}@example.com`,
  password: '$2y$10$abcdefghijklmnopqrstuv',
  remember_token: 'never-copied-token',
  created_at: '2019-03-04T05:06:07.000Z',
  ...extra,
});

beforeAll(async () => {
  database = await createPgDatabase('scim');
  store = createStore({ database: database.url });
  await store.migrate();
  sp = await startReference({ token: TOKEN });
});

afterAll(async () => {
  await sp?.close();
  await store?.close();
  await database?.drop();
});

beforeEach(async () => {
  sp.reset();
  await clearDeliveries(store.db);
});

async function deliverAll(services: Services): Promise<void> {
  const worker = startDeliveryWorker(services, { loop: false });
  try {
    while ((await worker.runOnce()) > 0);
  } finally {
    await worker.stop();
  }
}

describe('delivery to a SCIM service provider', () => {
  it('creates each user with the core and enterprise schemas and the password, and they sign in there', async () => {
    const services = servicesFor({ ...sp.targetConfig, mapping: { 'enterprise.employeeNumber': 'id' } });
    for (const [id, name] of [
      [28774, 'testuser-bal'],
      [28775, 'ayse'],
    ] as const) {
      await seedDelivery(store.db, services, beUser(id, name), PASSWORD);
    }
    await deliverAll(services);

    const held = sp.users();
    expect([...held.keys()].sort()).toEqual(['28774', '28775']);
    expect(held.get('28774')).toMatchObject({
      schemas: expect.arrayContaining([
        'urn:ietf:params:scim:schemas:core:2.0:User',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      ]),
      userName: 'testuser-bal',
      externalId: '28774',
      active: true,
      name: { givenName: 'Ayşe', familyName: 'Yılmaz', formatted: 'Ayşe Yılmaz' },
      emails: [expect.objectContaining({ value: 'testuser-bal@example.com', primary: true })],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '28774' },
    });
    expect(await sp.verifyPassword('28774', PASSWORD)).toBe(true);
    const jobs = await store.db('outbox').orderBy('sub');
    for (const job of jobs) {
      expect(job).toMatchObject({ status: 'delivered', secret: null, row_data: null });
      expect(job.target_ref).toBe(held.get(job.sub)!.id);
    }
    // Only mapped columns were ever sent; the token column was not one of them.
    expect(JSON.stringify(sp.requests)).not.toContain('never-copied-token');
  });

  it('sends a password changed after migration as a PATCH, and the old one stops working', async () => {
    const services = servicesFor(sp.targetConfig);
    const { sub } = await seedDelivery(store.db, services, beUser(30001, 'changer'), PASSWORD);
    await enqueuePasswordChange(store.db, {
      sub,
      payload: { legacy_id: sub },
      secret: services.box.seal((await services.target.passwordForm(NEW_PASSWORD))!),
    });
    await deliverAll(services);
    expect(sp.requests.map((r) => [r.method, r.outcome])).toEqual([
      ['POST', 'created'],
      ['PATCH', 'updated'],
    ]);
    expect(await sp.verifyPassword('30001', NEW_PASSWORD)).toBe(true);
    expect(await sp.verifyPassword('30001', PASSWORD)).toBe(false);
  });

  it('treats 409 uniqueness for the same externalId as a user it already holds', async () => {
    const services = servicesFor(sp.targetConfig);
    const { sub } = await seedDelivery(store.db, services, beUser(30002, 'twice'), PASSWORD);
    // What a worker killed after the POST leaves behind: the job as it was claimed.
    const claimed = await store.db('outbox').where({ sub }).first('secret', 'row_data');
    await deliverAll(services);
    const held = sp.users().get('30002')!;
    await store
      .db('outbox')
      .where({ sub })
      .update({ status: 'pending', attempts: 0, ...claimed });
    await deliverAll(services);
    expect(sp.creates.get('30002')).toBe(1);
    expect(sp.requests.map((r) => r.status)).toEqual([201, 409]);
    expect(await store.db('outbox').where({ sub }).first()).toMatchObject({
      status: 'delivered',
      last_reason: 'already_exists',
      target_ref: held.id,
    });
  });

  it('reports another user holding the userName as a conflict, never retried', async () => {
    const services = servicesFor(sp.targetConfig);
    await seedDelivery(store.db, services, beUser(30003, 'taken'), PASSWORD);
    const { sub } = await seedDelivery(
      store.db,
      services,
      beUser(30004, 'taken', { email: 'other@example.com' }),
      PASSWORD,
    );
    await deliverAll(services);
    expect(await store.db('outbox').where({ sub }).first()).toMatchObject({
      status: 'conflict',
      last_reason: 'uniqueness',
      secret: null,
    });
    expect(sp.creates.has('30004')).toBe(false);
  });

  it('reads the ServiceProviderConfig first, and sends no password to a provider that takes none', async () => {
    const noPasswords = await startReference({ token: TOKEN, acceptsPassword: false });
    try {
      const services = servicesFor(noPasswords.targetConfig);
      await seedDelivery(store.db, services, beUser(30005, 'nopw'), PASSWORD);
      await deliverAll(services);
      expect(noPasswords.users().has('30005')).toBe(true);
      expect(await noPasswords.verifyPassword('30005', PASSWORD)).toBe(false);
      expect(JSON.stringify(noPasswords.requests[0]!.body)).not.toContain('[redacted]');
    } finally {
      await noPasswords.close();
    }
  });

  it('delivers nothing with a wrong bearer token, naming the 401 of the ServiceProviderConfig', async () => {
    const services = servicesFor({ ...sp.targetConfig, token: 'not-the-token-of-this-provider' });
    await seedDelivery(store.db, services, beUser(30006, 'denied'), PASSWORD);
    const worker = startDeliveryWorker(services, { loop: false });
    await expect(worker.runOnce()).rejects.toMatchObject({
      code: 'scim_config_unreadable',
      message: expect.stringContaining('401'),
    });
    await worker.stop();
    expect(sp.users().size).toBe(0);
    expect((await store.db('outbox').where({ sub: '30006' }).first()).status).toBe('pending');
  });
});

describe('the SCIM configuration', () => {
  it('refuses to keep a password in the outbox without a key encryption key, naming both keys', () => {
    const config = parseConfig({ target: { type: 'scim', url: 'https://sp.example/scim/v2' } });
    expect(() => createServices(config, { store, logger: silentLogger })).toThrow(
      /target\.send_password.*key_encryption_key/,
    );
    const never = parseConfig({
      target: { type: 'scim', url: 'https://sp.example/scim/v2', send_password: 'never' },
    });
    expect(createServices(never, { store, logger: silentLogger }).target.type).toBe('scim');
  });

  it('names a mapping key that is no SCIM attribute', () => {
    const config = parseConfig({
      key_encryption_key: KEK,
      target: { type: 'scim', url: 'https://sp.example/scim/v2', mapping: { nick: 'x' } },
    });
    expect(() => createServices(config, { store, logger: silentLogger })).toThrow(
      /target\.mapping\.nick: not a SCIM attribute/,
    );
  });
});
