// No more password hashes run at once than the machine has cores (at most libuv's pool):
// the rest wait in arrival order, so the event loop keeps a core. Every way the bridge
// hashes takes a slot: legacy verifications, the argon2id re-hash and its verification,
// the webhook's password forms and the decoys. A hash that fails gives its slot back.
import { afterAll, describe, expect, it } from 'vitest';
import { UnusableHashError } from '../../src/errors.ts';
import { hashBridgePassword, verifyBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { closeWorkerPool, decoyFor, verifyPassword } from '../../src/hashing/registry.ts';
import { HASH_SLOTS, hashesInFlight } from '../../src/hashing/slots.ts';
import { makeForm } from '../../src/target/webhook/password.ts';

afterAll(() => closeWorkerPool());

const BCRYPT = '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a';
const SHA512_CRYPT =
  '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0';

/** Starts n at once: HASH_SLOTS run, the others wait; all finish, and no slot stays taken. */
async function capped<T>(start: () => Promise<T>, check: (r: T) => boolean) {
  const n = HASH_SLOTS * 3;
  const runs = Array.from({ length: n }, start);
  expect(hashesInFlight()).toEqual({ running: HASH_SLOTS, waiting: n - HASH_SLOTS });
  const results = await Promise.all(runs);
  expect(results.every(check)).toBe(true);
  expect(hashesInFlight()).toEqual({ running: 0, waiting: 0 });
}

describe('hashes in flight', () => {
  it('are one per core at most: legacy verifications, native and on worker threads', async () => {
    await capped(
      () => verifyPassword({ password: 'rasmuslerdorf', stored: BCRYPT }),
      (r) => r.match,
    );
    await capped(
      () => verifyPassword({ password: 'This is just a test', stored: SHA512_CRYPT }),
      (r) => r.match,
    );
  });

  it('are one per core at most: the argon2id re-hash and its verification', async () => {
    const stored = await hashBridgePassword('correct horse battery staple');
    await capped(
      () => verifyBridgePassword('correct horse battery staple', stored),
      (r) => r === true,
    );
    await capped(
      () => hashBridgePassword('another password'),
      (h) => h.startsWith('$argon2id$'),
    );
  });

  it("are one per core at most: the webhook's argon2id and bcrypt password forms", async () => {
    await capped(
      () => makeForm('argon2id', 'another password'),
      (h) => h.startsWith('$argon2id$'),
    );
    await capped(
      () => makeForm('bcrypt', 'another password'),
      (h) => h.startsWith('$2y$12$'),
    );
  });

  it('take a slot for a decoy too, made once per cost', async () => {
    const decoys = [decoyFor('bcrypt', '$2y$06$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a')];
    // decoyFor is async: its memo takes the slot on the next turn of the microtask queue.
    await Promise.resolve();
    expect(hashesInFlight().running).toBe(1);
    const [decoy] = await Promise.all(decoys);
    expect(decoy).toMatch(/^\$2[aby]\$06\$/);
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
