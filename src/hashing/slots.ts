// The cap on password hashes in flight: at most one per core. argon2, bcrypt and node's
// pbkdf2 and scrypt run on libuv's thread pool (4 threads), the pure-JavaScript formats on
// worker threads. With 4 hashes on 2 cores the main thread, which serves every request,
// waits for a core behind them: in `BENCH_PHASES=logins` the event loop's p99 delay was
// 18.5 to 19.3 ms with 4 in flight and 10.2 to 14.8 ms with 2, at the same logins per
// second. Hashes beyond the cap wait here, in arrival order, and the pool keeps threads
// free for file and DNS work. With a SQL legacy source every verification of a login passes
// through the same cap, the decoys of unknown users included, so waiting here reveals
// nothing; with an HTTP or LDAP source only the decoys do (docs/threat-model.md).
import { availableParallelism } from 'node:os';
import { createSemaphore } from '../util/semaphore.ts';

const LIBUV_THREADS = Number(process.env.UV_THREADPOOL_SIZE) || 4;

export const HASH_SLOTS = Math.max(1, Math.min(availableParallelism(), LIBUV_THREADS));

const slots = createSemaphore(HASH_SLOTS, Number.POSITIVE_INFINITY);

/** Runs one password hash or verification when a slot is free. */
export async function inHashSlot<T>(fn: () => Promise<T>): Promise<T> {
  await slots.acquire();
  try {
    return await fn();
  } finally {
    slots.release();
  }
}

/** Hashes running and waiting now. */
export function hashesInFlight(): { running: number; waiting: number } {
  return { running: slots.active, waiting: slots.queued };
}
