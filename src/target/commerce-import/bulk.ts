// The commerce platform's side of the one-time bulk import: a stored md5/sha1/sha256 hash
// goes as it is (salt first, as its Django hashers compute it), and batches go to the
// import API as arrays of up to --batch users, one answer per user. A 429 pauses every
// sender of the run for Retry-After, then the same batch goes again; 5xx, timeouts and network errors are retried
// a few times with back-off, then the run stops (ImportStoppedError) with its checkpoint
// intact, so --resume picks it up. Every request carries the Idempotency-Key the import gave
// its batch (or its user, one user a request).
import type { CommerceImportConfig } from '../../config/schema.ts';
import { ImportStoppedError } from '../../errors.ts';
import { targetFormOf } from '../../hashing/registry.ts';
import { type Exchange, exchange, isExchange, parseRetryAfter } from '../http.ts';
import type { BulkImport, BulkKeys, BulkOutcome, BulkPoster, BulkPosterOptions, BulkUser } from '../types.ts';
import { buildUser } from './mapping.ts';
import { formatPassword, maskPassword } from './password.ts';
import { validateUser } from './schema.ts';

const MAX_DETAIL = 300;
const MAX_RATE_LIMIT_WAITS = 1000;
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorCode(body: unknown): string | undefined {
  const e = (body as { error?: unknown } | null | undefined)?.error;
  return typeof e === 'string' ? e : undefined;
}

/** What the platform said about one user, without echoing anything it sent back verbatim. */
function itemOutcome(status: number, body: unknown): BulkOutcome {
  const error = errorCode(body);
  if (status >= 200 && status < 300) return { status: 'created' };
  if (status === 409 && error === 'already_exists') return { status: 'already_exists' };
  if (status === 409 && error === 'email_conflict')
    return { status: 'email_conflict', detail: 'target answered 409 email_conflict' };
  const fields = (body as { fields?: unknown } | null | undefined)?.fields;
  const names = fields && typeof fields === 'object' ? Object.keys(fields).join(', ') : '';
  return {
    status: 'rejected',
    detail: `target answered ${status}${error ? ` ${error}` : ''}${names ? `: ${names}` : ''}`.slice(
      0,
      MAX_DETAIL,
    ),
  };
}

function createPoster(target: CommerceImportConfig, opts: BulkPosterOptions = {}): BulkPoster {
  const retries = opts.retries ?? 5;
  const baseDelayMs = opts.baseDelayMs ?? 500;
  const sleep = opts.sleep ?? defaultSleep;
  // Set once the platform refuses an array: every later batch goes one user a request.
  let single = false;
  // A 429 pauses every sender of this run, not only the one refused: until then no request goes.
  let pausedUntil = 0;
  async function waitForPause(): Promise<void> {
    const wait = pausedUntil - Date.now();
    if (wait > 0) await sleep(wait);
  }

  /** Sends until the answer is final: waits out 429s, backs off on 5xx and network errors. */
  async function sendFinal(body: unknown, idempotencyKey: string | undefined): Promise<Exchange> {
    let failures = 0;
    let waits = 0;
    for (;;) {
      await waitForPause();
      const answer = await exchange({
        method: 'POST',
        url: target.url,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...target.headers },
        body: JSON.stringify(body),
        timeoutMs: target.timeout_ms,
        // The same key on every resend of this body, a 429's and a resumed run's alike.
        idempotencyKey,
      });
      let why: string;
      if (isExchange(answer)) {
        const code = errorCode(answer.body);
        why = `target answered ${answer.status}${code ? ` ${code}` : ''}`;
        if (answer.status === 429) {
          // The platform pacing us is no failure: wait as long as it asks, and send the same batch.
          if (++waits > MAX_RATE_LIMIT_WAITS)
            throw new ImportStoppedError(`${why}, ${waits - 1} times in a row`);
          const waitMs = parseRetryAfter(answer.headers.get('retry-after')) ?? 1000;
          opts.onRateLimited?.(waitMs);
          pausedUntil = Math.max(pausedUntil, Date.now() + waitMs);
          continue;
        }
        if (answer.status < 500 && answer.status !== 408) return answer;
      } else {
        why = answer.detail;
      }
      if (++failures > retries) throw new ImportStoppedError(`${why}; gave up after ${failures} attempts`);
      await sleep(baseDelayMs * 2 ** (failures - 1));
    }
  }

  return {
    get single() {
      return single;
    },

    async post(users: BulkUser[], keys?: BulkKeys): Promise<BulkOutcome[]> {
      if (!single) {
        const answer = await sendFinal(users, keys?.batch);
        const results = answer.body?.results;
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
        // No per-user answers: this platform takes one object a request.
        single = true;
      }
      const out: BulkOutcome[] = [];
      for (const [i, user] of users.entries()) {
        const answer = await sendFinal(user, keys?.users[i]);
        out.push(itemOutcome(answer.status, answer.body));
      }
      return out;
    },
  };
}

export function createCommerceBulk(target: CommerceImportConfig): BulkImport {
  return {
    passwordFromHash(stored, salt, scheme) {
      const form = targetFormOf(stored, salt, scheme);
      return form ? formatPassword(form) : undefined;
    },
    build(input, password) {
      const user = buildUser(
        input.row,
        {
          mapping: target.mapping,
          defaults: target.defaults,
          emptyAsMissing: target.empty_as_missing,
          legacyId: input.legacyId,
        },
        password === null
          ? { kind: 'unusable', algorithm: target.password_algorithm }
          : { kind: 'form', form: password },
      );
      const checked = validateUser(user);
      return checked.ok ? { ok: true, user: checked.user } : checked;
    },
    createPoster: (opts) => createPoster(target, opts),
    maskPassword,
  };
}
