// No more password hashes run at once than the machine has cores (at most libuv's pool):
// the rest wait in arrival order, so the event loop keeps a core. A hash that fails gives
// its slot back.
import { afterAll, describe, expect, it } from 'vitest';
import { UnusableHashError } from '../../src/errors.ts';
import { hashBridgePassword, verifyBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { closeWorkerPool, verifyPassword } from '../../src/hashing/registry.ts';
import { HASH_SLOTS, hashesInFlight } from '../../src/hashing/slots.ts';

afterAll(() => closeWorkerPool());

const BCRYPT = '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a';
const SHA512_CRYPT =
  '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0';

/** Runs the work while sampling how many hashes run and wait, every millisecond. */
async function watched<T>(work: Promise<T>) {
  let running = 0;
  let waiting = 0;
  const timer = setInterval(() => {
    const now = hashesInFlight();
    running = Math.max(running, now.running);
    waiting = Math.max(waiting, now.waiting);
  }, 1);
  try {
    return { result: await work, running, waiting };
  } finally {
    clearInterval(timer);
  }
}

describe('hashes in flight', () => {
  it('are one per core at most, legacy verifications, argon2id re-hashes and verifications alike', async () => {
    const argon2 = await hashBridgePassword('correct horse battery staple');
    const n = HASH_SLOTS * 3;
    const seen = await watched(
      Promise.all([
        ...Array.from({ length: n }, () => verifyPassword({ password: 'rasmuslerdorf', stored: BCRYPT })),
        ...Array.from({ length: n }, () =>
          verifyPassword({ password: 'This is just a test', stored: SHA512_CRYPT }),
        ),
        ...Array.from({ length: n }, () => verifyBridgePassword('correct horse battery staple', argon2)),
        ...Array.from({ length: n }, () => hashBridgePassword('another password')),
      ]),
    );
    const [bcrypt, sha512, bridge, hashes] = [0, 1, 2, 3].map((i) => seen.result.slice(i * n, (i + 1) * n));
    expect(bcrypt.every((r) => typeof r === 'object' && r.match)).toBe(true);
    expect(sha512.every((r) => typeof r === 'object' && r.match)).toBe(true);
    expect(bridge.every((r) => r === true)).toBe(true);
    expect(hashes.every((h) => typeof h === 'string' && h.startsWith('$argon2id$'))).toBe(true);
    expect(seen.running).toBe(HASH_SLOTS);
    expect(seen.waiting).toBeGreaterThan(0);
    expect(hashesInFlight()).toEqual({ running: 0, waiting: 0 });
  });

  it('give their slot back when the verification fails', async () => {
    const bad = Array.from({ length: HASH_SLOTS * 2 }, () =>
      verifyBridgePassword('x', '$argon2id$v=19$m=19456,t=2,p=1$bm90IGEgaGFzaA$bad'),
    );
    for (const r of await Promise.allSettled(bad)) {
      expect(r.status === 'rejected' && r.reason).toBeInstanceOf(UnusableHashError);
    }
    expect(hashesInFlight()).toEqual({ running: 0, waiting: 0 });
    expect((await verifyPassword({ password: 'rasmuslerdorf', stored: BCRYPT })).match).toBe(true);
  });
});
