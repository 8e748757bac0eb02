// Limits wrong second-factor codes per account: after mfa.code_failures wrong codes, code
// checks of that account pause for mfa.code_lockout_seconds, on every replica alike (the
// store's rate_limits table, as the login guard uses; in memory on the embedded store).
// Six digits are a million codes: without this, a password alone would soon be enough.
import { createHash } from 'node:crypto';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Config } from '../config/schema.ts';
import { ThrottledError } from '../errors.ts';
import { RATE_LIMIT_TABLE } from '../security/guard.ts';
import type { Store } from '../store/db.ts';

export interface CodeThrottle {
  /** Throws ThrottledError while the account's code checks are paused. */
  check(sub: string): Promise<void>;
  failed(sub: string): Promise<void>;
  succeeded(sub: string): Promise<void>;
}

function keyOf(sub: string): string {
  return createHash('sha256').update(`oidc-bridge:second-factor\0${sub}`).digest('base64url');
}

export function createCodeThrottle(
  config: Pick<Config, 'mfa'>,
  store: Pick<Store, 'db' | 'kind'>,
): CodeThrottle {
  const points = config.mfa.code_failures;
  const duration = config.mfa.code_lockout_seconds;
  const memory = new RateLimiterMemory({ keyPrefix: 'second_factor', points, duration });
  const limiter: RateLimiterAbstract =
    store.kind === 'postgres'
      ? new RateLimiterPostgres({
          storeClient: store.db,
          storeType: 'knex',
          tableName: RATE_LIMIT_TABLE,
          tableCreated: true,
          clearExpiredByTimeout: false,
          keyPrefix: 'second_factor',
          points,
          duration,
          insuranceLimiter: memory,
        })
      : memory;
  return {
    async check(sub) {
      const res = await limiter.get(keyOf(sub));
      if (res && res.consumedPoints >= points) {
        throw new ThrottledError(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
      }
    },
    async failed(sub) {
      await limiter.penalty(keyOf(sub), 1);
    },
    async succeeded(sub) {
      await limiter.delete(keyOf(sub));
    },
  };
}
