// The one table from an error to what the browser or client gets: status, code, the page's
// heading and sentence, and Retry-After for outages. The koa app, the interaction routes and
// oidc-provider's renderError all answer through it. oidc-provider's own errors are matched
// by class, ours by code, never by message text.
import { errors as oidcErrors } from 'oidc-provider';
import { type BridgeErrorCode, isBridgeError, ThrottledError } from '../errors.ts';
import { asStoreFault } from '../store/faults.ts';
import type { MessageKey } from './i18n.ts';

export interface ErrorResponse {
  /** Shown on the page and in JSON `error`. */
  code: string;
  status: number;
  heading: MessageKey;
  /** The sentence as a message key, or undefined to show `text`. */
  message: MessageKey | undefined;
  /** The error's own message, shown only when `message` is undefined and status < 500. */
  text: string | undefined;
  /** Seconds, sent as Retry-After. */
  retryAfter: number | undefined;
  /** An operator should see this one in the log (a fault of ours, not bad input). */
  log: boolean;
}

interface Entry {
  status: number;
  heading: MessageKey;
  message?: MessageKey;
  retryAfter?: number;
}

const UNAVAILABLE: Entry = { status: 503, heading: 'unavailable_title', message: 'legacy_unavailable' };

/** Bridge error codes whose answer is not "status and message as the error carries them". */
const TABLE: Partial<Record<BridgeErrorCode | 'interaction_expired', Entry>> = {
  legacy_unavailable: { ...UNAVAILABLE, retryAfter: 60 },
  legacy_schema_missing: { ...UNAVAILABLE, retryAfter: 60 },
  legacy_totp_unusable: { ...UNAVAILABLE, retryAfter: 60 },
  store_unavailable: { ...UNAVAILABLE, retryAfter: 5 },
  throttled: { status: 429, heading: 'error_title', message: 'throttled_short' },
  interaction_expired: { status: 400, heading: 'session_expired_title', message: 'session_expired' },
};

const REQUEST_TOO_LARGE: Entry = { status: 413, heading: 'error_title', message: 'request_too_large' };

function fromEntry(code: string, e: Entry, retryAfter?: number): ErrorResponse {
  return {
    code,
    status: e.status,
    heading: e.heading,
    message: e.message,
    text: undefined,
    retryAfter: retryAfter ?? e.retryAfter,
    log: e.status >= 500,
  };
}

export function errorResponse(err: unknown): ErrorResponse {
  // oidc-provider wraps what its adapter threw (a store outage) as the cause.
  if (err instanceof oidcErrors.OIDCProviderError && isBridgeError(err.cause))
    return errorResponse(err.cause);
  if (err instanceof oidcErrors.SessionNotFound)
    return fromEntry('interaction_expired', TABLE.interaction_expired!);
  const fault = asStoreFault(err);
  if (fault) return fromEntry(fault.code, TABLE.store_unavailable!);
  if (isBridgeError(err)) {
    const entry = TABLE[err.code];
    if (entry) return fromEntry(err.code, entry, err instanceof ThrottledError ? err.retryAfter : undefined);
    return {
      code: err.code,
      status: err.status,
      heading: 'error_title',
      message: err.expose ? undefined : 'error_generic',
      text: err.expose ? err.message : undefined,
      retryAfter: undefined,
      log: !err.expose,
    };
  }
  // Koa, the body parser and oidc-provider: http-errors and OIDCProviderError carry a status.
  const e = err as {
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
    message?: unknown;
    error?: unknown;
  };
  const raw = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  const status = raw >= 400 && raw <= 599 ? raw : 500;
  if (status === 413 && !(err instanceof oidcErrors.OIDCProviderError))
    return fromEntry('request_too_large', REQUEST_TOO_LARGE);
  const expose = status < 500;
  const code =
    err instanceof oidcErrors.OIDCProviderError
      ? String(e.error)
      : status === 415
        ? 'unsupported_media_type'
        : expose
          ? 'bad_request'
          : 'server_error';
  return {
    code,
    status,
    heading: 'error_title',
    message: expose ? undefined : 'error_generic',
    text: expose && typeof e.message === 'string' ? e.message : undefined,
    retryAfter: undefined,
    log: !expose,
  };
}
