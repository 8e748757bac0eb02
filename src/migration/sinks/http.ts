// The HTTP sink: POSTs one user-import record to the target's import API. The user is built from
// the job's legacy-row snapshot with the CURRENT target.mapping and defaults, so fixing the
// mapping and running `migration retry` delivers a job that failed validation. A payload
// that breaks the user-import format is never sent; the target's answers map to outcomes below.

import type { HttpTargetConfig } from '../../config/schema.ts';
import { BridgeError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import {
  buildTargetUserFromForm,
  buildTargetUserWithoutPassword,
  describeProblems,
  parseTargetPassword,
  type TargetUser,
  validateTargetUser,
} from '../payload.ts';
import type { DeliveryJob, DeliveryResult, Sink } from './types.ts';

/**
 * A job whose password form is gone (it was erased when the job ended, and an operator
 * re-queued it with `migration retry --dead`) is not sent without a password behind the
 * operator's back: it fails with this reason, and stays visible in `migration list`.
 * Jobs meant to go without one carry `payload.without_password` (the bulk import).
 */
export const NO_PASSWORD_FORM = 'password form no longer available; the user must log in again';

const MAX_DETAIL = 500;
const MAX_BODY_CHARS = 64 * 1024;

export interface HttpSinkDeps {
  logger?: Logger | undefined;
}

export function createHttpSink(target: HttpTargetConfig, deps: HttpSinkDeps = {}): Sink {
  const logger = deps.logger;
  // Header values (tokens) are scrubbed from anything the target echoes back, as passwords are.
  const headerSecrets = Object.values(target.headers).filter((v) => v.length >= 8);

  function build(job: DeliveryJob, legacyId: string): TargetUser | DeliveryResult {
    const options = { mapping: target.mapping, defaults: target.defaults, legacyId };
    try {
      if (job.payload.without_password) {
        return buildTargetUserWithoutPassword(job.payload.row, {
          ...options,
          passwordAlgorithm: target.password_algorithm,
        });
      }
      const form = job.secret === null ? undefined : parseTargetPassword(job.secret);
      if (!form) return { outcome: 'failed', reason: 'no_password_form', detail: NO_PASSWORD_FORM };
      return buildTargetUserFromForm(job.payload.row, { ...options, form });
    } catch (err) {
      // A mapping naming a missing column, or an invalid mapping: fixable in config.
      if (err instanceof BridgeError) {
        return { outcome: 'invalid', reason: 'invalid', detail: `legacy row ${legacyId}: ${err.message}` };
      }
      throw err;
    }
  }

  return {
    name: 'http',
    claims: true,
    async deliver(job, signal) {
      const legacyId = job.payload.legacy_id ?? job.sub;
      const built = build(job, legacyId);
      if ('outcome' in built) return built;
      const checked = validateTargetUser(built);
      if (!checked.ok) {
        return {
          outcome: 'invalid',
          reason: 'invalid',
          detail: describeProblems(checked.problems, legacyId),
        };
      }
      const user = checked.user;
      const scrub = scrubber([user.password, parseTargetPassword(user.password)?.hash, ...headerSecrets]);

      let res: Response;
      let text: string;
      try {
        res = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...target.headers },
          body: JSON.stringify(user),
          // A redirect would turn the POST into a GET elsewhere: report it instead.
          redirect: 'manual',
          signal: AbortSignal.any([signal, AbortSignal.timeout(target.timeout_ms)]),
        });
        text = (await res.text()).slice(0, MAX_BODY_CHARS);
      } catch (err) {
        if (signal.aborted) {
          return { outcome: 'retry', reason: 'interrupted', detail: 'the worker stopped during the request' };
        }
        if ((err as Error).name === 'TimeoutError') {
          return { outcome: 'retry', reason: 'timeout', detail: `no answer within ${target.timeout_ms} ms` };
        }
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (err as Error).message;
        return { outcome: 'retry', reason: 'network', detail: scrub(`cannot reach the target: ${why}`) };
      }

      const body = parseJson(text);
      const error = typeof body?.error === 'string' ? body.error : undefined;
      logger?.debug({ job: job.id, status: res.status, error }, 'target answered');
      if (res.status >= 200 && res.status < 300) return { outcome: 'delivered', reason: 'delivered' };
      if (res.status === 409 && error === 'already_exists') {
        // The target already holds this customer_code: an earlier attempt got through
        // (its answer was lost, or a worker died before recording it).
        return { outcome: 'delivered', reason: 'already_exists' };
      }
      const detail = scrub(describeAnswer(res.status, body, text));
      if (res.status === 409 && error === 'email_conflict') {
        return { outcome: 'conflict', reason: 'email_conflict', detail };
      }
      if (res.status === 429) {
        return {
          outcome: 'retry',
          reason: 'rate_limited',
          detail,
          retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
        };
      }
      if (res.status >= 500 || res.status === 408) return { outcome: 'retry', reason: 'unavailable', detail };
      return { outcome: 'failed', reason: 'rejected', detail };
    },
  };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** "target answered 400 validation_error: first_name: is required (got null)". */
function describeAnswer(status: number, body: Record<string, unknown> | undefined, text: string): string {
  let out = `target answered ${status}`;
  if (body) {
    if (typeof body.error === 'string') out += ` ${body.error}`;
    const fields = body.fields;
    if (fields && typeof fields === 'object' && !Array.isArray(fields)) {
      const parts = Object.entries(fields).map(
        ([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
      );
      if (parts.length) out += `: ${parts.join('; ')}`;
    } else if (typeof body.message === 'string') {
      out += `: ${body.message}`;
    }
  } else if (status >= 300 && status < 400) {
    out += ' (a redirect; check target.url)';
  } else if (text.trim()) {
    out += `: ${text.trim()}`;
  }
  return out.replace(/\s+/g, ' ');
}

/** Seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Removes every given secret from a text the target sent back, then bounds its length. */
function scrubber(secrets: Array<string | undefined>): (text: string) => string {
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  return (text) => {
    let out = text;
    for (const s of list) out = out.split(s).join('[redacted]');
    return out.length > MAX_DETAIL ? `${out.slice(0, MAX_DETAIL - 1)}…` : out;
  };
}
