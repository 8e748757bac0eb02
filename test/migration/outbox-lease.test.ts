// The outbox lease on real PostgreSQL: the lease migration up and down, claims that skip
// rows another transaction holds, a lease that expires and is taken over, and an outcome
// refused to a worker whose lease was taken.
import type { Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as outboxLease from '../../migrations/20261122000600_outbox-lease.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { createDeliveryQueries } from '../../src/migration/delivery-queries.ts';
import { enqueueDelivery } from '../../src/migration/outbox.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

let database: TestDatabase;
let store: Store;

async function seed(db: Knex, sub: string): Promise<number> {
  await db.transaction(async (trx) => {
    await createAccounts(db).insert(trx, {
      sub,
      passwordHash: null,
      claims: {},
      source: 'legacy',
      identifiers: [],
    });
    await enqueueDelivery(trx, {
      sub,
      payload: { legacy_id: sub, claims: {} },
      secret: 'md5$$x',
      rowData: JSON.stringify({ id: sub }),
    });
  });
  return (await db('outbox').where({ sub }).first('id')).id;
}

beforeAll(async () => {
  database = await createPgDatabase('outbox');
  store = createStore({ database: database.url });
  await store.migrate();
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

beforeEach(async () => {
  await store.db('outbox').del();
  await store.db('accounts').del();
});

describe('outbox lease', () => {
  it('adds the lease columns and removes them again', async () => {
    const has = () =>
      Promise.all(
        ['lease_token', 'last_attempt_at', 'last_reason'].map((c) => store.db.schema.hasColumn('outbox', c)),
      );
    expect(await has()).toEqual([true, true, true]);
    await outboxLease.down(store.db);
    expect(await has()).toEqual([false, false, false]);
    await outboxLease.up(store.db);
    expect(await has()).toEqual([true, true, true]);
  });

  it('skips a job another transaction has locked instead of waiting for it', async () => {
    const locked = await seed(store.db, 'a');
    const free = await seed(store.db, 'b');
    const q = createDeliveryQueries(store.db);
    const trx = await store.db.transaction();
    try {
      await trx('outbox').where({ id: locked }).forUpdate().first();
      const claimed = await q.claim(10, 5000);
      expect(claimed.map((j) => j.id)).toEqual([free]);
    } finally {
      await trx.rollback();
    }
  });

  it('does not hand a leased job to a second claim until the lease expires', async () => {
    const id = await seed(store.db, 'c');
    const q = createDeliveryQueries(store.db);
    const [first] = await q.claim(10, 300);
    expect(first).toMatchObject({ id, attempts: 1, secret: 'md5$$x' });
    expect(await q.claim(10, 300)).toEqual([]);
    await new Promise((r) => setTimeout(r, 350));
    const [second] = await q.claim(10, 5000);
    expect(second).toMatchObject({ id, attempts: 2 });
    expect(second!.leaseToken).not.toBe(first!.leaseToken);
  });

  it('refuses the outcome of a worker whose lease was taken over', async () => {
    await seed(store.db, 'd');
    const q = createDeliveryQueries(store.db);
    const [stale] = await q.claim(10, 1);
    await new Promise((r) => setTimeout(r, 20));
    const [current] = await q.claim(10, 5000);
    const outcome = { status: 'dead' as const, reason: 'dead', lastError: 'x', eraseSecret: true };
    expect(await q.finish(stale!, outcome)).toBe(false);
    expect(
      await q.finish(current!, {
        status: 'delivered',
        reason: 'delivered',
        lastError: null,
        eraseSecret: true,
      }),
    ).toBe(true);
    expect(await store.db('outbox').where({ id: current!.id }).first()).toMatchObject({
      status: 'delivered',
      secret: null,
      lease_token: null,
      locked_until: null,
    });
  });

  it('does not claim failed, delivered or future jobs', async () => {
    await seed(store.db, 'e');
    await seed(store.db, 'f');
    await seed(store.db, 'g');
    await store.db('outbox').where({ sub: 'e' }).update({ status: 'failed' });
    await store.db('outbox').where({ sub: 'f' }).update({ status: 'delivered' });
    await store
      .db('outbox')
      .where({ sub: 'g' })
      .update({ next_attempt_at: new Date(Date.now() + 60_000) });
    expect(await createDeliveryQueries(store.db).claim(10, 5000)).toEqual([]);
  });
});
