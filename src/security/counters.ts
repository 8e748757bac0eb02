// The login guard's attempt counters, several keys per statement. A login holds a point on
// five counters (the name and the address, the name alone, the address alone, then the user
// and the user from that address); rate-limiter-flexible sends one upsert per key, which made
// twelve statements of a successful login. Here each step is one statement: the points taken
// before the lookup, the user's once it is known, and the give-back of a success, which can
// also ride on the login's own statement (`settleWrites`). The rows are rate-limiter-flexible's
// (key `prefix:key`, points, expire in epoch milliseconds) with its arithmetic: a point on an
// expired row starts it again, a block sets the points past the limit until it ends; a row
// forgotten expires at once (the sweep deletes it with the other expired ones). The
// embedded store, one process by design, counts with rate-limiter-flexible's memory limiter.
import type { Knex } from 'knex';
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/db.ts';
import { directStatements } from '../store/direct-statements.ts';
import { asStoreFault } from '../store/faults.ts';

export const RATE_LIMIT_TABLE = 'rate_limits';

/** One kind of counter: how many points it allows in how many seconds. */
export interface Counter {
  readonly prefix: string;
  readonly points: number;
  readonly duration: number;
}

/** One key of one counter. */
export interface CounterKey {
  readonly counter: Counter;
  readonly key: string;
}

/** A key's points after a step, and how long until they are forgotten. */
export interface Count {
  readonly points: number;
  readonly msBeforeNext: number;
}

export interface Counters {
  /** Where they live: `postgres` (shared by replicas) or `memory` (this process). */
  readonly backend: 'postgres' | 'memory';
  /** Adds a point to each key, in one statement; a key's count is its points after this one. */
  add(keys: readonly CounterKey[]): Promise<Count[]>;
  /** Takes a point back from each key still counting, in one statement. */
  giveBack(keys: readonly CounterKey[]): Promise<void>;
  /** Sets each key past its limit for `seconds`, in one statement. */
  block(keys: readonly CounterKey[], seconds: number): Promise<void>;
  /** Forgets `clear` and gives a point back to `back`, in one statement. */
  settle(clear: readonly CounterKey[], back: readonly CounterKey[]): Promise<void>;
  /** What `settle` sends, as writes that another statement can carry; none in memory. */
  settleWrites(db: Knex, clear: readonly CounterKey[], back: readonly CounterKey[]): Knex.QueryBuilder[];
}

const fullKey = (k: CounterKey) => `${k.counter.prefix}:${k.key}`;

/** The keys of one statement, each once (a row cannot be changed twice by one upsert), in key order. */
function distinct(keys: readonly CounterKey[]): CounterKey[] {
  const seen = new Map<string, CounterKey>();
  for (const k of keys) if (!seen.has(fullKey(k))) seen.set(fullKey(k), k);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, k]) => k);
}

function memoryCounters(): Counters {
  const limiters = new Map<string, RateLimiterMemory>();
  const limiterOf = ({ prefix, points, duration }: Counter) => {
    let l = limiters.get(prefix);
    if (!l) {
      l = new RateLimiterMemory({ keyPrefix: prefix, points, duration });
      limiters.set(prefix, l);
    }
    return l;
  };
  const count = (r: RateLimiterRes): Count => ({ points: r.consumedPoints, msBeforeNext: r.msBeforeNext });
  return {
    backend: 'memory',
    // penalty() adds a point without refusing: the guard decides from the count.
    add: (keys) => Promise.all(keys.map((k) => limiterOf(k.counter).penalty(k.key, 1).then(count))),
    async giveBack(keys) {
      await Promise.all(keys.map((k) => limiterOf(k.counter).reward(k.key, 1)));
    },
    async block(keys, seconds) {
      await Promise.all(
        distinct(keys).map(async (k) => {
          const l = limiterOf(k.counter);
          const now = await l.get(k.key);
          const running = now !== null && now.consumedPoints > k.counter.points;
          if (running && now.msBeforeNext >= seconds * 1000) return;
          await l.block(k.key, seconds);
        }),
      );
    },
    async settle(clear, back) {
      await Promise.all([
        ...clear.map((k) => limiterOf(k.counter).delete(k.key)),
        ...back.map((k) => limiterOf(k.counter).reward(k.key, 1)),
      ]);
    },
    settleWrites: () => [],
  };
}

function postgresCounters(db: Knex, logger: Logger): Counters {
  // Each step of a login is one statement, sent past knex's runner as the token path's are.
  const send = directStatements(db);
  // Should the store fail for a moment, this process goes on counting on its own.
  const insurance = memoryCounters();
  async function orInsurance<T>(fn: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      // As rate-limiter-flexible's insurance limiter does, whatever the error: a login is
      // never failed by its counters.
      const fault = asStoreFault(err);
      (fault ? logger.debug : logger.warn).call(
        logger,
        { errorCode: (err as { code?: string }).code },
        'rate limits counted in memory',
      );
      return fallback();
    }
  }

  /**
   * One upsert of many keys, in key order: every statement here takes its rows' locks in that
   * order, so concurrent logins that share a key (one address, one name) wait, never deadlock.
   * `force` replaces the row (a block); otherwise points add up.
   */
  async function upsert(
    keys: readonly CounterKey[],
    points: (k: CounterKey) => number,
    ms: (k: CounterKey) => number,
    force: boolean,
  ): Promise<Map<string, Count>> {
    const now = Date.now();
    const rows = distinct(keys).map((k) => [fullKey(k), points(k), now + ms(k)]);
    const values = rows.map(() => '(?, ?, ?)').join(', ');
    // A block never shortens one that is running (a lockout of the user must not cut short
    // the hour its name is already refused for).
    const set = force
      ? `points = excluded.points,
         expire = CASE WHEN r.points >= excluded.points AND r.expire > ? THEN GREATEST(r.expire, excluded.expire)
                       ELSE excluded.expire END`
      : `points = CASE WHEN r.expire <= ? THEN excluded.points ELSE r.points + excluded.points END,
         expire = CASE WHEN r.expire <= ? THEN excluded.expire ELSE r.expire END`;
    const result = await send<{ key: string; points: number; expire: string | number | null }>(
      `INSERT INTO ${RATE_LIMIT_TABLE} AS r (key, points, expire) VALUES ${values}
         ON CONFLICT (key) DO UPDATE SET ${set} RETURNING key, points, expire`,
      [...rows.flat(), ...(force ? [now] : [now, now])],
    );
    return new Map(
      result.map((r) => [
        r.key,
        {
          points: Number(r.points),
          msBeforeNext: r.expire === null ? -1 : Math.max(Number(r.expire) - now, 0),
        },
      ]),
    );
  }

  /**
   * Forgets `clear` (its row expires at once, which counts as no row) and takes a point back
   * from each of `back` still counting: one UPDATE, its rows locked in key order first.
   */
  function settleWrite(
    q: Knex,
    clear: readonly CounterKey[],
    back: readonly CounterKey[],
  ): Knex.QueryBuilder {
    const cleared = [...new Set(clear.map(fullKey))];
    const all = [...new Set([...cleared, ...back.map(fullKey)])];
    const now = Date.now();
    const isCleared = cleared.length ? q.raw('?? = ANY(?::text[])', ['key', cleared]) : q.raw('false');
    return q(RATE_LIMIT_TABLE)
      .whereIn(
        'key',
        q(RATE_LIMIT_TABLE)
          .select('key')
          .whereIn('key', all)
          .andWhere((w) => w.where(isCleared).orWhere('expire', '>', now))
          // Byte order, as the upserts' keys are sorted: the column's collation may differ.
          .orderByRaw('?? COLLATE "C"', ['key'])
          .forUpdate(),
      )
      .update({
        points: q.raw('CASE WHEN ? THEN 0 ELSE ?? - 1 END', [isCleared, 'points']),
        expire: q.raw('CASE WHEN ? THEN 0 ELSE ?? END', [isCleared, 'expire']),
      });
  }

  return {
    backend: 'postgres',
    add: (keys) => {
      if (keys.length === 0) return Promise.resolve([]);
      // A key asked for twice in one step counts twice, as two steps would.
      const times = (k: CounterKey) => keys.filter((x) => fullKey(x) === fullKey(k)).length;
      return orInsurance(
        async () => {
          const counts = await upsert(keys, times, (k) => k.counter.duration * 1000, false);
          return keys.map((k) => counts.get(fullKey(k))!);
        },
        () => insurance.add(keys),
      );
    },
    async giveBack(keys) {
      if (keys.length === 0) return;
      await orInsurance(
        async () => {
          await settleWrite(db, [], keys);
        },
        () => insurance.giveBack(keys),
      );
    },
    async block(keys, seconds) {
      if (keys.length === 0) return;
      await orInsurance(
        async () => {
          await upsert(
            keys,
            (k) => k.counter.points + 1,
            () => seconds * 1000,
            true,
          );
        },
        () => insurance.block(keys, seconds),
      );
    },
    async settle(clear, back) {
      if (clear.length + back.length === 0) return;
      await orInsurance(
        async () => {
          await settleWrite(db, clear, back);
        },
        () => insurance.settle(clear, back),
      );
    },
    settleWrites: (q, clear, back) => (clear.length + back.length ? [settleWrite(q, clear, back)] : []),
  };
}

/**
 * The counters in the store's rate_limits table, shared by every replica. knex-pglite hands
 * out the PGlite instance itself, and the embedded store is one process by design: it counts
 * in memory.
 */
export function createCounters(store: Pick<Store, 'db' | 'kind'>, logger: Logger): Counters {
  return store.kind === 'postgres' ? postgresCounters(store.db, logger) : memoryCounters();
}
