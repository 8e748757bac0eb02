// The login guard: lockouts with a doubling delay per identifier and IP, hourly failure
// budgets per IP and per identifier, and a per-process cap on legacy lookups. An attempt is
// reserved on every counter before the legacy database is asked anything (consumed first,
// given back on success), so a burst of concurrent guesses gets no more than the limit
// through. Identifiers count under their collation key, and a guess that finds a user counts
// against that user too, whatever it was spelled. Counters live in the store's rate_limits
// table, so every replica sees the same ones, a step of a login in one statement
// (src/security/counters.ts); the embedded store keeps them in memory.
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { Knex } from 'knex';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Config } from '../config/schema.ts';
import { ThrottledError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { LoginGuard, LoginReservation } from '../migration/login.ts';
import type { Store } from '../store/db.ts';
import { createSemaphore } from '../util/semaphore.ts';
import type { Audit } from './audit.ts';
import { type Counter, type CounterKey, createCounters, RATE_LIMIT_TABLE } from './counters.ts';
import { collationKey } from './identifier-key.ts';

export { RATE_LIMIT_TABLE };

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

/**
 * Deletes counters expired an hour ago, a batch at a time, taking only rows no login holds:
 * a sweep never waits on a login, nor a login on it.
 */
export async function sweepExpiredCounters(db: Knex, batch = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db(RATE_LIMIT_TABLE)
      .whereIn(
        'key',
        db(RATE_LIMIT_TABLE)
          .select('key')
          .where('expire', '<', Date.now() - HOUR * 1000)
          .orderByRaw('?? COLLATE "C"', ['key'])
          .limit(batch)
          .forUpdate()
          .skipLocked(),
      )
      .delete();
    total += n;
    if (n < batch) return total;
  }
}

export function createLoginGuard(deps: LoginGuardDeps): BridgeLoginGuard {
  const { store, metrics, audit, logger } = deps;
  const sec = deps.config.security;
  const lockout = sec.lockout;
  const counters = createCounters(store, logger);
  const shared = counters.backend === 'postgres';

  // Consecutive failures of one identifier (or one user) from one IP; a lockout is a block on this key.
  const consecutive: Counter = {
    prefix: 'login_consecutive',
    points: lockout.free_attempts,
    duration: lockout.reset_seconds,
  };
  // How many lockouts that pair has had since it last succeeded: each one doubles.
  const lockouts: Counter = { prefix: 'login_lockouts', points: 1_000_000, duration: lockout.reset_seconds };
  const perIp: Counter = { prefix: 'login_ip', points: sec.ip_failures_per_hour, duration: HOUR };
  const perIdentifier: Counter = {
    prefix: 'login_identifier',
    points: sec.identifier_failures_per_hour,
    duration: HOUR,
  };
  const slots = createSemaphore(sec.legacy_concurrency, sec.legacy_queue);

  const sweep = shared
    ? setInterval(() => {
        sweepExpiredCounters(store.db).catch((err: { code?: string }) =>
          logger.debug({ errorCode: err.code }, 'rate limit sweep failed'),
        );
      }, SWEEP_MS).unref()
    : undefined;

  type Reason = 'identifier_ip' | 'ip' | 'identifier';
  /** One counter an attempt holds a point of, and what reaching its limit means. */
  interface Wanted extends CounterKey {
    reason: Reason;
    /** Whether it counts the user found rather than the name typed. */
    subject: boolean;
  }
  interface Held extends Wanted {
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

  type Refusal = [Reason, number, Wanted];

  /**
   * Takes one point on each counter, in one statement. When any refuses, the points the
   * others gave are handed back (a refused attempt costs no budget) and the refusals say how
   * long to wait.
   */
  async function take(wanted: Wanted[]): Promise<{ held: Held[]; refused: Refusal[] }> {
    const counts = await counters.add(wanted);
    const refused: Refusal[] = [];
    const held: Held[] = [];
    counts.forEach((c, i) => {
      const w = wanted[i]!;
      if (c.points <= w.counter.points) held.push({ ...w, consumed: c.points });
      else refused.push([w.reason, Math.max(1, Math.ceil(c.msBeforeNext / 1000)), w]);
    });
    // Every key took a point; the refused ones' points go back with the rest.
    if (refused.length) await counters.giveBack(wanted);
    return refused.length ? { held: [], refused } : { held, refused };
  }

  function refuse(refused: Refusal[]): never {
    for (const [reason] of refused) metrics.throttled.inc({ limiter: LIMITER_NAME[reason] });
    throw new ThrottledError(Math.max(...refused.map(([, s]) => s)));
  }

  function countersFor(kind: 'identifier' | 'subject', value: string, address: string): Wanted[] {
    const subject = kind === 'subject';
    return [
      {
        counter: consecutive,
        key: keyOf(`pair:${kind}`, `${address}\0${value}`),
        reason: 'identifier_ip',
        subject,
      },
      { counter: perIdentifier, key: keyOf(kind, value), reason: 'identifier', subject },
    ];
  }

  return {
    backend: counters.backend,

    async reserve(identifier, ip, knownSubject): Promise<LoginReservation> {
      const address = normaliseIp(ip);
      // The name typed, then the other names of the user it found (username, e-mail).
      const names = [collationKey(identifier)];
      /** Refuses every name of the user, from this IP (a lockout) or from all (the hourly cap). */
      const blockNames = (reason: Reason, secs: number) =>
        counters.block(
          names.map((name) => countersFor('identifier', name, address)[reason === 'identifier_ip' ? 0 : 1]!),
          secs,
        );
      const held: Held[] = [];
      let subject: string | undefined;
      /**
       * Takes the points, and when the user's own counters refuse: this guess reached the
       * store or the legacy database once; until the user's wait is over every name the user
       * has is refused up front, so none reaches it again.
       */
      const hold = async (wanted: Wanted[]) => {
        const got = await take(wanted);
        if (got.refused.length === 0) {
          held.push(...got.held);
          return;
        }
        if (held.length) await counters.giveBack(held);
        held.length = 0;
        const userRefusals = got.refused.filter(([, , w]) => w.subject);
        for (const reason of new Set(userRefusals.map(([r]) => r))) {
          const secs = Math.max(...userRefusals.filter(([r]) => r === reason).map(([, s]) => s));
          await blockNames(reason, secs);
        }
        refuse(got.refused);
      };
      const byIp: Wanted = { counter: perIp, key: keyOf('ip', address), reason: 'ip', subject: false };
      // A user the store already knows counts from the first statement.
      if (knownSubject !== undefined) subject = knownSubject;
      await hold([
        ...countersFor('identifier', collationKey(identifier), address),
        byIp,
        ...(subject === undefined ? [] : countersFor('subject', subject, address)),
      ]);
      let settled = false;
      const settle = () => {
        if (settled) throw new Error('a login reservation is settled once');
        settled = true;
      };
      const clearAndBack = () => {
        const clear = held.filter((h) => h.counter === consecutive);
        return {
          clear: [...clear, ...clear.map((h) => ({ counter: lockouts, key: h.key }))],
          back: held.filter((h) => h.counter !== consecutive),
        };
      };
      return {
        async resolved(found, aliases = []) {
          for (const a of aliases) {
            const k = collationKey(a);
            if (k && !names.includes(k)) names.push(k);
          }
          if (subject === found) return;
          if (subject !== undefined) throw new Error('a login reservation resolves to one user');
          subject = found;
          // Refused, the points are given back already; any other error leaves them to release().
          await hold(countersFor('subject', found, address));
        },

        async failed() {
          settle();
          // The upserts are atomic, so exactly one attempt sees each limit reached.
          const reached = held.filter((h) => h.consumed === h.counter.points);
          const pairs = held.filter((h) => h.reason === 'identifier_ip');
          const reachedPairs = reached.filter((h) => h.reason === 'identifier_ip');
          if (reachedPairs.length) {
            const counts = await counters.add(reachedPairs.map((h) => ({ counter: lockouts, key: h.key })));
            const n = Math.max(...counts.map((c) => c.points));
            const secs = lockoutSeconds(n);
            // The user and every name it goes by are locked out together.
            await counters.block(
              [...pairs, ...names.map((name) => countersFor('identifier', name, address)[0]!)],
              secs,
            );
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

        successWrites(db) {
          if (settled) return [];
          const { clear, back } = clearAndBack();
          return counters.settleWrites(db, clear, back);
        },

        async succeeded(carried = false) {
          settle();
          if (carried && shared) return;
          const { clear, back } = clearAndBack();
          await counters.settle(clear, back);
        },

        async release() {
          if (settled) return;
          settled = true;
          await counters.giveBack(held);
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
