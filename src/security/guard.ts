// The login guard: lockouts with a doubling delay per identifier and IP, hourly failure
// budgets per IP and per identifier, and a per-process cap on legacy lookups. All of it runs
// before the legacy database is asked anything. Counters live in the store's rate_limits
// table, so every replica sees the same ones; the embedded store keeps them in memory.
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
  type RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Config } from '../config/schema.ts';
import { ThrottledError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { LoginGuard } from '../migration/login.ts';
import type { Store } from '../store/db.ts';
import type { Audit } from './audit.ts';

export const RATE_LIMIT_TABLE = 'rate_limits';

/** What a login waits before retrying when the legacy queue is full: it drains in a few queries. */
export const QUEUE_FULL_RETRY_SECONDS = 2;

const HOUR = 3600;
const SWEEP_MS = 5 * 60_000;

export interface LoginGuardDeps {
  config: Pick<Config, 'security'>;
  store: Pick<Store, 'db' | 'kind'>;
  metrics: Pick<Metrics, 'throttled' | 'lockouts'>;
  audit: Pick<Audit, 'record'>;
  logger: Logger;
}

export interface BridgeLoginGuard extends LoginGuard {
  /** Where the counters live: `postgres` (shared by replicas) or `memory` (this process). */
  readonly backend: 'postgres' | 'memory';
  /** Legacy lookups running and waiting right now, in this process. */
  legacyLoad(): { active: number; queued: number };
  close(): Promise<void>;
}

/** `Foo` and ` foo ` are one person to an attacker's counter. */
export function normaliseIdentifier(identifier: string): string {
  return identifier.normalize('NFC').trim().toLowerCase();
}

/**
 * One key per client address. An IPv4-mapped IPv6 address is its IPv4 address, and an IPv6
 * address counts by its /64, which is what one subscriber is handed.
 */
export function normaliseIp(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  const bare = ip.replace(/%.*$/, '');
  if (!isIPv6(bare)) return ip.slice(0, 64).toLowerCase();
  const [head = '', tail = ''] = bare.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = bare.includes('::') && tail ? tail.split(':') : [];
  // An embedded IPv4 tail fills two groups; the /64 never reaches it.
  const missing = 8 - left.length - right.length - (right.some((g) => g.includes('.')) ? 1 : 0);
  const groups = bare.includes('::') ? [...left, ...Array(Math.max(missing, 0)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** Counter keys are hashes: the rate_limits table never holds a login name or an address. */
function keyOf(kind: string, value: string): string {
  return createHash('sha256').update(`oidc-bridge:rate-limit:${kind}\0${value}`).digest('base64url');
}

function seconds(res: RateLimiterRes | null): number {
  return Math.max(1, Math.ceil((res?.msBeforeNext ?? 1000) / 1000));
}

/** A counting semaphore with a bounded queue: beyond it a caller is refused at once. */
export function createSemaphore(limit: number, queueMax: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return {
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
    /** Resolves when a slot is held; undefined when the queue is full and no slot was taken. */
    async acquire(): Promise<boolean> {
      if (active < limit) {
        active++;
        return true;
      }
      if (waiting.length >= queueMax) return false;
      // A released slot passes straight to the next waiter, so `active` never dips below
      // the cap while callers wait and no newcomer can jump the queue.
      await new Promise<void>((resolve) => waiting.push(resolve));
      return true;
    },
    release(): void {
      const next = waiting.shift();
      if (next) next();
      else active--;
    },
  };
}

/**
 * A counter in the store's rate_limits table, shared by every replica. knex-pglite hands out
 * the PGlite instance itself, whose query() does not take pg's {text, values} objects, so the
 * embedded store (one process by design) counts in memory.
 */
export function storeLimiter(
  store: Pick<Store, 'db' | 'kind'>,
  keyPrefix: string,
  points: number,
  duration: number,
): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ keyPrefix, points, duration });
  if (store.kind !== 'postgres') return memory;
  return new RateLimiterPostgres({
    storeClient: store.db,
    storeType: 'knex',
    tableName: RATE_LIMIT_TABLE,
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix,
    points,
    duration,
    // Should the store fail for a moment, this process goes on counting on its own.
    insuranceLimiter: memory,
  });
}

export function createLoginGuard(deps: LoginGuardDeps): BridgeLoginGuard {
  const { store, metrics, audit, logger } = deps;
  const sec = deps.config.security;
  const lockout = sec.lockout;
  const shared = store.kind === 'postgres';

  const limiter = (keyPrefix: string, points: number, duration: number) =>
    storeLimiter(store, keyPrefix, points, duration);

  // Consecutive failures of one identifier from one IP; a lockout is a block on this key.
  const consecutive = limiter('login_consecutive', lockout.free_attempts, lockout.reset_seconds);
  // How many lockouts that pair has had since it last succeeded: each one doubles.
  const lockouts = limiter('login_lockouts', 1_000_000, lockout.reset_seconds);
  const perIp = limiter('login_ip', sec.ip_failures_per_hour, HOUR);
  const perIdentifier = limiter('login_identifier', sec.identifier_failures_per_hour, HOUR);
  const slots = createSemaphore(sec.legacy_concurrency, sec.legacy_queue);

  const sweep = shared
    ? setInterval(() => {
        store
          .db(RATE_LIMIT_TABLE)
          .where('expire', '<', Date.now() - HOUR * 1000)
          .delete()
          .catch((err: { code?: string }) =>
            logger.debug({ errorCode: err.code }, 'rate limit sweep failed'),
          );
      }, SWEEP_MS).unref()
    : undefined;

  function keys(identifier: string, ip: string | undefined) {
    const id = normaliseIdentifier(identifier);
    const address = normaliseIp(ip);
    return {
      pair: keyOf('pair', `${address}\0${id}`),
      ip: keyOf('ip', address),
      identifier: keyOf('identifier', id),
    };
  }

  function lockoutSeconds(n: number): number {
    // 2 ** n overflows to Infinity long before n could, and min() takes care of it.
    return Math.min(lockout.base_seconds * 2 ** Math.max(n - 1, 0), lockout.max_seconds);
  }

  async function lockoutStarted(
    reason: 'identifier_ip' | 'ip' | 'identifier',
    identifier: string,
    ip: string | undefined,
    details: Record<string, unknown>,
  ): Promise<void> {
    logger.warn({ reason, ...details }, 'login lockout started');
    metrics.lockouts.inc({ reason });
    await audit.record({
      type: 'lockout',
      outcome: 'info',
      reason,
      identifier: reason === 'ip' ? undefined : identifier,
      ip,
      details,
    });
  }

  return {
    backend: shared ? 'postgres' : 'memory',

    async check(identifier, ip) {
      const k = keys(identifier, ip);
      const [pair, byIp, byIdentifier] = await Promise.all([
        consecutive.get(k.pair),
        perIp.get(k.ip),
        perIdentifier.get(k.identifier),
      ]);
      const refusals: Array<[string, number]> = [];
      // A block sets the pair's points above free_attempts; reaching them is not yet a lockout.
      if (pair && pair.consumedPoints > lockout.free_attempts) refusals.push(['lockout', seconds(pair)]);
      if (byIp && byIp.consumedPoints >= sec.ip_failures_per_hour) refusals.push(['ip', seconds(byIp)]);
      if (byIdentifier && byIdentifier.consumedPoints >= sec.identifier_failures_per_hour) {
        refusals.push(['identifier', seconds(byIdentifier)]);
      }
      if (refusals.length === 0) return;
      for (const [name] of refusals) metrics.throttled.inc({ limiter: name });
      throw new ThrottledError(Math.max(...refusals.map(([, s]) => s)));
    },

    async failed(identifier, ip) {
      const k = keys(identifier, ip);
      const [pair, byIp, byIdentifier] = await Promise.all([
        consecutive.penalty(k.pair, 1),
        perIp.penalty(k.ip, 1),
        perIdentifier.penalty(k.identifier, 1),
      ]);
      // The upsert is atomic, so exactly one failure sees each threshold reached.
      if (pair.consumedPoints === lockout.free_attempts) {
        const n = (await lockouts.penalty(k.pair, 1)).consumedPoints;
        const secs = lockoutSeconds(n);
        await consecutive.block(k.pair, secs);
        await lockoutStarted('identifier_ip', identifier, ip, { seconds: secs, lockout: n });
      }
      if (byIp.consumedPoints === sec.ip_failures_per_hour) {
        await lockoutStarted('ip', identifier, ip, {
          seconds: seconds(byIp),
          limit: sec.ip_failures_per_hour,
        });
      }
      if (byIdentifier.consumedPoints === sec.identifier_failures_per_hour) {
        await lockoutStarted('identifier', identifier, ip, {
          seconds: seconds(byIdentifier),
          limit: sec.identifier_failures_per_hour,
        });
      }
    },

    async succeeded(identifier, ip) {
      const k = keys(identifier, ip);
      await Promise.all([consecutive.delete(k.pair), lockouts.delete(k.pair)]);
    },

    async legacySlot(fn) {
      if (!(await slots.acquire())) {
        metrics.throttled.inc({ limiter: 'legacy_queue' });
        throw new ThrottledError(QUEUE_FULL_RETRY_SECONDS);
      }
      try {
        return await fn();
      } finally {
        slots.release();
      }
    },

    legacyLoad() {
      return { active: slots.active, queued: slots.queued };
    },

    async close() {
      if (sweep) clearInterval(sweep);
    },
  };
}
