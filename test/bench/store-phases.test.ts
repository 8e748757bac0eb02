// Smoke test of the store's bench phases with tiny parameters against the real PostgreSQL,
// MariaDB and Redis: the queue comparison runs on both stores, the statement count sees every
// phase of a login, and the token path runs on the bridge with the Redis store. It checks
// that `BENCH_PHASES=queue,statements,tokens npm run bench` can work, not how fast anything is.
import { describe, expect, it } from 'vitest';
import { benchEndpoints } from '../../bench/endpoints.ts';
import { benchQueue } from '../../bench/queue.ts';
import { GOALS, statementRows } from '../../bench/report-rows.ts';
import { benchStatements } from '../../bench/statements.ts';

const positive = (x: unknown) => {
  expect(typeof x).toBe('number');
  expect(x).toBeGreaterThan(0);
};

describe("the store's bench phases, with tiny parameters", () => {
  it('runs the outbox and pg-boss on PostgreSQL and on PGlite, every job drained', async () => {
    const r = await benchQueue({ jobs: 20, concurrency: 2, batchComplete: false });
    for (const store of ['postgres', 'pglite'] as const) {
      for (const queue of ['outbox', 'pgboss'] as const) {
        const f = r[store][queue];
        expect(f).not.toHaveProperty('error');
        if ('error' in f) continue;
        positive(f.enqueuePerSec);
        positive(f.drainPerSec);
        expect(f.claimToCompleteP99Ms).toBeGreaterThanOrEqual(f.claimToCompleteP50Ms);
      }
    }
    // Two embedded stores start (initdb in WebAssembly) and pg-boss migrates three times.
  }, 240_000);

  it('counts the statements of every phase of a first and a repeat login, and of the token path', async () => {
    const r = await benchStatements({ logins: 1, kinds: ['bridge', 'bridge-redis'] });
    const pg = r.results.bridge!;
    expect(Object.keys(pg.first.phases).sort()).toEqual([
      'authorize',
      'login page',
      'login post',
      'resume',
      'token',
    ]);
    expect(pg.first.legacy).toBe(1);
    // The coexistence re-check: one indexed lookup of the migrated user's legacy row.
    expect(pg.repeat.legacy).toBe(1);
    // A first login writes the account, its job and its audit rows in one statement, as a
    // repeat login records itself with its audit row in one; the first login's one more is the
    // user's attempt counters, taken once the legacy database has said who the user is.
    expect(pg.first.phases['login post']).toBe(pg.repeat.phases['login post']! + 1);
    const redis = r.results['bridge-redis']!;
    // With Redis, oidc-provider's short-lived payloads leave PostgreSQL.
    expect(redis.first.total).toBeLessThan(pg.first.total);
    expect(redis.first.phases.authorize).toBeUndefined();
    // A userinfo request reads its token with its grant and session in one statement on
    // PostgreSQL; with Redis that token is in Redis and PostgreSQL sees at most the grant.
    expect(pg.tokenPath.userinfo).toBe(1);
    expect(redis.tokenPath.userinfo).toBeLessThanOrEqual(1);
    // The report: first and repeat logins on each store, each against the goal.
    const rows = statementRows(r).filter((x) => x.target !== '');
    expect(rows.map((x) => x.figure)).toEqual([
      'SQL statements per first login, PostgreSQL store (1 logins)',
      'SQL statements per repeat login, PostgreSQL store (1 logins)',
      'SQL statements per first login, Redis store (1 logins)',
      'SQL statements per repeat login, Redis store (1 logins)',
    ]);
    // Judged on everything a login sends to the store: the attempt counters go through knex
    // with the rest, and nothing passes its events by any more.
    expect(pg.first.rateLimits).toBe(0);
    expect(rows[0]).toMatchObject({
      target: `<= ${GOALS.statementsPerLogin}`,
      met: pg.first.total + pg.first.rateLimits <= GOALS.statementsPerLogin,
    });
  });

  it('hammers the token path of the bridge on Redis without a failed request', async () => {
    const r = await benchEndpoints({
      amount: 40,
      connections: 2,
      warmupSec: 0,
      kinds: ['bridge-redis', 'bare-memory'],
      endpoints: ['userinfo', 'introspection', 'refresh'],
    });
    for (const e of ['userinfo', 'introspection', 'refresh'] as const) {
      const x = r.results['bridge-redis']?.[e];
      positive(x?.rps);
      expect(x?.failures).toBe(0);
    }
    positive(r.redisRatioToBareMemory.userinfo);
  });
});
