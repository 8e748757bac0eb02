// What every target's test double offers the tests and the demo, whatever platform it
// stands in for: the `target` section that points a bridge at it, the users it holds and how
// often each was created, every request it answered, switchable faults, and the platform's
// own password check. The delivery tests run the same assertions against each of them.
import type { Logger } from '../logger.ts';
import type { ModeOptions, TargetMode } from './faults.ts';

export type { ModeOptions, TargetMode };

/**
 * What one request meant to the double: created (a new user), duplicate (a user it already
 * held, answered as such), updated, refused (validation, auth), fault (an injected failure).
 */
export type RequestOutcome = 'created' | 'duplicate' | 'updated' | 'refused' | 'fault';

export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  /** The legacy id the request was about, when it named one. */
  legacyId: string | undefined;
  status: number;
  outcome: RequestOutcome;
  /** The body with every password replaced by '[redacted]'. */
  body: unknown;
  /** The Idempotency-Key header the request carried, if any. */
  idempotencyKey?: string | undefined;
}

export interface ReferenceDouble {
  readonly type: string;
  readonly url: string;
  /** The `target` section for a bridge delivering here, as a config file would hold it. */
  readonly targetConfig: Record<string, unknown>;
  /** Every request the double answered, in order (health checks and reads left out). */
  readonly requests: RequestRecord[];
  /** Legacy id → how many times a user with it was created (more than 1 would be a double delivery). */
  readonly creates: Map<string, number>;
  /** The users it holds, by legacy id, password fields left out. */
  users(): Map<string, Record<string, unknown>>;
  setMode(mode: TargetMode, options?: ModeOptions): void;
  /** Forgets users and requests, and returns to normal mode. */
  reset(): void;
  /** The platform's own check: can this user sign in there with this password? */
  verifyPassword(legacyId: string, password: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface ReferenceOptions {
  port?: number | undefined;
  host?: string | undefined;
  /** The bearer token the double requires (and the targetConfig sends); none when unset. */
  token?: string | undefined;
  logger?: Logger | undefined;
}

export type ReferenceFactory = (opts?: ReferenceOptions) => Promise<ReferenceDouble>;

/** Counts requests by legacy id and outcome, as the delivery tests read them. */
export function requestsFor(double: ReferenceDouble, legacyId: string, outcome?: RequestOutcome): number {
  return double.requests.filter(
    (r) => r.legacyId === legacyId && (outcome === undefined || r.outcome === outcome),
  ).length;
}

/** Replaces every `password` value (at any depth) by '[redacted]'. */
export function redactPasswords(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(redactPasswords);
  if (typeof body !== 'object' || body === null) return body;
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [k, k === 'password' ? '[redacted]' : redactPasswords(v)]),
  );
}
