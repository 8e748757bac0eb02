// A counting semaphore: the login path's cap on legacy lookups (src/security/guard.ts) and
// the cap on hashes in flight (src/hashing/slots.ts).

/** A counting semaphore with a bounded queue: beyond it a caller is refused at once. */
export function createSemaphore(limit: number, queueMax: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return {
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
    /** Resolves when a slot is held; undefined when the queue is full and no slot was taken. */
    async acquire(): Promise<boolean> {
      if (active < limit) {
        active++;
        return true;
      }
      if (waiting.length >= queueMax) return false;
      // A released slot passes straight to the next waiter, so `active` never dips below
      // the cap while callers wait and no newcomer can jump the queue.
      await new Promise<void>((resolve) => waiting.push(resolve));
      return true;
    },
    release(): void {
      const next = waiting.shift();
      if (next) next();
      else active--;
    },
  };
}
