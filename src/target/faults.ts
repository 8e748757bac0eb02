// Fault injection for the reference target: the ways a real import API misbehaves (down,
// flaky, slow, rate limited), switched on by tests and demos so the delivery worker's
// retries, back-off and idempotency can be watched against real HTTP.
import type { Context, Next } from 'koa';

export type TargetMode = 'normal' | 'down' | 'flaky' | 'slow' | 'ratelimit';

export interface ModeOptions {
  /** slow: how long each import request waits before it is handled. Default 1000 ms. */
  delayMs?: number;
  /** ratelimit: the Retry-After header, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** ratelimit: how many requests are refused before the target is normal again. Default 1. */
  count?: number;
}

/** What an injected fault answers instead of the target. */
export interface FaultAnswer {
  status: number;
  headers?: Record<string, string>;
  body: Record<string, unknown>;
}

export interface FaultState {
  readonly mode: TargetMode;
  set(mode: TargetMode, options?: ModeOptions): void;
  /** The fault to answer this request with, if any (after the delay, in slow mode). */
  decide(): Promise<FaultAnswer | undefined>;
  /** `decide` as koa middleware. */
  middleware(ctx: Context, next: Next): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createFaults(): FaultState {
  let mode: TargetMode = 'normal';
  let options: Required<ModeOptions> = { delayMs: 1000, retryAfterSeconds: 1, count: 1 };
  let seen = 0;
  let refusalsLeft = 0;

  const state: FaultState = {
    get mode() {
      return mode;
    },
    set(next, opts = {}) {
      mode = next;
      options = {
        delayMs: opts.delayMs ?? 1000,
        retryAfterSeconds: opts.retryAfterSeconds ?? 1,
        count: opts.count ?? 1,
      };
      seen = 0;
      refusalsLeft = options.count;
    },
    async decide() {
      switch (mode) {
        case 'down':
          return { status: 503, body: { error: 'unavailable' } };
        case 'flaky':
          // Deterministic, failing first: a single delivery sees one failure, then success
          // on its retry, so tests need no seed and no luck.
          seen += 1;
          return seen % 2 === 1 ? { status: 500, body: { error: 'internal_error' } } : undefined;
        case 'slow':
          // The request is still handled after the delay, as a real slow server would: a
          // client that gave up may find the user created when it retries (409).
          await sleep(options.delayMs);
          return undefined;
        case 'ratelimit':
          if (refusalsLeft > 0) {
            refusalsLeft -= 1;
            if (refusalsLeft === 0) mode = 'normal';
            return {
              status: 429,
              headers: { 'Retry-After': String(options.retryAfterSeconds) },
              body: { error: 'rate_limited', retry_after: options.retryAfterSeconds },
            };
          }
          return undefined;
        case 'normal':
          return undefined;
      }
    },
    async middleware(ctx, next) {
      const fault = await state.decide();
      if (!fault) return next();
      ctx.status = fault.status;
      for (const [k, v] of Object.entries(fault.headers ?? {})) ctx.set(k, v);
      ctx.body = fault.body;
    },
  };
  return state;
}
