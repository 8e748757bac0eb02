// The one error module. Every error the bridge raises on purpose has a stable `code`,
// an HTTP `status` and `expose` (status < 500): the HTTP layer and the CLI map errors to
// pages, JSON or exit codes in one place, and tests assert on `code`, never on text.

/** Every code a BridgeError carries: tests, the CLI and the error table match on these. */
export type BridgeErrorCode =
  | 'config_invalid'
  | 'usage'
  | 'hash_unusable'
  | 'scheme_invalid'
  | 'legacy_unavailable'
  | 'legacy_schema_missing'
  | 'legacy_config_invalid'
  | 'legacy_row_invalid'
  | 'legacy_missing'
  | 'legacy_not_supported'
  | 'legacy_totp_unusable'
  | 'store_unavailable'
  | 'data_dir_unusable'
  | 'import_stopped'
  | 'import_interrupted'
  | 'throttled'
  | 'form_unreadable'
  | 'not_found'
  | 'client_invalid'
  | 'client_exists'
  | 'client_public'
  | 'kek_missing'
  | 'kek_wrong'
  | 'port_unavailable'
  | 'password_form_invalid'
  | 'scim_unreachable'
  | 'scim_config_unreadable'
  | 'target_mapping_invalid'
  | 'target_no_bulk'
  | 'target_none';

export class BridgeError extends Error {
  readonly code: BridgeErrorCode;
  readonly status: number;
  readonly expose: boolean;
  /** Extra, non-secret facts for logs (never a password or a hash). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: BridgeErrorCode, message: string, status = 400, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.expose = status < 500;
    this.details = details;
  }
}

/** Configuration is invalid: names the key, the problem and the fix. CLI exit code 2. */
export class ConfigError extends BridgeError {
  readonly issues: string[];
  constructor(issues: string[]) {
    super('config_invalid', `Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`, 500);
    this.issues = issues;
  }
}

/** A command-line argument is wrong. CLI exit code 2, with the command's usage. */
export class UsageError extends BridgeError {
  readonly usage: string | undefined;
  constructor(message: string, usage?: string) {
    super('usage', message, 400);
    this.usage = usage;
  }
}

/**
 * A stored password hash the bridge cannot use: unknown format, malformed, unsupported
 * parameters. Distinct from a mismatch. Logged and counted with `reason`; the user sees
 * only "wrong username or password".
 */
export class UnusableHashError extends BridgeError {
  readonly reason: string;
  readonly scheme: string | undefined;
  constructor(reason: string, message: string, scheme?: string) {
    super('hash_unusable', message, 500, { reason, scheme });
    this.reason = reason;
    this.scheme = scheme;
  }
}

/** A scheme expression (`sha1(salt + password)`) that does not parse. */
export class SchemeExpressionError extends BridgeError {
  constructor(message: string) {
    super('scheme_invalid', message, 400);
  }
}

/** The legacy database cannot be reached or answered with an error: login is unavailable. */
export class LegacyUnavailableError extends BridgeError {
  constructor(
    message = 'The legacy user database is unavailable.',
    code: 'legacy_unavailable' | 'legacy_schema_missing' = 'legacy_unavailable',
  ) {
    super(code, message, 503);
  }
}

/** The bridge store is down, cut or stalled: every request that needs it answers 503. */
export class StoreUnavailableError extends BridgeError {
  readonly reason: string;
  constructor(reason: string) {
    super('store_unavailable', `The bridge store is unavailable (${reason}).`, 503, { reason });
    this.reason = reason;
  }
}

/** A legacy row is unusable (e.g. the configured column is missing). */
export class LegacyRowError extends BridgeError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('legacy_row_invalid', message, 500, details);
  }
}

/** The bulk import stopped: the target stayed unavailable. Its checkpoint is intact for --resume. */
export class ImportStoppedError extends BridgeError {
  constructor(message: string) {
    super('import_stopped', message, 503);
  }
}

/** Login was throttled: `retryAfter` is in seconds. */
export class ThrottledError extends BridgeError {
  readonly retryAfter: number;
  constructor(retryAfter: number) {
    super('throttled', 'Too many attempts. Try again later.', 429, { retryAfter });
    this.retryAfter = retryAfter;
  }
}

/** A record the command or request names does not exist. */
export class NotFoundError extends BridgeError {
  constructor(message: string) {
    super('not_found', message, 404);
  }
}

export function isBridgeError(err: unknown): err is BridgeError {
  return err instanceof BridgeError;
}
