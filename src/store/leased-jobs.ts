// What the store's small outboxes share (back-channel logout tokens, e-mails): rows claimed
// under a lease with FOR UPDATE SKIP LOCKED, so that replicas share the work, an outcome that
// counts only while its lease holds, and a loop that runs a pass when woken or every
// poll interval, and at once again while passes come back full.
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Claims up to `limit` due rows of `table` (status pending, next_attempt_at reached, no live
 * lease), counting an attempt; returns the `columns` of each and the lease token.
 */
export async function claimDue(
  db: Knex,
  table: string,
  columns: string[],
  limit: number,
  leaseMs: number,
): Promise<{ rows: Array<Record<string, unknown>>; leaseToken: string }> {
  const token = randomUUID();
  const result = await db.raw(
    `WITH due AS (
       SELECT id FROM ?? 
        WHERE status = 'pending' AND next_attempt_at <= now()
          AND (locked_until IS NULL OR locked_until <= now())
        ORDER BY next_attempt_at, id
        LIMIT ?
        FOR UPDATE SKIP LOCKED
     )
     UPDATE ?? AS j
        SET locked_until = now() + make_interval(secs => ?), lease_token = ?,
            attempts = j.attempts + 1, updated_at = now()
       FROM due WHERE j.id = due.id
     RETURNING ${columns.map((c) => `j.${c}`).join(', ')}`,
    [table, limit, table, leaseMs / 1000, token],
  );
  return { rows: result.rows as Array<Record<string, unknown>>, leaseToken: token };
}

/**
 * Records a claimed row's outcome while its lease holds; `retryInMs` puts it back as due
 * then. `extra` sets more columns. False when the lease was lost to another worker.
 */
export async function finishLeased(
  db: Knex,
  table: string,
  job: { id: number; leaseToken: string },
  o: { status: string; error: string | null; retryInMs?: number | undefined },
  extra: Record<string, unknown> = {},
): Promise<boolean> {
  const n = await db(table)
    .where({ id: job.id, lease_token: job.leaseToken })
    .update({
      status: o.status,
      last_error: o.error,
      locked_until: null,
      lease_token: null,
      updated_at: db.fn.now(),
      ...extra,
      ...(o.retryInMs !== undefined
        ? { next_attempt_at: db.raw('now() + make_interval(secs => ?)', [o.retryInMs / 1000]) }
        : {}),
    });
  return Number(n) === 1;
}

export interface PollLoop {
  /** One pass now (or joins the pass running); resolves to the number of rows it tried. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Runs `pass` at start, every `pollMs`, and at once when `subscribe`'s wake is called. A pass
 * that handled a full `batch` is followed by another straight away.
 */
export function startPollLoop(opts: {
  pass: () => Promise<number>;
  batch: number;
  pollMs: number;
  subscribe: (wake: () => void) => () => void;
  onError: (err: Error) => void;
  loop?: boolean | undefined;
}): PollLoop {
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let again = false;
  let ticking = false;

  function runOnce(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = opts.pass().finally(() => {
      running = undefined;
    });
    return running;
  }

  // Every pass runs in the context the loop was started in, never in that of the request whose
  // wake scheduled it: a timer keeps its creator's context, and each pass schedules the next.
  const tickOutside = AsyncResource.bind(() => tick());

  function schedule(ms: number): void {
    if (stopping) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tickOutside, ms).unref();
  }

  async function tick(): Promise<void> {
    timer = undefined;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      do {
        again = false;
        while (!stopping && (await runOnce()) === opts.batch) {}
      } while (again && !stopping);
    } catch (err) {
      opts.onError(err as Error);
    } finally {
      ticking = false;
    }
    schedule(opts.pollMs);
  }

  const unsubscribe = opts.subscribe(() => {
    if (ticking) again = true;
    else schedule(0);
  });
  if (opts.loop !== false) schedule(0);

  return {
    runOnce,
    async stop() {
      stopping = true;
      unsubscribe();
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
