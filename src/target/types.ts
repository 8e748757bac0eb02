// What a target is to the rest of the bridge: one TargetFormat, built from `config.target`,
// owns the password form it takes, the mapping of a legacy row to its payload, the payload's
// validation, the delivery (and the update, where the target has one) and the reading of
// the answer. Login, the worker, the import and `legacy check` know nothing else of it.
import type { DeliveryPayload } from '../migration/outbox.ts';

/** One field the target would refuse, and why; never the value itself. */
export interface Problem {
  field: string;
  reason: string;
}

/** A claimed outbox job, secrets opened, as a target delivers it. */
export interface DeliveryJob {
  id: number;
  sub: string;
  /** deliver: the first delivery of the user. update: their password changed since. */
  kind: 'deliver' | 'update';
  payload: DeliveryPayload;
  /** The legacy columns the target maps, as the login copied them; {} once erased. */
  row: Record<string, unknown>;
  /** The account's OIDC claims, as the bridge holds them now. */
  claims: Record<string, unknown>;
  /** The password form the target takes (see TargetFormat.passwordForm); null once erased. */
  secret: string | null;
  /** The user's id at the target, from the answer to the first delivery, when it gave one. */
  targetRef: string | null;
  /** Attempts including this one. */
  attempts: number;
  /**
   * The same on every attempt of this job (a new one only when an update job is rewritten
   * with a newer password): sent as the Idempotency-Key header, see docs/targets.md.
   */
  idempotencyKey?: string | undefined;
}

/**
 * - delivered: the target holds the user (created now, or it already had them); `targetRef`
 *   is the id the target gave, kept for later updates.
 * - conflict: another user holds the e-mail or user name; reported, never retried.
 * - invalid: the payload breaks the target's rules before sending; waits for a mapping fix
 *   and `migration retry`.
 * - failed: the target refused it for good (another 4xx), or there is no password form.
 * - retry: the target or the network failed for now; back-off, or Retry-After when given.
 * - skipped: there is nothing to deliver to (or this target takes no such job).
 * `detail` is shown to operators and stored in last_error: never a password or a hash.
 */
export type DeliveryResult =
  | { outcome: 'delivered'; reason: 'delivered' | 'already_exists'; detail?: string; targetRef?: string }
  | { outcome: 'conflict'; reason: 'email_conflict' | 'uniqueness'; detail: string }
  | { outcome: 'invalid'; reason: 'invalid'; detail: string }
  | { outcome: 'failed'; reason: 'rejected' | 'no_password_form'; detail: string }
  | {
      outcome: 'retry';
      reason: 'unavailable' | 'rate_limited' | 'network' | 'timeout' | 'interrupted';
      detail: string;
      retryAfterMs?: number | undefined;
    }
  | { outcome: 'skipped'; reason: 'no_target' | 'not_supported'; detail?: string };

/** What `legacy check` shows: the payload the target would receive, password by shape only. */
export interface Preview {
  payload: Record<string, unknown>;
  problems: Problem[];
}

/** What a legacy row gives a target: its id, the columns the target maps, and the claims. */
export interface TargetInput {
  legacyId: string;
  row: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export interface TargetFormat {
  /** The canonical `target.type`. */
  readonly type: string;
  /** False when there is nowhere to deliver: login then writes its jobs as skipped. */
  readonly delivers: boolean;
  /** True when a password change after migration is sent on (an `update` job). */
  readonly updates: boolean;
  /** The legacy columns the payload reads: the outbox copies these, and nothing more. */
  readonly columns: readonly string[];
  /** The longest one request may take; a worker's lease outlasts it. */
  readonly timeoutMs: number;
  /** True when passwordForm costs next to nothing, so a login may make one on the off chance. */
  readonly cheapPasswordForm: boolean;
  /** Reads what the target says of itself before the first delivery (SCIM's ServiceProviderConfig). */
  start?(signal?: AbortSignal): Promise<void>;
  /** The password form the outbox keeps for this user, from the password at login; null for none. */
  passwordForm(password: string): Promise<string | null>;
  preview(input: TargetInput): Preview;
  /** Never throws for a target or network failure; `signal` aborts on worker shutdown. */
  deliver(job: DeliveryJob, signal: AbortSignal): Promise<DeliveryResult>;
  /** The one-time bulk import, for targets that have a bulk API. */
  readonly bulk?: BulkImport | undefined;
}

/**
 * The bulk import's side of a target: which stored legacy hashes it takes as they are, the
 * payload of one row, and a poster that sends batches and answers one outcome per user.
 */
export interface BulkImport {
  /** The password form of a stored legacy hash, or undefined when only the password can make one. */
  passwordFromHash(stored: string, salt: string | undefined, scheme: string): string | undefined;
  /** The payload of one row: with a form from passwordFromHash, or without a usable password. */
  build(
    input: TargetInput,
    password: string | null,
  ): { ok: true; user: BulkUser } | { ok: false; problems: Problem[] };
  createPoster(opts: BulkPosterOptions): BulkPoster;
  /** The form by its shape only, for a sample payload on screen. */
  maskPassword(form: string): string;
}

/** One user as the bulk import sends it; `password` is the form, masked in any output. */
export interface BulkUser {
  password: string;
  [field: string]: unknown;
}

/**
 * Per user:
 * - created: the target made the user now.
 * - already_exists: the target holds them (an interrupted run got them through): delivered.
 * - email_conflict: another user holds the e-mail: conflict, counted, never retried.
 * - rejected: the target refused the user (validation): failed, kept for `migration retry`.
 */
export type BulkOutcome =
  | { status: 'created' | 'already_exists' }
  | { status: 'email_conflict' | 'rejected'; detail: string };

export interface BulkPosterOptions {
  /** Retries of a batch after 5xx, timeout or network error. Default 5. */
  retries?: number;
  /** First back-off delay; doubles. Default 500 ms. */
  baseDelayMs?: number;
  /** Called when the target asks us to wait (429), for the summary. */
  onRateLimited?: (waitMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** The Idempotency-Keys of one batch: the same when the same batch is sent again after a crash. */
export interface BulkKeys {
  batch: string;
  users: string[];
}

export interface BulkPoster {
  /** True once the target refused an array: every later batch goes one user a request. */
  readonly single: boolean;
  /**
   * One outcome per user, in order. Throws ImportStoppedError when the target stays down.
   * `keys` are sent as Idempotency-Key: `batch` with the array, `users[i]` with user i when
   * the target takes one user a request (docs/targets.md).
   */
  post(users: BulkUser[], keys?: BulkKeys): Promise<BulkOutcome[]>;
}
