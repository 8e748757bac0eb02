// The storage adapter oidc-provider is given: the knex adapter for every model, or, with
// `store.redis_url`, Redis for the short-lived models and the knex adapter for the rest.
// Revoking a grant reaches both stores whichever model asks, since a grant's tokens live
// in both (its access tokens in Redis, its refresh tokens in PostgreSQL).
import type { Knex } from 'knex';
import type { Adapter } from 'oidc-provider';
import type { ShortLivedStore } from '../store/redis.ts';
import { createAdapterClass } from './adapter.ts';
import { REDIS_MODELS } from './redis-adapter.ts';

type AdapterClass = new (name: string) => Adapter;

export function createStoreAdapterClass(
  db: Knex,
  findClient: (id: string) => Promise<Record<string, unknown> | undefined>,
  shortLived: ShortLivedStore | undefined,
  idKey: Buffer,
): AdapterClass {
  const Knex = createAdapterClass(db, findClient, { idKey });
  if (!shortLived) return Knex;
  const Redis = shortLived.adapterClass(idKey);
  const knexRevoker = new Knex('Grant');
  const redisRevoker = new Redis('Grant');
  const both = async (grantId: string) => {
    await Promise.all([knexRevoker.revokeByGrantId!(grantId), redisRevoker.revokeByGrantId!(grantId)]);
  };
  return class StoreAdapter {
    constructor(name: string) {
      const inner = REDIS_MODELS.has(name) ? new Redis(name) : new Knex(name);
      inner.revokeByGrantId = both;
      // biome-ignore lint/correctness/noConstructorReturn: the model's own adapter, one revoke added
      return inner;
    }
  } as unknown as AdapterClass;
}
