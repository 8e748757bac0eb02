// oidc-provider's storage adapter on Redis, for the short-lived, high-churn models only
// (sessions, interactions, codes, access tokens): PostgreSQL stays the store of record for
// the rest. One hash per payload (the JSON and, once consumed, when), expiring with it; a
// set per grant and per account names the keys to revoke or list. `consume` is one Lua
// script, so of many concurrent redemptions of one code exactly one wins.
//
// An access token keeps a copy of its grant as the request that issued it read it, so that
// userinfo and introspection read Redis alone: the copy goes with the token when the grant is
// revoked (the grant's set names both), and a token written after a revocation began keeps
// none (revokeGrantInRedis marks the grant first), so its use asks PostgreSQL, as before.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { StoreUnavailableError } from '../errors.ts';
import type { ShortLivedStore } from '../store/redis.ts';
import { type RedisClient, revokeGrantInRedis } from '../store/redis-keys.ts';
import { guardMethods, refuseNul, StoreTemporarilyUnavailable } from './adapter.ts';
import { currentPayloadScope } from './payload-scope.ts';
import { HASHED_ID_MODELS, storedId } from './stored-id.ts';

/** The models kept in Redis when `store.redis_url` is set. */
export const REDIS_MODELS = new Set([
  'Session',
  'Interaction',
  'AuthorizationCode',
  'AccessToken',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
  'ReplayDetection',
]);

// Marks the payload consumed unless it is gone or already consumed: -1 gone, 0 consumed.
const CONSUME = `if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1])`;

/** A payload hash's fields: the JSON, when it was consumed, the copy of its grant. */
const FIELDS = ['payload', 'consumed', 'grant'];

// The id a uid names and that id's FIELDS (ARGV[1] is the model's key prefix, the rest the
// fields); nil when the uid names none. For models whose stored id is the id itself only.
const FIND_BY_UID = `local id = redis.call('GET', KEYS[1])
if not id then return nil end
local h = redis.call('HMGET', ARGV[1] .. id, unpack(ARGV, 2))
return {id, h[1], h[2], h[3]}`;

// Keeps the grant's copy beside a token unless the grant is marked revoked.
const KEEP_GRANT = `if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('HSET', KEYS[1], 'grant', ARGV[1]) end
return 1`;

/** Extends a set's expiry to cover a member that lives `ttl` seconds, never shortens it. */
function extend(m: ReturnType<RedisClient['multi']>, key: string, ttl: number | undefined): void {
  if (ttl) m.expire(key, ttl, 'GT').expire(key, ttl, 'NX');
  else m.persist(key);
}

/**
 * A Redis that is down, unreachable or silent past the command timeout is an outage, as the
 * store's: oidc-provider answers 503 temporarily_unavailable, never a 500 or a hang. Its own
 * errors (a consumed code) pass as they are.
 */
function asOutage(err: unknown): unknown {
  if (err instanceof errors.OIDCProviderError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name ?? 'error';
  return new StoreTemporarilyUnavailable(new StoreUnavailableError(`redis ${code}`));
}

export function createRedisAdapterClass(
  store: Pick<ShortLivedStore, 'redis' | 'keys' | 'within'>,
  idKey: Buffer,
): new (
  name: string,
) => Adapter {
  const { redis, keys } = store;
  const RedisAdapter = class RedisAdapter implements Adapter {
    readonly name: string;
    readonly #hashed: boolean;

    constructor(name: string) {
      this.name = name;
      this.#hashed = HASHED_ID_MODELS.has(name);
    }

    /** The key of a payload: its id keyed and hashed for bearer values (stored-id.ts). */
    #key(id: string): string {
      return keys.payload(this.name, storedId(this.name, id, idKey));
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const key = this.#key(id);
      const ttl = expiresIn && expiresIn > 0 ? Math.ceil(expiresIn) : undefined;
      const stored = this.#hashed ? { ...payload, jti: undefined } : payload;
      const json = JSON.stringify(stored);
      refuseNul(id, json);
      const m = redis.multi().hSet(key, 'payload', json);
      // The grant the request read (or wrote), as it holds it.
      const grant =
        this.name === 'AccessToken' && payload.grantId
          ? currentPayloadScope()?.findJson('Grant', payload.grantId)
          : undefined;
      if (grant) m.eval(KEEP_GRANT, { keys: [key, keys.revokedGrant(payload.grantId!)], arguments: [grant] });
      if (ttl) m.expire(key, ttl);
      else m.persist(key);
      if (payload.grantId) {
        m.sAdd(keys.grant(payload.grantId), key);
        extend(m, keys.grant(payload.grantId), ttl);
      }
      if (payload.uid) {
        if (ttl) m.set(keys.uid(payload.uid), id, { EX: ttl });
        else m.set(keys.uid(payload.uid), id);
      }
      if (payload.userCode) {
        if (ttl) m.set(keys.userCode(payload.userCode), id, { EX: ttl });
        else m.set(keys.userCode(payload.userCode), id);
      }
      if (this.name === 'Session' && payload.accountId) {
        m.sAdd(keys.accountSessions(payload.accountId), id);
        extend(m, keys.accountSessions(payload.accountId), ttl);
      }
      await m.exec();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const [json, consumed, grant] = await redis.hmGet(this.#key(id), FIELDS);
      return this.#payload(id, json, consumed, grant);
    }

    /** A payload from its hash's fields, the grant's copy remembered for the request. */
    #payload(
      id: string,
      json: string | null | undefined,
      consumed: string | null | undefined,
      grant: string | null | undefined,
    ): AdapterPayload | undefined {
      if (!json) return undefined;
      const payload = JSON.parse(json) as AdapterPayload;
      const scope = currentPayloadScope();
      if (grant && scope && payload.grantId) {
        // Found by the knex adapter's Grant.find in this request's scope (an expired one as gone).
        const g = JSON.parse(grant) as AdapterPayload;
        scope.remember(
          {
            type: 'Grant',
            id: payload.grantId,
            uid: null,
            grantId: payload.grantId,
            expiresAt: typeof g.exp === 'number' ? g.exp * 1000 : null,
          },
          grant,
          null,
        );
      }
      if (consumed) payload.consumed = Number(consumed);
      if (this.#hashed) payload.jti = id;
      return payload;
    }

    /** One round trip: the uid's id and that id's payload are read by one script. */
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      if (this.#hashed) {
        const id = await redis.get(keys.uid(uid));
        return id ? this.find(id) : undefined;
      }
      const found = (await redis.eval(FIND_BY_UID, {
        keys: [keys.uid(uid)],
        arguments: [keys.payload(this.name, ''), ...FIELDS],
      })) as Array<string | null> | null;
      return found ? this.#payload(found[0]!, found[1], found[2], found[3]) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await redis.get(keys.userCode(userCode));
      return id ? this.find(id) : undefined;
    }

    async consume(id: string): Promise<void> {
      const result = await redis.eval(CONSUME, {
        keys: [this.#key(id)],
        arguments: [String(Math.floor(Date.now() / 1000))],
      });
      if (Number(result) !== 1) {
        throw new errors.InvalidGrant(
          `${this.name === 'AuthorizationCode' ? 'authorization code' : 'grant'} already consumed`,
        );
      }
    }

    async destroy(id: string): Promise<void> {
      await redis.del(this.#key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await revokeGrantInRedis(redis, keys, grantId);
    }
  };
  return guardMethods(RedisAdapter, (fn) => store.within(fn, asOutage));
}
