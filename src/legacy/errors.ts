// Errors every legacy source kind raises: a configuration that does not fit the legacy store
// (names the key to fix), and a command the kind cannot serve (says what to do instead).
// What a driver throws is sorted per kind (sql/errors.ts); nothing here carries a login name.
import { BridgeError } from '../errors.ts';

/** The legacy configuration does not fit the legacy store: names the key to fix. */
export class LegacyConfigError extends BridgeError {
  readonly key: string;
  constructor(key: string, message: string, details?: Record<string, unknown>) {
    super('legacy_config_invalid', message, 500, { key, ...details });
    this.key = key;
  }
}

/** The source kind cannot do this (an HTTP check cannot list its users); the message says what can. */
export class LegacyNotSupportedError extends BridgeError {
  constructor(message: string) {
    super('legacy_not_supported', message, 400);
  }
}
