// The knex adapter on PostgreSQL: payloads round-trip, expired rows are never returned and
// are swept, consume is atomic, and revokeByGrantId removes every token of a grant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapterClass, sweepExpired } from '../../src/oidc/adapter.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

let database: TestDatabase;
let store: Store;
let Adapter: ReturnType<typeof createAdapterClass>;

beforeAll(async () => {
  database = await createPgDatabase();
  store = createStore({ database: database.url });
  await store.migrate();
  Adapter = createAdapterClass(store.db, async () => undefined);
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

describe('the knex adapter', () => {
  it('returns what was stored, and finds by uid and by user code', async () => {
    const a = new Adapter('Interaction');
    await a.upsert('i1', { uid: 'u-1', jti: 'i1', kind: 'Interaction' } as never, 60);
    expect(await a.find('i1')).toMatchObject({ uid: 'u-1' });
    expect(await a.findByUid('u-1')).toMatchObject({ jti: 'i1' });
    const d = new Adapter('DeviceCode');
    await d.upsert('d1', { userCode: 'ABCD-EFGH', jti: 'd1' } as never, 60);
    expect(await d.findByUserCode('ABCD-EFGH')).toMatchObject({ jti: 'd1' });
  });

  it('never returns an expired row, and the sweep deletes it', async () => {
    const a = new Adapter('Session');
    await a.upsert('old', { jti: 'old' } as never, 1);
    await store
      .db('oidc_payloads')
      .where({ id: 'old' })
      .update({ expires_at: new Date(Date.now() - 1000) });
    expect(await a.find('old')).toBeUndefined();
    expect(await sweepExpired(store.db)).toBeGreaterThanOrEqual(1);
    expect(await store.db('oidc_payloads').where({ id: 'old' }).first()).toBeUndefined();
  });

  it('lets exactly one of 10 concurrent consumes of one code succeed', async () => {
    const a = new Adapter('AuthorizationCode');
    await a.upsert('c1', { jti: 'c1', grantId: 'g1' } as never, 60);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => new Adapter('AuthorizationCode').consume('c1')),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await a.find('c1'))?.consumed).toEqual(expect.any(Number));
  });

  it('revokes every token of a grant by its grant id', async () => {
    await new Adapter('AccessToken').upsert('at1', { jti: 'at1', grantId: 'g2' } as never, 60);
    await new Adapter('RefreshToken').upsert('rt1', { jti: 'rt1', grantId: 'g2' } as never, 60);
    await new Adapter('AccessToken').upsert('at2', { jti: 'at2', grantId: 'other' } as never, 60);
    await new Adapter('AccessToken').revokeByGrantId('g2');
    expect(await new Adapter('AccessToken').find('at1')).toBeUndefined();
    expect(await new Adapter('RefreshToken').find('rt1')).toBeUndefined();
    expect(await new Adapter('AccessToken').find('at2')).toBeDefined();
  });

  it('destroys one row', async () => {
    const a = new Adapter('Grant');
    await a.upsert('g9', { jti: 'g9' } as never, 60);
    await a.destroy('g9');
    expect(await a.find('g9')).toBeUndefined();
  });
});
