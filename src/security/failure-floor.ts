// The time floor under a failed login. Each failure path (unknown user, wrong password per
// hash scheme, unusable hash, disabled account) costs what it costs; every failure then waits
// until the costliest path's running average has passed since the attempt began, so that no
// path is faster than another and the time of a refusal tells nothing about the account.
// Only failures wait, and they wait asleep: successes and the CPU are not touched.
import { setTimeout as sleep } from 'node:timers/promises';

/** Weight of one new observation in a path's running average. */
const ALPHA = 0.2;
/** A run counts as at most this many times the current floor. */
const SPIKE = 1.5;
/**
 * The floor sits this far above the costliest path's average, so that most runs of that path
 * end below it and wait too, rather than half of them showing their own spread.
 */
const HEADROOM = 1.25;

export interface FailureFloorOptions {
  /** Longest a failure is ever held, whatever was measured. Milliseconds. */
  maxMs?: number;
  now?: () => number;
}

export interface FailureFloor {
  /** Records what one run of a path cost, in milliseconds. */
  observe(path: string, ms: number): void;
  /** A first guess before any failure was seen (a decoy run at start); the first real one replaces it. */
  prime(ms: number): void;
  /** The current floor: a margin above the highest running average of any path. */
  floorMs(): number;
  /** Records the path's cost from `startedAt` and waits until the floor has passed since. */
  pad(path: string, startedAt: number): Promise<void>;
}

export function createFailureFloor(opts: FailureFloorOptions = {}): FailureFloor {
  const maxMs = opts.maxMs ?? 2000;
  const now = opts.now ?? (() => performance.now());
  const costs = new Map<string, number>();
  let primed = false;
  const floor = {
    observe(path: string, ms: number) {
      if (primed) {
        costs.clear();
        primed = false;
      }
      // One slow run (a pause, a busy neighbour) may lift the floor by a little, never at once.
      const top = floor.floorMs() / HEADROOM;
      const capped = Math.min(ms, maxMs, top > 0 ? top * SPIKE : maxMs);
      const last = costs.get(path);
      costs.set(path, last === undefined ? capped : last + ALPHA * (capped - last));
    },
    prime(ms: number) {
      if (costs.size > 0) return;
      costs.set('prime', Math.min(ms, maxMs));
      primed = true;
    },
    floorMs() {
      let top = 0;
      for (const c of costs.values()) top = Math.max(top, c);
      return top * HEADROOM;
    },
    async pad(path: string, startedAt: number) {
      const spent = now() - startedAt;
      floor.observe(path, spent);
      const wait = floor.floorMs() - spent;
      if (wait > 1) await sleep(wait);
    },
  };
  return floor;
}
