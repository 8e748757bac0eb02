// The login guard against a real PostgreSQL store: lockouts that double, hourly budgets per
// IP and per identifier, counters shared by replicas, the legacy concurrency cap, and the
// in-memory fallback of the embedded store.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { ThrottledError } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import type { LoginReservation } from '../../src/migration/login.ts';
import { createAudit } from '../../src/security/audit.ts';
import {
  createLoginGuard,
  normaliseIdentifier,
  normaliseIp,
  QUEUE_FULL_RETRY_SECONDS,
  RATE_LIMIT_TABLE,
} from '../../src/security/guard.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createSemaphore } from '../../src/util/semaphore.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

let database: TestDatabase;
let store: Store;

beforeAll(async () => {
  database = await createPgDatabase();
  store = createStore({ database: database.url });
  await store.migrate();
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

beforeEach(async () => {
  await store.db(RATE_LIMIT_TABLE).delete();
  await store.db('audit_events').delete();
});

function guardFor(security: Record<string, unknown> = {}, s: Store = store) {
  const config = parseConfig({
    security: { lockout: { free_attempts: 3, base_seconds: 60, max_seconds: 200 }, ...security },
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const guard = createLoginGuard({
    config,
    store: s,
    metrics,
    audit: createAudit(s.db, silentLogger),
    logger: silentLogger,
  });
  return { guard, metrics };
}

async function retryAfterOf(p: Promise<unknown>): Promise<number> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ThrottledError);
  return (err as ThrottledError).retryAfter;
}

type Guard = ReturnType<typeof guardFor>['guard'];

/** An attempt that is let through and gives its point back: the guard's answer, nothing spent. */
async function probe(guard: Guard, identifier: string, ip: string): Promise<undefined> {
  await (await guard.reserve(identifier, ip)).release();
  return undefined;
}

async function failOnce(guard: Guard, identifier: string, ip: string, subject?: string) {
  const hold = await guard.reserve(identifier, ip);
  if (subject) await hold.resolved(subject);
  await hold.failed();
}

async function succeedOnce(guard: Guard, identifier: string, ip: string) {
  await (await guard.reserve(identifier, ip)).succeeded();
}

async function failTimes(guard: Guard, n: number, identifier: string, ip: string) {
  for (let i = 0; i < n; i++) await failOnce(guard, identifier, ip);
}

/** Lets every block on the consecutive counters run out, as if the lockout had been waited for. */
async function expireLockouts(s: Store = store) {
  await s
    .db(RATE_LIMIT_TABLE)
    .where('key', 'like', 'login_consecutive:%')
    .update({ expire: Date.now() - 1 });
}

describe('lockout of one identifier from one IP', () => {
  it('refuses the attempt after free_attempts consecutive failures, with the lockout as Retry-After', async () => {
    const { guard } = guardFor();
    await failTimes(guard, 3, 'alice', '10.0.0.1');
    const retry = await retryAfterOf(probe(guard, 'alice', '10.0.0.1'));
    expect(retry).toBeGreaterThanOrEqual(59);
    expect(retry).toBeLessThanOrEqual(60);
  });

  it('lets the same identifier in from another IP, and another identifier from the same IP', async () => {
    const { guard } = guardFor();
    await failTimes(guard, 3, 'alice', '10.0.0.1');
    await expect(probe(guard, 'alice', '10.0.0.2')).resolves.toBeUndefined();
    await expect(probe(guard, 'bob', '10.0.0.1')).resolves.toBeUndefined();
  });

  it('doubles each further lockout and caps it at max_seconds', async () => {
    const { guard } = guardFor();
    const seen: number[] = [];
    for (let round = 0; round < 4; round++) {
      await failTimes(guard, 3, 'alice', '10.0.0.1');
      seen.push(await retryAfterOf(probe(guard, 'alice', '10.0.0.1')));
      await expireLockouts();
    }
    expect(seen.map((s) => Math.round(s / 10) * 10)).toEqual([60, 120, 200, 200]);
  });

  it('forgets the failures and the lockout count at a successful login', async () => {
    const { guard } = guardFor();
    await failTimes(guard, 3, 'alice', '10.0.0.1');
    await expireLockouts();
    await succeedOnce(guard, 'alice', '10.0.0.1');
    await failTimes(guard, 2, 'alice', '10.0.0.1');
    await expect(probe(guard, 'alice', '10.0.0.1')).resolves.toBeUndefined();
    await failOnce(guard, 'alice', '10.0.0.1');
    // the first lockout again, not the doubled second one
    expect(await retryAfterOf(probe(guard, 'alice', '10.0.0.1'))).toBeLessThanOrEqual(60);
  });

  it('counts "Foo", " foo " and "FOO" as one identifier', async () => {
    const { guard } = guardFor();
    await failOnce(guard, 'Foo', '10.0.0.1');
    await failOnce(guard, ' foo ', '10.0.0.1');
    await failOnce(guard, 'FOO', '10.0.0.1');
    await expect(probe(guard, 'foo', '10.0.0.1')).rejects.toBeInstanceOf(ThrottledError);
  });

  it('writes one lockout audit event when the lockout starts, none for the attempts it refuses', async () => {
    const { guard, metrics } = guardFor();
    await failTimes(guard, 3, 'alice', '10.0.0.1');
    for (let i = 0; i < 5; i++)
      await expect(probe(guard, 'alice', '10.0.0.1')).rejects.toBeInstanceOf(ThrottledError);
    const events = await store.db('audit_events').where({ type: 'lockout' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      reason: 'identifier_ip',
      identifier: 'alice',
      ip: '10.0.0.1',
      outcome: 'info',
    });
    expect(events[0].details).toMatchObject({ seconds: 60, lockout: 1 });
    const throttled = await metrics.throttled.get();
    expect(throttled.values.find((v) => v.labels.limiter === 'lockout')?.value).toBe(5);
  });

  it('keeps neither the login name nor the address in the rate_limits table', async () => {
    const { guard } = guardFor();
    await failTimes(guard, 3, 'alice@example.com', '10.0.0.1');
    const rows = await store.db(RATE_LIMIT_TABLE).select('key');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.key).not.toContain('alice');
      expect(r.key).not.toContain('10.0.0.1');
    }
  });
});

describe('spellings and aliases of one user', () => {
  it('counts the spellings a case- and accent-insensitive collation equates as one identifier', async () => {
    const { guard } = guardFor();
    await failOnce(guard, 'victim', '10.0.0.1');
    await failOnce(guard, 'ｖｉｃｔｉｍ', '10.0.0.1');
    await failOnce(guard, 'víctim', '10.0.0.1');
    for (const spelling of ['victim\u200b', 'VÍCTIM', 'vic\u00adtim', ' Victim ']) {
      await expect(probe(guard, spelling, '10.0.0.1')).rejects.toBeInstanceOf(ThrottledError);
    }
  });

  it('counts two different names that find one user against that user, and refuses the next one', async () => {
    const { guard } = guardFor();
    await failOnce(guard, 'victim', '10.0.0.1', 'legacy:42');
    await failOnce(guard, 'victim@example.com', '10.0.0.1', 'legacy:42');
    await failOnce(guard, 'victim', '10.0.0.1', 'legacy:42');
    // A third alias gets past the name counters, then is refused once it finds the user.
    const hold = await guard.reserve('v.ictim@example.org', '10.0.0.1');
    await expect(hold.resolved('legacy:42')).rejects.toBeInstanceOf(ThrottledError);
    // And that alias is now refused before any lookup.
    await expect(probe(guard, 'v.ictim@example.org', '10.0.0.1')).rejects.toBeInstanceOf(ThrottledError);
    const events = await store.db('audit_events').where({ type: 'lockout' });
    expect(events).toHaveLength(1);
  });
});

describe('concurrent attempts', () => {
  it('lets no more than free_attempts of 60 simultaneous guesses through', async () => {
    const { guard } = guardFor({ lockout: { free_attempts: 10 } });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, () => guard.reserve('burst', '10.0.0.1')),
    );
    const held = outcomes.filter((o) => o.status === 'fulfilled');
    expect(held).toHaveLength(10);
    expect(
      outcomes.filter((o) => o.status === 'rejected').every((o) => o.reason instanceof ThrottledError),
    ).toBe(true);
    for (const h of held) await (h as PromiseFulfilledResult<LoginReservation>).value.failed();
    await expect(probe(guard, 'burst', '10.0.0.1')).rejects.toBeInstanceOf(ThrottledError);
  });

  it('gives a reserved attempt back at success, so a user who logs in spends no budget', async () => {
    const { guard } = guardFor({ ip_failures_per_hour: 2 });
    for (let i = 0; i < 5; i++) await succeedOnce(guard, `user${i}`, '10.0.0.3');
    await expect(probe(guard, 'someone', '10.0.0.3')).resolves.toBeUndefined();
  });
});

describe('hourly budgets', () => {
  it('refuses an IP that has spent ip_failures_per_hour failures over many identifiers', async () => {
    const { guard } = guardFor({ ip_failures_per_hour: 5 });
    for (let i = 0; i < 5; i++) await failOnce(guard, `user${i}`, '10.0.0.9');
    const retry = await retryAfterOf(probe(guard, 'somebody-new', '10.0.0.9'));
    expect(retry).toBeGreaterThan(3500);
    await expect(probe(guard, 'somebody-new', '10.0.0.10')).resolves.toBeUndefined();
  });

  it('refuses an identifier guessed at from many IPs once identifier_failures_per_hour is spent', async () => {
    const { guard } = guardFor({ identifier_failures_per_hour: 6 });
    for (let i = 0; i < 6; i++) await failOnce(guard, 'carol', `10.0.1.${i}`);
    await expect(probe(guard, 'carol', '10.0.2.1')).rejects.toBeInstanceOf(ThrottledError);
    await expect(probe(guard, 'dave', '10.0.2.1')).resolves.toBeUndefined();
    const reasons = (await store.db('audit_events').where({ type: 'lockout' })).map((e) => e.reason);
    expect(reasons).toEqual(['identifier']);
  });

  it('counts an IPv6 /64 as one address', async () => {
    const { guard } = guardFor({ ip_failures_per_hour: 3 });
    await failOnce(guard, 'a', '2001:db8:1:2::1');
    await failOnce(guard, 'b', '2001:db8:1:2:ffff::2');
    await failOnce(guard, 'c', '2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd');
    await expect(probe(guard, 'd', '2001:db8:1:2::99')).rejects.toBeInstanceOf(ThrottledError);
    await expect(probe(guard, 'd', '2001:db8:1:3::1')).resolves.toBeUndefined();
  });
});

describe('replicas', () => {
  it('share their counters through the store: a lockout on one is a lockout on the other', async () => {
    const other = createStore({ database: database.url });
    try {
      const a = guardFor({}, store).guard;
      const b = guardFor({}, other).guard;
      expect(a.backend).toBe('postgres');
      await failOnce(a, 'erin', '10.0.0.1');
      await failOnce(b, 'erin', '10.0.0.1');
      await failOnce(a, 'erin', '10.0.0.1');
      await expect(probe(b, 'erin', '10.0.0.1')).rejects.toBeInstanceOf(ThrottledError);
      expect(await store.db('audit_events').where({ type: 'lockout' })).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});

describe('the legacy concurrency cap', () => {
  it('runs at most legacy_concurrency lookups at once and queues the rest in order', async () => {
    const { guard } = guardFor({ legacy_concurrency: 2, legacy_queue: 10 });
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const job = (i: number) =>
      guard.legacySlot(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        order.push(i);
        return i;
      });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => job(i)));
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(2);
    expect(order.slice(0, 2).sort()).toEqual([0, 1]);
    expect(guard.legacyLoad()).toEqual({ active: 0, queued: 0 });
  });

  it('refuses a lookup beyond the queue with a short Retry-After, and counts it', async () => {
    const { guard, metrics } = guardFor({ legacy_concurrency: 1, legacy_queue: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const first = guard.legacySlot(() => gate);
    const second = guard.legacySlot(async () => 'second');
    expect(guard.legacyLoad()).toEqual({ active: 1, queued: 1 });
    expect(await retryAfterOf(guard.legacySlot(async () => 'third'))).toBe(QUEUE_FULL_RETRY_SECONDS);
    release();
    await first;
    expect(await second).toBe('second');
    const throttled = await metrics.throttled.get();
    expect(throttled.values.find((v) => v.labels.limiter === 'legacy_queue')?.value).toBe(1);
  });

  it('frees the slot when the lookup throws', async () => {
    const { guard } = guardFor({ legacy_concurrency: 1, legacy_queue: 0 });
    await expect(guard.legacySlot(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(guard.legacySlot(async () => 'next')).resolves.toBe('next');
  });

  it('hands a released slot to the oldest waiter rather than to a newcomer', async () => {
    const sem = createSemaphore(1, 5);
    await sem.acquire();
    const got: string[] = [];
    const waiter = sem.acquire().then(() => got.push('waiter'));
    sem.release();
    expect(sem.active).toBe(1);
    await waiter;
    expect(got).toEqual(['waiter']);
  });
});

describe('the embedded store', () => {
  it('counts in memory, since rate-limiter-flexible cannot talk to knex-pglite, and still locks out', async () => {
    const embedded = createStore({ memory: true });
    try {
      await embedded.migrate();
      const { guard } = guardFor({}, embedded);
      expect(guard.backend).toBe('memory');
      await failTimes(guard, 3, 'frank', '10.0.0.1');
      expect(await retryAfterOf(probe(guard, 'frank', '10.0.0.1'))).toBeGreaterThanOrEqual(59);
      expect(await embedded.db('audit_events').where({ type: 'lockout' })).toHaveLength(1);
    } finally {
      await embedded.close();
    }
  });
});

describe('the rate_limits migration', () => {
  it('creates the table rate-limiter-flexible writes to, and drops it on the way down', async () => {
    const scratch = await createPgDatabase();
    const s = createStore({ database: scratch.url });
    try {
      await s.migrate();
      expect(await s.db.schema.hasTable(RATE_LIMIT_TABLE)).toBe(true);
      await failOnce(guardFor({}, s).guard, 'x', '10.0.0.1');
      expect(Number((await s.db(RATE_LIMIT_TABLE).count({ n: '*' }))[0]!.n)).toBe(3);
      await s.db.migrate.down({
        migrationSource: (await import('../../migrations/index.ts')).migrationSource,
        // By name: later migrations may follow it.
        name: '20261122000700_rate-limits',
      });
      expect(await s.db.schema.hasTable(RATE_LIMIT_TABLE)).toBe(false);
    } finally {
      await s.close();
      await scratch.drop();
    }
  });
});

describe('key normalisation', () => {
  it('trims, lowercases and composes an identifier', () => {
    expect(normaliseIdentifier('  Foo@Example.COM ')).toBe('foo@example.com');
    expect(normaliseIdentifier('Cafe\u0301')).toBe(normaliseIdentifier('café'));
  });

  it('maps an IPv4-mapped address to IPv4 and an IPv6 address to its /64', () => {
    expect(normaliseIp('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(normaliseIp('2001:db8::1')).toBe(normaliseIp('2001:0db8:0000:0000:9999::2'));
    expect(normaliseIp('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(normaliseIp(undefined)).toBe('unknown');
  });
});
