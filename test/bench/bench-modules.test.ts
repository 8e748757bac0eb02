// Smoke test of the bench modules: each runs with tiny parameters against the real databases
// and returns well-formed numbers. It checks that `npm run bench` can work, not how fast
// anything is; the figures come from the full run (BENCHMARKS.md).
import { describe, expect, it } from 'vitest';
import { benchCeiling, CEILING_PASSWORD, legacyDefaults } from '../../bench/ceiling.ts';
import { benchConsole } from '../../bench/console.ts';
import { benchEndpoints } from '../../bench/endpoints.ts';
import { benchLoginThroughput } from '../../bench/login-throughput.ts';
import { GOALS, hashCpuPerLogin, loginRows, tokenPathRows } from '../../bench/report-rows.ts';
import { verifyPassword } from '../../src/hashing/registry.ts';

const positive = (x: number | undefined) => {
  expect(typeof x).toBe('number');
  expect(Number.isFinite(x)).toBe(true);
  expect(x).toBeGreaterThan(0);
};

describe('the bench modules, with tiny parameters', () => {
  it('measures the hashing ceiling of every scheme and derives the login ceilings from it', async () => {
    const r = await benchCeiling({ durationMs: 150, concurrency: 4, pbkdf2Iterations: 10_000 });
    for (const s of Object.values(r.verify)) positive(s.perSec);
    positive(r.argon2idHash.perSec);
    // CPU per hash, libuv's threads included: a bcrypt cost-10 verify is several milliseconds.
    positive(r.verify.bcrypt10.cpuMsPerOp);
    expect(r.verify.bcrypt10.cpuMsPerOp).toBeGreaterThan(r.verify.saltedSha256.cpuMsPerOp);
    positive(r.argon2idHash.cpuMsPerOp);
    expect(r.firstLoginPerSec).toBeLessThan(Math.min(r.verify.bcrypt10.perSec, r.argon2idHash.perSec));
    expect(r.repeatLoginPerSec).toBe(r.verify.argon2id.perSec);
  });

  it('holds a hash of its password in every legacy format it measures at their defaults', async () => {
    const hashes = legacyDefaults();
    expect(Object.keys(hashes)).toHaveLength(8);
    for (const [label, stored] of Object.entries(hashes)) {
      expect(typeof stored, label).toBe('string');
      expect((await verifyPassword({ password: CEILING_PASSWORD, stored })).match, label).toBe(true);
    }
  }, 120_000);

  it('logs legacy users in through the whole flow, first with a migration and then again, and reports the CPU outside hashing', async () => {
    const ceiling = await benchCeiling({ durationMs: 150, concurrency: 4, pbkdf2Iterations: 10_000 });
    const r = await benchLoginThroughput({
      users: 6,
      concurrency: 2,
      warmup: 2,
      ceiling: { firstLoginPerSec: 10, repeatLoginPerSec: 20 },
    });
    for (const p of [r.firstLogin, r.repeatLogin]) {
      expect(p.logins).toBe(4);
      positive(p.perSec);
      positive(p.ratioToCeiling);
      positive(p.latencyP50Ms);
      expect(p.bridge.eventLoop.p99Ms).toBeGreaterThanOrEqual(0);
      positive(p.bridge.cpuMs);
    }
    const rows = loginRows(ceiling, r);
    const hashing = hashCpuPerLogin(ceiling);
    const outside = rows.find(
      (x) => x.figure === 'repeat login (argon2id): bridge CPU per login outside hashing',
    );
    expect(outside?.target).toBe(`<= ${GOALS.cpuOutsideHashingMs} ms`);
    expect(Number.parseFloat(outside!.value)).toBeCloseTo(
      r.repeatLogin.bridgeCpuMsPerLogin - hashing.repeat,
      1,
    );
    expect(rows.find((x) => x.figure === 'first login (bcrypt, migrates) / hash ceiling')?.target).toBe(
      '>= 0.85',
    );
    expect(rows.find((x) => x.figure === 'repeat login (argon2id) / hash ceiling')?.target).toBe('>= 0.75');
  });

  it('hammers every endpoint of the bridge and of bare oidc-provider without a failed request, refresh tokens rotating by default', async () => {
    const r = await benchEndpoints({
      amount: 40,
      connections: 2,
      warmupSec: 0,
      kinds: ['bridge', 'bare-memory'],
    });
    // The bridge's default, on both servers: each refresh sends the newest token of its chain.
    expect(r.rotateRefreshTokens).toBe(true);
    expect(r.refreshTokenRotates).toEqual({ bridge: true, 'bare-memory': true });
    // The ratios are taken with the bridge's own headers on its answers.
    expect(r.headersKept).toEqual({ bridge: true });
    expect(r.headers['bare-memory']?.jwks).not.toContain('x-frame-options');
    for (const kind of ['bridge', 'bare-memory'] as const) {
      for (const e of ['discovery', 'jwks', 'refresh', 'userinfo', 'introspection'] as const) {
        const x = r.results[kind]?.[e];
        positive(x?.rps);
        expect(x?.failures).toBe(0);
        expect(x!.latencyP99Ms).toBeGreaterThanOrEqual(x!.latencyP50Ms);
        // What the server process spent per request; its main thread's share is counted in
        // 1/100 s ticks, so over a few dozen requests it may round to none.
        positive(x?.serverCpuMsPerRequest);
        expect(x!.mainThreadCpuMsPerRequest).toBeGreaterThanOrEqual(0);
        expect(x!.mainThreadBusy).toBeGreaterThanOrEqual(0);
      }
    }
    positive(r.ratioToBareMemory.jwks);
    const rows = tokenPathRows(r);
    expect(rows.find((x) => x.figure === 'userinfo: bridge, PostgreSQL store')?.value).toMatch(
      /rps, p50 .* ms; server CPU per request [\d.]+ ms \(main thread [\d.]+, busy [\d.]+\)$/,
    );
    expect(rows.find((x) => x.figure === 'jwks: bridge / bare (knex), bridge headers kept')?.target).toBe(
      '>= 0.9',
    );
    const refreshRow = rows.find((x) =>
      x.figure.startsWith(
        'refresh, refresh tokens rotating (the default): bridge (PostgreSQL store) / bare (memory)',
      ),
    );
    expect(refreshRow?.target).toBe('>= 0.6');
    expect(refreshRow?.met).toBe((r.ratioToBareMemory.refresh ?? 0) >= 0.6);
  });

  it('builds a store with generate_series, rolls it up and times the console pages of a signed-in operator', async () => {
    const r = await benchConsole({ auditRows: 2000, accounts: 300, samples: 3 });
    expect(r).toMatchObject({ auditRows: 2000, accounts: 300 });
    // The steady work of the rollups: the closed hour rolled up, and the minute's tick.
    positive(r.hourTickMs);
    positive(r.idleTickMs);
    for (const page of ['progress', 'delivery', 'security'] as const) {
      positive(r.pages[page].medianMs);
      expect(r.pages[page].p95Ms).toBeGreaterThanOrEqual(r.pages[page].medianMs);
    }
  });
});
