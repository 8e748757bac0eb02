// What a delivery sink is: it takes one claimed job and says what became of it. The worker
// turns the answer into a status, a retry time, an audit row and metrics; a sink never
// touches the store, so a new target is one file.
import type { DeliveryPayload } from '../outbox.ts';

export interface DeliveryJob {
  id: number;
  sub: string;
  payload: DeliveryPayload;
  /** The target password form `{algorithm}${salt}${hash}`; null once erased. */
  secret: string | null;
  /** Attempts including this one. */
  attempts: number;
}

/**
 * - delivered: the target holds the user (created now, or it already had this customer_code).
 * - conflict: another user holds the e-mail; reported, never retried (the user still logs in).
 * - invalid: the payload breaks the user-import format before sending; waits for a mapping fix and `migration retry`.
 * - failed: the target refused it for good (other 4xx), or there is no password form to send.
 * - retry: the target or the network failed for now; back-off, or Retry-After when given.
 * - skipped: there is no target.
 * `detail` is shown to operators and stored in last_error: never a password or a hash.
 */
export type DeliveryResult =
  | { outcome: 'delivered'; reason: 'delivered' | 'already_exists'; detail?: string }
  | { outcome: 'conflict'; reason: 'email_conflict'; detail: string }
  | { outcome: 'invalid'; reason: 'invalid'; detail: string }
  | { outcome: 'failed'; reason: 'rejected' | 'no_password_form'; detail: string }
  | {
      outcome: 'retry';
      reason: 'unavailable' | 'rate_limited' | 'network' | 'timeout' | 'interrupted';
      detail: string;
      retryAfterMs?: number | undefined;
    }
  | { outcome: 'skipped'; reason: 'no_target'; detail?: string };

export interface Sink {
  readonly name: string;
  /** False when the sink has nothing to deliver to: the worker then claims nothing. */
  readonly claims: boolean;
  /** Never throws for a target or network failure; `signal` aborts on worker shutdown. */
  deliver(job: DeliveryJob, signal: AbortSignal): Promise<DeliveryResult>;
}
