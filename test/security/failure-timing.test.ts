// Every failure path takes about as long as an unknown name: a wrong password for an md5,
// sha1 or bcrypt user, a migrated user, an unusable hash and a disabled account, through the
// login form of a real bridge on a MariaDB table holding one user of each kind.
import { describe, expect, it } from 'vitest';
import { benchFailurePaths, FAILURE_PATHS } from '../../bench/enumeration.ts';

describe('the time of a failed login', () => {
  it('is about the same on every failure path as for an unknown name', async () => {
    const report = await benchFailurePaths({ logins: 9, warmup: 3, cost: 8 });
    expect(report.statuses).toEqual([401]);
    for (const path of FAILURE_PATHS) {
      // Wider than the bench's 0.9 to 1.1: nine rounds on a shared machine.
      expect(report.ratio[path], path).toBeGreaterThan(0.8);
      expect(report.ratio[path], path).toBeLessThan(1.25);
    }
  }, 240_000);
});
