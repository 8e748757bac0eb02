// The bcrypt library benchmark is callable by the bench runner and reports every library.

import { describe, expect, it } from 'vitest';
import { benchHashLibs } from '../../bench/hash-libs.ts';

describe('benchHashLibs', () => {
  it('measures the three installed bcrypt libraries and names the fastest off the main thread', async () => {
    const report = await benchHashLibs({ cost: 4, concurrency: 2, verifications: 8 });
    expect(Object.keys(report.libs).sort()).toEqual(['@node-rs/bcrypt', 'bcrypt', 'bcryptjs']);
    for (const result of Object.values(report.libs)) {
      expect(result.opsPerSec).toBeGreaterThan(0);
      expect(result.eventLoopDelayP99Ms).toBeGreaterThanOrEqual(0);
    }
    expect(Object.keys(report.libs)).toContain(report.fastestOffMainThread);
    expect(report.libs[report.fastestOffMainThread]?.offMainThread).toBe(true);
  });
});
