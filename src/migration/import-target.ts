// Posting bulk-import batches to the target's import API: an array of up to --batch users a
// request, one answer per user. A 429 waits for Retry-After and sends the same batch again;
// 5xx, timeouts and network errors are retried a few times with back-off, then the run
// stops (ImportStoppedError) with its checkpoint intact, so --resume picks it up.
import type { HttpTargetConfig } from '../config/schema.ts';
import { BridgeError } from '../errors.ts';
import type { TargetUser } from './payload.ts';
import { parseRetryAfter } from './sinks/http.ts';

/**
 * Per user:
 * - created: the target made the user now.
 * - already_exists: the target holds the customer_code (an interrupted run got it through
 *   before its checkpoint advanced): delivered, as the delivery worker treats it.
 * - email_conflict: another user holds the e-mail: conflict, counted, never retried.
 * - rejected: the target refused the user (validation): failed, kept for `migration retry`.
 */
export type ItemOutcome =
  | { status: 'created' | 'already_exists' }
  | { status: 'email_conflict' | 'rejected'; detail: string };

export class ImportStoppedError extends BridgeError {
  constructor(message: string) {
    super('import_stopped', message, 503);
  }
}

export interface PostOptions {
  /** Retries of a batch after 5xx, timeout or network error. Default 5. */
  retries?: number;
  /** First back-off delay; doubles. Default 500 ms. */
  baseDelayMs?: number;
  /** Called when the target asks us to wait (429), for the summary. */
  onRateLimited?: (waitMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
  retryAfterMs: number | undefined;
}

const MAX_DETAIL = 300;
const MAX_RATE_LIMIT_WAITS = 1000;
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorCode(body: unknown): string | undefined {
  const e = (body as { error?: unknown } | null)?.error;
  return typeof e === 'string' ? e : undefined;
}

/** What the target said about one user, without echoing anything it sent back verbatim. */
function itemOutcome(status: number, body: unknown): ItemOutcome {
  const error = errorCode(body);
  if (status >= 200 && status < 300) return { status: 'created' };
  if (status === 409 && error === 'already_exists') return { status: 'already_exists' };
  if (status === 409 && error === 'email_conflict')
    return { status: 'email_conflict', detail: 'target answered 409 email_conflict' };
  const fields = (body as { fields?: unknown } | null)?.fields;
  const names = fields && typeof fields === 'object' ? Object.keys(fields).join(', ') : '';
  return {
    status: 'rejected',
    detail: `target answered ${status}${error ? ` ${error}` : ''}${names ? `: ${names}` : ''}`.slice(
      0,
      MAX_DETAIL,
    ),
  };
}

export function createImportPoster(target: HttpTargetConfig, opts: PostOptions = {}) {
  const retries = opts.retries ?? 5;
  const baseDelayMs = opts.baseDelayMs ?? 500;
  const sleep = opts.sleep ?? defaultSleep;
  // Set once the target refuses an array: every later batch goes one user a request.
  let single = false;

  async function send(body: unknown): Promise<Answer> {
    const res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...target.headers },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(target.timeout_ms),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return {
      status: res.status,
      body: parsed,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
    };
  }

  /** Sends until the answer is final: waits out 429s, backs off on 5xx and network errors. */
  async function sendFinal(body: unknown): Promise<Answer> {
    let failures = 0;
    let waits = 0;
    for (;;) {
      let answer: Answer | undefined;
      let why: string;
      try {
        answer = await send(body);
        why = `target answered ${answer.status}${errorCode(answer.body) ? ` ${errorCode(answer.body)}` : ''}`;
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        why =
          (err as Error).name === 'TimeoutError'
            ? `no answer within ${target.timeout_ms} ms`
            : `cannot reach the target (${cause?.code ?? (err as Error).message})`;
      }
      if (answer?.status === 429) {
        // The target pacing us is no failure: wait as long as it asks, and send the same batch.
        if (++waits > MAX_RATE_LIMIT_WAITS)
          throw new ImportStoppedError(`${why}, ${waits - 1} times in a row`);
        const waitMs = answer.retryAfterMs ?? 1000;
        opts.onRateLimited?.(waitMs);
        await sleep(waitMs);
        continue;
      }
      if (answer && answer.status < 500 && answer.status !== 408) return answer;
      if (++failures > retries) throw new ImportStoppedError(`${why}; gave up after ${failures} attempts`);
      await sleep(baseDelayMs * 2 ** (failures - 1));
    }
  }

  async function postOne(user: TargetUser): Promise<ItemOutcome> {
    const answer = await sendFinal(user);
    return itemOutcome(answer.status, answer.body);
  }

  return {
    get single() {
      return single;
    },

    /** One outcome per user, in order. Throws ImportStoppedError when the target stays down. */
    async post(users: TargetUser[]): Promise<ItemOutcome[]> {
      if (!single) {
        const answer = await sendFinal(users);
        const results = (answer.body as { results?: unknown } | null)?.results;
        if (answer.status >= 200 && answer.status < 300 && Array.isArray(results)) {
          if (results.length !== users.length) {
            throw new ImportStoppedError(
              `the target answered ${results.length} results for a batch of ${users.length}; stopping`,
            );
          }
          return results.map((r: { status?: unknown }) =>
            itemOutcome(typeof r?.status === 'number' ? r.status : 0, r),
          );
        }
        if (answer.status >= 300 && answer.status < 400) {
          throw new ImportStoppedError(`target answered ${answer.status} (a redirect; check target.url)`);
        }
        if (answer.status === 401 || answer.status === 403) {
          throw new ImportStoppedError(`target answered ${answer.status}; check target.headers`);
        }
        // No per-user answers: this target takes one object a request.
        single = true;
      }
      const out: ItemOutcome[] = [];
      for (const user of users) out.push(await postOne(user));
      return out;
    },
  };
}

export type ImportPoster = ReturnType<typeof createImportPoster>;
