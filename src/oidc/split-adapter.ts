// The storage adapter oidc-provider is given: the knex adapter for every model, or, with
// `store.redis_url`, Redis for the short-lived models and the knex adapter for the rest.
// Revoking a grant reaches both stores whichever model asks, since a grant's tokens live
// in both (its access tokens in Redis, its refresh tokens in PostgreSQL).
//
// An introspection or a revocation without token_type_hint looks the value up as an access
// token, as client credentials and as a refresh token at once. A value Redis holds as one of
// the first two is no refresh token (every token's value is a random id of its own), so the
// refresh-token lookup waits for those and asks PostgreSQL only when Redis had nothing: the
// introspection of an access token then spends no PostgreSQL round trip on a refresh token
// that cannot exist. That of a refresh token waits one Redis round trip longer.
import type { Knex } from 'knex';
import type { Adapter } from 'oidc-provider';
import type { ShortLivedStore } from '../store/redis.ts';
import { createAdapterClass } from './adapter.ts';
import { currentPayloadScope } from './payload-scope.ts';
import { createRedisAdapterClass, REDIS_MODELS } from './redis-adapter.ts';

type AdapterClass = new (name: string) => Adapter;

function forget(
  inFlight: Map<string, Promise<boolean>[]>,
  list: Promise<boolean>[],
  id: string,
  p: Promise<boolean>,
) {
  list.splice(list.indexOf(p), 1);
  if (list.length === 0 && inFlight.get(id) === list) inFlight.delete(id);
}

/** The models whose values a lookup without a hint also tries as a refresh token. */
const SHORT_LIVED_TOKENS = new Set(['AccessToken', 'ClientCredentials']);

export function createStoreAdapterClass(
  db: Knex,
  findClient: (id: string) => Promise<Record<string, unknown> | undefined>,
  shortLived: ShortLivedStore | undefined,
  idKey: Buffer,
): AdapterClass {
  const Knex = createAdapterClass(db, findClient, { idKey });
  if (!shortLived) return Knex;
  const Redis = createRedisAdapterClass(shortLived, idKey);
  const knexRevoker = new Knex('Grant');
  const redisRevoker = new Redis('Grant');
  const both = async (grantId: string) => {
    await Promise.all([knexRevoker.revokeByGrantId!(grantId), redisRevoker.revokeByGrantId!(grantId)]);
  };
  // Redis lookups of access tokens and client credentials in flight, value -> whether it was
  // found: per request (its payload scope), since a lookup without a hint makes them in the
  // same tick as its refresh-token lookup; other requests' lookups of the same value (ten
  // clients introspecting one token) are none of its business. Outside a request, one map.
  const outside = new Map<string, Promise<boolean>[]>();
  const byRequest = new WeakMap<object, Map<string, Promise<boolean>[]>>();
  const lookups = (): Map<string, Promise<boolean>[]> => {
    const scope = currentPayloadScope();
    if (!scope) return outside;
    let map = byRequest.get(scope);
    if (!map) {
      map = new Map();
      byRequest.set(scope, map);
    }
    return map;
  };
  const remember = (id: string, found: Promise<unknown>) => {
    const inFlight = lookups();
    const list = inFlight.get(id) ?? [];
    const settled: Promise<boolean> = found.then(
      (payload) => {
        forget(inFlight, list, id, settled);
        return payload !== undefined;
      },
      () => {
        forget(inFlight, list, id, settled);
        return false;
      },
    );
    list.push(settled);
    inFlight.set(id, list);
  };
  return class StoreAdapter {
    constructor(name: string) {
      const inner = REDIS_MODELS.has(name) ? new Redis(name) : new Knex(name);
      inner.revokeByGrantId = both;
      if (SHORT_LIVED_TOKENS.has(name)) {
        const find = inner.find.bind(inner);
        inner.find = (id) => {
          const found = find(id);
          remember(id, found);
          return found;
        };
      } else if (name === 'RefreshToken') {
        const find = inner.find.bind(inner);
        inner.find = async (id) => {
          const others = lookups().get(id);
          if (others) for (const found of [...others]) if (await found) return undefined;
          return find(id);
        };
      }
      // biome-ignore lint/correctness/noConstructorReturn: the model's own adapter, one revoke added
      return inner;
    }
  } as unknown as AdapterClass;
}
