// The optional Redis store (`store.redis_url`) for oidc-provider's short-lived models:
// sessions, interactions, codes and access tokens. PostgreSQL stays the store of record for
// accounts, clients, keys, grants, refresh tokens, the outbox and the audit.
import { createClient } from 'redis';
import { BridgeError } from '../errors.ts';
import {
  createRedisAdapterClass,
  type RedisClient,
  type RedisKeys,
  redisKeys,
  redisSessionsOf,
  revokeGrantInRedis,
} from '../oidc/redis-adapter.ts';

export interface ShortLivedStore {
  readonly url: string;
  readonly keys: RedisKeys;
  readonly redis: RedisClient;
  connect(): Promise<void>;
  adapterClass(idKey: Buffer): ReturnType<typeof createRedisAdapterClass>;
  sessionsOf<T>(accountId: string): Promise<T[]>;
  revokeGrant(grantId: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The URL without its password, for messages. */
function shown(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured URL';
  }
}

export function createShortLivedStore(opts: { url: string; prefix: string }): ShortLivedStore {
  const { url, prefix } = opts;
  const keys = redisKeys(prefix);
  // No endless reconnect loop at start: a Redis that is not there fails the start, clearly.
  let connected = false;
  const redis = createClient({
    url,
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries) => (connected ? Math.min(retries * 100, 3000) : false),
    },
  }) as unknown as RedisClient;
  // Errors surface on the commands that fail; an unhandled 'error' event would end the process.
  redis.on('error', () => {});
  let adapter: ReturnType<typeof createRedisAdapterClass> | undefined;
  let opening: Promise<void> | undefined;
  return {
    url,
    keys,
    redis,
    connect() {
      opening ??= (async () => {
        try {
          await redis.connect();
          connected = true;
        } catch (err) {
          opening = undefined;
          throw new BridgeError(
            'store_unavailable',
            `Cannot connect to Redis at ${shown(url)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Fix: check that Redis runs there, or remove store.redis_url to keep every model in the bridge store.`,
            503,
          );
        }
      })();
      return opening;
    },
    adapterClass(idKey) {
      adapter ??= createRedisAdapterClass(redis, keys, idKey);
      return adapter;
    },
    sessionsOf: (accountId) => redisSessionsOf(redis, keys, accountId),
    revokeGrant: (grantId) => revokeGrantInRedis(redis, keys, grantId),
    async ping() {
      await redis.ping();
    },
    async close() {
      if (redis.isOpen) await redis.close();
    },
  };
}
