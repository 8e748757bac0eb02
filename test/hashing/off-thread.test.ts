// A sanity check that the expensive verifiers run off the event loop: while 8 sha512-crypt
// and 8 bcrypt verifications run, timers still fire on time. The bound is generous on
// purpose (this is not a benchmark); running them on the main thread would take seconds.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { closeWorkerPool, verifyPassword } from '../../src/hashing/registry.ts';
import { runInWorker } from '../../src/hashing/worker-pool.ts';

afterAll(() => closeWorkerPool());

// Drepper's test vector, rounds=5000 as glibc writes by default; bcrypt at cost 10.
const SHA512_CRYPT =
  '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0';
const BCRYPT = '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a';

describe('off-thread verification', () => {
  it('loads the worker module from the TypeScript sources', async () => {
    const checksum = await runInWorker({
      kind: 'md5-crypt',
      password: Buffer.from('rasmuslerdorf'),
      salt: 'rasmusle',
      magic: '$1$',
    });
    expect(checksum).toBe('rISCgZzpwk3UhDidwXvin0');
  });

  it('keeps the event loop free while 8 sha512-crypt and 8 bcrypt verifications run', async () => {
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    // The histogram's first tick only sets its baseline: let it pass before the work starts.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const runs = [
      ...Array.from({ length: 8 }, () =>
        verifyPassword({ password: 'This is just a test', stored: SHA512_CRYPT }),
      ),
      ...Array.from({ length: 8 }, () => verifyPassword({ password: 'rasmuslerdorf', stored: BCRYPT })),
    ];
    const results = await Promise.all(runs);
    histogram.disable();
    expect(results.every((r) => r.match)).toBe(true);
    expect(histogram.max / 1e6).toBeLessThan(200);
  });
});
