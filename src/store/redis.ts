// The optional Redis store (`store.redis_url`) for oidc-provider's short-lived models:
// sessions, interactions, codes and access tokens. PostgreSQL stays the store of record for
// accounts, clients, keys, grants, refresh tokens, the outbox and the audit.
import { createClient } from 'redis';
import { BridgeError } from '../errors.ts';
import {
  type RedisClient,
  type RedisKeys,
  redisKeys,
  redisSessionsOf,
  revokeGrantInRedis,
} from './redis-keys.ts';

export interface ShortLivedStore {
  readonly url: string;
  readonly keys: RedisKeys;
  readonly redis: RedisClient;
  /**
   * Runs `fn`, a use of `redis`, and fails it (RedisTimeoutError) when Redis has not answered
   * within the command timeout: a Redis that stopped answering is an outage, not a hang. An
   * error it fails with is first handed to `failed`, and what that returns is thrown instead.
   */
  within<T>(fn: () => Promise<T>, failed?: (err: unknown) => unknown): Promise<T>;
  connect(): Promise<void>;
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

/** How long a use of Redis may wait for its answers: node-redis's own default timeout. */
export const REDIS_COMMAND_TIMEOUT_MS = 5000;

/** Redis gave no answer in time. */
export class RedisTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
    this.name = 'RedisTimeoutError';
  }
}

interface Waiting {
  since: number;
  reject: (err: unknown) => void;
  failed: (err: unknown) => unknown;
}

const asIs = (err: unknown) => err;

/**
 * The command timeout, kept by one timer for the whole client instead of node-redis's, whose
 * timeout makes an AbortSignal.timeout and an event listener for every command: introspection
 * on Redis cost 0.899 and 0.727 ms of CPU per request with it, 0.625 and 0.643 without. A use
 * still waiting when the timer finds it older than `ms` fails; the timer looks every `ms / 5`,
 * so a use fails between `ms` and `1.2 × ms` after it began.
 */
function deadlines(ms: number) {
  const waiting = new Set<Waiting>();
  let timer: NodeJS.Timeout | undefined;
  const expire = () => {
    const now = Date.now();
    for (const entry of waiting) {
      if (now - entry.since < ms) continue;
      waiting.delete(entry);
      entry.reject(entry.failed(new RedisTimeoutError(ms)));
    }
  };
  return {
    within<T>(fn: () => Promise<T>, failed: (err: unknown) => unknown = asIs): Promise<T> {
      timer ??= setInterval(expire, Math.max(1, Math.floor(ms / 5))).unref();
      return new Promise<T>((resolve, reject) => {
        const entry: Waiting = { since: Date.now(), reject, failed };
        waiting.add(entry);
        const fail = (err: unknown) => {
          waiting.delete(entry);
          reject(failed(err));
        };
        try {
          fn().then((value) => {
            waiting.delete(entry);
            resolve(value);
          }, fail);
        } catch (err) {
          fail(err);
        }
      });
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

export function createShortLivedStore(opts: {
  url: string;
  prefix: string;
  /** Default REDIS_COMMAND_TIMEOUT_MS. */
  commandTimeoutMs?: number;
}): ShortLivedStore {
  const { url, prefix } = opts;
  const keys = redisKeys(prefix);
  const deadline = deadlines(opts.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS);
  // No endless reconnect loop at start: a Redis that is not there fails the start, clearly.
  let connected = false;
  const redis = createClient({
    url,
    // No timeout per command: `within` keeps one for every use (deadlines above).
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries) => (connected ? Math.min(retries * 100, 3000) : false),
    },
  }) as unknown as RedisClient;
  // Errors surface on the commands that fail; an unhandled 'error' event would end the process.
  redis.on('error', () => {});
  let opening: Promise<void> | undefined;
  const { within } = deadline;
  return {
    url,
    keys,
    redis,
    within,
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
    sessionsOf: (accountId) => within(() => redisSessionsOf(redis, keys, accountId)),
    revokeGrant: (grantId) => within(() => revokeGrantInRedis(redis, keys, grantId)),
    async ping() {
      await within(() => redis.ping());
    },
    async close() {
      deadline.stop();
      if (redis.isOpen) await redis.close();
    },
  };
}
