// Smoke test of the two-process bench and the soak with tiny parameters against the real
// PostgreSQL and MariaDB, each bridge in its own process with its delivery worker and the
// reference import API as its target. It checks the outcomes the benches report (each user
// migrated and delivered once, the outbox drained, samples taken), not how fast anything is.
import { describe, expect, it } from 'vitest';
import { benchSoak, SOAK_METRICS, SOAK_OPS } from '../../bench/soak.ts';
import { benchTwoProcess } from '../../bench/two-process.ts';

describe('two bridge processes on one store, and the soak, with tiny parameters', () => {
  it('migrates and delivers each user once when first logins land on two processes, some on both at once', async () => {
    const r = await benchTwoProcess({ users: 8, concurrency: 2, overlapEvery: 2 });
    for (const run of [r.oneProcess, r.twoProcess]) {
      // Every other user logged in on both processes (or twice on the one) at the same time.
      expect(run.logins).toBe(12);
      expect(run.migration).toMatchObject({ users: 8, accounts: 8, distinctLegacyIds: 8, once: true });
      expect(run.delivery).toMatchObject({ held: 8, createdOnce: 8, maxKeysPerUser: 1, alreadyExists: 0 });
      expect(run.drain.byStatus).toEqual({ delivered: 8 + run.processes });
      expect(run.statementsPerLogin).toBeGreaterThan(0);
      // The reads of the per-process read caches are counted apart, and are some of the total.
      expect(run.cacheReadsPerLogin).toBeGreaterThanOrEqual(0);
      expect(run.cacheReadsPerLogin).toBeLessThan(run.statementsPerLogin);
    }
    expect(r).toMatchObject({ migratedOnce: true, deliveredOnce: true, outboxDrained: true });
  }, 180_000);

  it('samples the bridge process under the mixed load and sees the outbox drain after it', async () => {
    // Four legacy rows at a time: the run must add rows for its first logins as it goes.
    const r = await benchSoak({ durationMs: 6000, sampleMs: 1000, concurrency: 2, legacyBatch: 4 });
    expect(r.samples.length).toBe(6);
    for (const s of r.samples) {
      expect(s.rssMb).toBeGreaterThan(0);
      expect(s.activeResources).toBeGreaterThan(0);
      expect(s.outboxDepth).toBeGreaterThanOrEqual(0);
    }
    for (const op of SOAK_OPS) expect(r.ops[op]).toBeGreaterThan(0);
    expect(r.errors).toEqual({});
    expect(r.legacyUsersAdded).toBeGreaterThan(0);
    for (const m of SOAK_METRICS) expect(typeof r.comparison[m].met).toBe('boolean');
    expect(r.drain.drained).toBe(true);
    expect(r.drain.byStatus.delivered).toBeGreaterThanOrEqual(r.ops['first login']);
  }, 180_000);
});
