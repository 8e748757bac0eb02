// Smoke test of the bench parts that measure the newer login-path work, with tiny parameters
// against the real PostgreSQL and MariaDB: the failure floor on and off, an authenticator code
// and a passkey assertion at login, the coexistence re-check, and their rows of the report.
// It checks that `npm run bench` can measure them, not how fast anything is.
import { describe, expect, it } from 'vitest';
import { benchFailureFloor, benchSecondFactors } from '../../bench/hot-path.ts';
import { benchRecheck } from '../../bench/recheck.ts';
import { GOALS, hotPathRows } from '../../bench/report-rows.ts';
import { redisReachable } from '../../bench/support/redis-reachable.ts';

const positive = (x: unknown) => {
  expect(typeof x).toBe('number');
  expect(x).toBeGreaterThan(0);
};

describe('the login-path cost benches, with tiny parameters', () => {
  it('makes unknown users wait for the floor and logs the same users in with the floor on and off', async () => {
    const r = await benchFailureFloor({ users: 4, rounds: 1, concurrency: 2, failuresPerSec: 4 });
    positive(r.successPerSec.on);
    positive(r.successPerSec.off);
    expect(r.successRatio).toBeCloseTo(r.successPerSec.on / r.successPerSec.off, 1);
    positive(r.failureMedianMs.on);
    positive(r.failureMedianMs.off);
    // Each failure's sleep in the floor was timed; the floor never holds one past its cap.
    expect(r.waitMs).toBeGreaterThanOrEqual(0);
    expect(r.waitP99Ms).toBeGreaterThanOrEqual(r.waitMs);
    expect(r.waitP99Ms).toBeLessThan(2100);
    positive(r.floorMs);
  });

  it('checks an authenticator code and verifies a passkey assertion from a software authenticator', async () => {
    const r = await benchSecondFactors({ checks: 3 });
    positive(r.totp.medianMs);
    positive(r.passkey.medianMs);
    expect(r.passkey.p99Ms).toBeGreaterThanOrEqual(r.passkey.medianMs);
  });

  it('puts each cost in a row of the report, the floor with its goal for success logins', async () => {
    const recheck = await benchRecheck({ users: 20, lookups: 10 });
    positive(recheck.recheckP50Ms);
    const rows = hotPathRows({
      recheck,
      floor: {
        users: 4,
        concurrency: 2,
        failuresPerSec: 4,
        successPerSec: { on: 9, off: 10 },
        successRatio: 0.9,
        failureMedianMs: { on: 300, off: 100 },
        waitMs: 200,
        waitP99Ms: 260,
        floorMs: 310,
      },
      factors: { error: 'PostgreSQL went away' },
      consolePages: { missing: true },
    });
    expect(rows.find((r) => r.figure.startsWith('coexistence re-check'))?.value).toMatch(
      /^p50 [\d.]+ \/ p99/,
    );
    const success = rows.find((r) => r.figure.includes('success logins/s'));
    expect(success).toMatchObject({ target: `>= ${GOALS.successWithFloor}`, met: false });
    expect(rows.find((r) => r.figure === 'second factors at login')?.value).toBe(
      'error: PostgreSQL went away',
    );
  });

  it('tells a Redis that answers from a port where none listens', async () => {
    expect(await redisReachable()).toBe(true);
    expect(await redisReachable('redis://127.0.0.1:1', 500)).toBe(false);
  });
});
