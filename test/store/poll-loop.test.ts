// A background loop's passes (the logout and mail dispatchers) run outside any request, even
// when a request's wake scheduled them: nothing of the request (its context, its payload
// scope, its statements as the bench counts them) reaches a pass.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { startPollLoop } from '../../src/store/leased-jobs.ts';

describe('a poll loop', () => {
  it("runs a pass woken from inside a request outside that request's context, and the passes after it too", async () => {
    const context = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    let wake = () => {};
    const loop = startPollLoop({
      pass: async () => {
        seen.push(context.getStore());
        return 0;
      },
      batch: 10,
      pollMs: 20,
      subscribe: (w) => {
        wake = w;
        return () => {};
      },
      onError: (err) => {
        throw err;
      },
      loop: false,
    });
    try {
      context.run('a request', () => wake());
      await expect.poll(() => seen.length, { timeout: 2000 }).toBeGreaterThanOrEqual(3);
      expect(seen.every((store) => store === undefined)).toBe(true);
    } finally {
      await loop.stop();
    }
  });
});
