// One HTTP exchange with a target, as every target's sink makes it: a JSON request that
// never follows a redirect, bounded in time and size, with network failures, timeouts and
// a worker's shutdown told apart, and the answers all targets read alike (2xx, 429, 5xx).
import type { DeliveryResult } from './types.ts';

const MAX_DETAIL = 500;
const MAX_BODY_CHARS = 64 * 1024;

export interface Exchange {
  status: number;
  headers: Headers;
  text: string;
  /** The body as a JSON object, or undefined when it is not one. */
  body: Record<string, unknown> | undefined;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Sent as Idempotency-Key: the job's key, the same on every attempt. */
  idempotencyKey?: string | undefined;
}

/** The request's answer, or the retry it calls for when none came. */
export async function exchange(
  spec: RequestSpec,
  scrub: (text: string) => string = (t) => t,
): Promise<Exchange | Extract<DeliveryResult, { outcome: 'retry' }>> {
  const timeout = AbortSignal.timeout(spec.timeoutMs);
  try {
    const res = await fetch(spec.url, {
      method: spec.method,
      headers: spec.idempotencyKey
        ? { ...spec.headers, 'idempotency-key': spec.idempotencyKey }
        : spec.headers,
      body: spec.body,
      // A redirect would turn the POST into a GET elsewhere: report it instead.
      redirect: 'manual',
      signal: spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout,
    });
    const text = (await res.text()).slice(0, MAX_BODY_CHARS);
    return { status: res.status, headers: res.headers, text, body: parseJsonObject(text) };
  } catch (err) {
    if (spec.signal?.aborted) {
      return { outcome: 'retry', reason: 'interrupted', detail: 'the worker stopped during the request' };
    }
    if ((err as Error).name === 'TimeoutError' || timeout.aborted) {
      return { outcome: 'retry', reason: 'timeout', detail: `no answer within ${spec.timeoutMs} ms` };
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    return { outcome: 'retry', reason: 'network', detail: scrub(`cannot reach the target: ${why}`) };
  }
}

export function isExchange(v: Exchange | DeliveryResult): v is Exchange {
  return 'status' in v;
}

/** What every target means by these answers; undefined leaves the status to the target. */
export function commonOutcome(answer: Exchange, detail: string): DeliveryResult | undefined {
  if (answer.status === 429) {
    return {
      outcome: 'retry',
      reason: 'rate_limited',
      detail,
      retryAfterMs: parseRetryAfter(answer.headers.get('retry-after')),
    };
  }
  if (answer.status >= 500 || answer.status === 408)
    return { outcome: 'retry', reason: 'unavailable', detail };
  return undefined;
}

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
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
export function scrubber(secrets: Array<string | undefined | null>): (text: string) => string {
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  return (text) => {
    let out = text;
    for (const s of list) out = out.split(s).join('[redacted]');
    return out.length > MAX_DETAIL ? `${out.slice(0, MAX_DETAIL - 1)}…` : out;
  };
}

/** Header values long enough to be credentials: scrubbed from anything the target echoes. */
export function headerSecrets(headers: Record<string, string>): string[] {
  return Object.values(headers)
    .flatMap((v) => [v, v.replace(/^\s*(Bearer|Basic|Token)\s+/i, '')])
    .filter((v) => v.length >= 8);
}

/** "target answered 400 validation_error: first_name: is required (got null)". */
export function describeAnswer(answer: Exchange): string {
  const { status, body, text } = answer;
  let out = `target answered ${status}`;
  if (body) {
    if (typeof body.error === 'string') out += ` ${body.error}`;
    else if (typeof body.scimType === 'string') out += ` ${body.scimType}`;
    const fields = body.fields;
    if (fields && typeof fields === 'object' && !Array.isArray(fields)) {
      const parts = Object.entries(fields).map(
        ([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
      );
      if (parts.length) out += `: ${parts.join('; ')}`;
    } else if (typeof body.message === 'string') {
      out += `: ${body.message}`;
    } else if (typeof body.detail === 'string') {
      out += `: ${body.detail}`;
    }
  } else if (status >= 300 && status < 400) {
    out += ' (a redirect; check target.url)';
  } else if (text.trim()) {
    out += `: ${text.trim()}`;
  }
  return out.replace(/\s+/g, ' ');
}
