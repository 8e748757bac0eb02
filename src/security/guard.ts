// The login guard: lockouts with a doubling delay per identifier and IP, hourly failure
// budgets per IP and per identifier, and a per-process cap on legacy lookups. An attempt is
// reserved on every counter before the legacy database is asked anything (consumed first,
// given back on success), so a burst of concurrent guesses gets no more than the limit
// through. Identifiers count under their collation key, and a guess that finds a user counts
// against that user too, whatever it was spelled. Counters live in the store's rate_limits
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
import type { LoginGuard, LoginReservation } from '../migration/login.ts';
import type { Store } from '../store/db.ts';
import type { Audit } from './audit.ts';
import { collationKey } from './identifier-key.ts';

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

/** `Foo`, ` foo `, `ｆｏｏ` and `fóo` are one person to an attacker's counter. */
export const normaliseIdentifier = collationKey;

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

export function createLoginGuard(deps: LoginGuardDeps): BridgeLoginGuard {
  const { store, metrics, audit, logger } = deps;
  const sec = deps.config.security;
  const lockout = sec.lockout;
  const shared = store.kind === 'postgres';

  function limiter(keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    // knex-pglite hands out the PGlite instance itself, whose query() does not take pg's
    // {text, values} objects, so the embedded store (one process by design) counts in memory.
    if (!shared) return memory;
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

  // Consecutive failures of one identifier (or one user) from one IP; a lockout is a block on this key.
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

  type Reason = 'identifier_ip' | 'ip' | 'identifier';
  /** One counter an attempt holds a point of, and what reaching its limit means. */
  interface Held {
    limiter: RateLimiterAbstract;
    key: string;
    reason: Reason;
    limit: number;
    /** Points on the key after this attempt's: exactly one attempt sees the limit reached. */
    consumed: number;
  }

  function lockoutSeconds(n: number): number {
    // 2 ** n overflows to Infinity long before n could, and min() takes care of it.
    return Math.min(lockout.base_seconds * 2 ** Math.max(n - 1, 0), lockout.max_seconds);
  }

  async function lockoutStarted(
    reason: Reason,
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

  const LIMITER_NAME: Record<Reason, string> = {
    identifier_ip: 'lockout',
    ip: 'ip',
    identifier: 'identifier',
  };

  type Refusal = [Reason, number];

  /**
   * Takes one point on each counter at once. When any refuses, the points the others gave are
   * handed back (a refused attempt costs no budget) and the refusals say how long to wait.
   */
  async function take(wanted: Array<Omit<Held, 'consumed'>>): Promise<{ held: Held[]; refused: Refusal[] }> {
    const results = await Promise.allSettled(wanted.map((w) => w.limiter.consume(w.key, 1)));
    const refused: Refusal[] = [];
    const held: Held[] = [];
    results.forEach((r, i) => {
      const w = wanted[i]!;
      if (r.status === 'fulfilled') held.push({ ...w, consumed: r.value.consumedPoints });
      else if (r.reason instanceof Error) throw r.reason;
      else refused.push([w.reason, seconds(r.reason as RateLimiterRes)]);
    });
    if (refused.length === 0) return { held, refused };
    await giveBack(held);
    return { held: [], refused };
  }

  function refuse(refused: Refusal[]): never {
    for (const [reason] of refused) metrics.throttled.inc({ limiter: LIMITER_NAME[reason] });
    throw new ThrottledError(Math.max(...refused.map(([, s]) => s)));
  }

  async function giveBack(held: Held[]): Promise<void> {
    await Promise.all(held.map((h) => h.limiter.reward(h.key, 1)));
  }

  function countersFor(kind: 'identifier' | 'subject', value: string, address: string) {
    return [
      {
        limiter: consecutive,
        key: keyOf(`pair:${kind}`, `${address}\0${value}`),
        reason: 'identifier_ip' as const,
        limit: lockout.free_attempts,
      },
      {
        limiter: perIdentifier,
        key: keyOf(kind, value),
        reason: 'identifier' as const,
        limit: sec.identifier_failures_per_hour,
      },
    ];
  }

  return {
    backend: shared ? 'postgres' : 'memory',

    async reserve(identifier, ip): Promise<LoginReservation> {
      const address = normaliseIp(ip);
      const byName = countersFor('identifier', collationKey(identifier), address);
      const byIp = {
        limiter: perIp,
        key: keyOf('ip', address),
        reason: 'ip' as const,
        limit: sec.ip_failures_per_hour,
      };
      const first = await take([...byName, byIp]);
      if (first.refused.length) refuse(first.refused);
      const held = first.held;
      // The name typed, then the other names of the user it found (username, e-mail).
      const names = [collationKey(identifier)];
      /** Refuses every name of the user, from this IP (a lockout) or from all (the hourly cap). */
      const blockNames = (reason: Reason, secs: number) =>
        Promise.all(
          names.map((name) => {
            const [pair, everywhere] = countersFor('identifier', name, address);
            return reason === 'identifier_ip'
              ? consecutive.block(pair!.key, secs)
              : perIdentifier.block(everywhere!.key, secs);
          }),
        );
      let settled = false;
      const settle = () => {
        if (settled) throw new Error('a login reservation is settled once');
        settled = true;
      };
      return {
        async resolved(subject, aliases = []) {
          for (const a of aliases) {
            const k = collationKey(a);
            if (k && !names.includes(k)) names.push(k);
          }
          const more = await take(countersFor('subject', subject, address));
          if (more.refused.length === 0) {
            held.push(...more.held);
            return;
          }
          // This guess reached the legacy database once; until the user's own wait is over
          // every name the user has is refused up front, so none reaches the database again.
          settle();
          await giveBack(held);
          await Promise.all(more.refused.map(([reason, secs]) => blockNames(reason, secs)));
          refuse(more.refused);
        },

        async failed() {
          settle();
          // The upserts are atomic, so exactly one attempt sees each limit reached.
          const reached = held.filter((h) => h.consumed === h.limit);
          const pairs = held.filter((h) => h.reason === 'identifier_ip');
          if (reached.some((h) => h.reason === 'identifier_ip')) {
            const counts = await Promise.all(
              reached.filter((h) => h.reason === 'identifier_ip').map((h) => lockouts.penalty(h.key, 1)),
            );
            const n = Math.max(...counts.map((c) => c.consumedPoints));
            const secs = lockoutSeconds(n);
            // The user and every name it goes by are locked out together.
            await Promise.all([
              ...pairs.map((h) => consecutive.block(h.key, secs)),
              blockNames('identifier_ip', secs),
            ]);
            await lockoutStarted('identifier_ip', identifier, ip, { seconds: secs, lockout: n });
          }
          for (const reason of new Set(reached.map((h) => h.reason))) {
            if (reason === 'identifier_ip') continue;
            if (reason === 'identifier') await blockNames('identifier', HOUR);
            await lockoutStarted(reason, identifier, ip, {
              seconds: HOUR,
              limit: reason === 'ip' ? sec.ip_failures_per_hour : sec.identifier_failures_per_hour,
            });
          }
        },

        async succeeded() {
          settle();
          await Promise.all(
            held.map((h) =>
              h.limiter === consecutive
                ? Promise.all([consecutive.delete(h.key), lockouts.delete(h.key)])
                : h.limiter.reward(h.key, 1),
            ),
          );
        },

        async release() {
          if (settled) return;
          settled = true;
          await giveBack(held);
        },
      };
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
