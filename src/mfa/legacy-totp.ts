// Reads a TOTP secret as the legacy table holds it (legacy.columns.totp_secret): decrypted
// first where the application encrypts it (Laravel's encrypter with its APP_KEY), then
// decoded from base32, hex or raw bytes into the base32 the bridge seals and keeps.
// A value that will not open is an error, never "no second factor": a user who had one
// must not lose it silently at migration.
import { Secret } from 'otpauth';
import type { LegacyTotpConfig } from '../config/schema.ts';
import { BridgeError, ConfigError } from '../errors.ts';
import { LaravelDecryptError, laravelDecrypt, parseLaravelKey } from './laravel-encrypter.ts';
import type { TotpParams } from './totp.ts';

/** A legacy TOTP value that cannot be used: its reason is logged, the user sees "unavailable". */
export class LegacyTotpError extends BridgeError {
  readonly reason: string;
  constructor(reason: string) {
    super(
      'legacy_totp_unusable',
      `The legacy TOTP secret of this account cannot be read (${reason}). Fix: check legacy.totp (encoding, encryption, key) against the legacy application.`,
      503,
      { reason },
    );
    this.reason = reason;
  }
}

export interface LegacyTotpReader {
  /** The secret of a row, or undefined when the column is empty (no second factor). */
  read(value: unknown): TotpParams | undefined;
}

const RFC4648 = /^[A-Z2-7]+=*$/;

function textOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (typeof value === 'string') return value;
  return undefined;
}

/** Checks the configuration at start; a wrong key fails there, naming legacy.totp.key. */
export function createLegacyTotpReader(cfg: LegacyTotpConfig): LegacyTotpReader {
  let keys: Buffer[] = [];
  if (cfg.encryption === 'laravel') {
    const problems: string[] = [];
    if (!cfg.key) {
      problems.push(
        'legacy.totp.key: is required with legacy.totp.encryption: laravel. Fix: set it to the application\'s APP_KEY, e.g. key: "${APP_KEY}".',
      );
    }
    const all = [cfg.key ?? '', ...cfg.previous_keys];
    all.forEach((k, i) => {
      if (i === 0 && !cfg.key) return;
      if (!parseLaravelKey(k)) {
        const where = i === 0 ? 'legacy.totp.key' : `legacy.totp.previous_keys.${i - 1}`;
        problems.push(
          `${where}: is not a Laravel key (16 or 32 bytes, written base64:… as in .env). Fix: copy APP_KEY from the application's .env.`,
        );
      }
    });
    if (problems.length) throw new ConfigError(problems);
    keys = all.map((k) => parseLaravelKey(k)!);
  }
  const params = { digits: cfg.digits, period: cfg.period, algorithm: cfg.algorithm };

  function decoded(text: string | Buffer): Buffer {
    if (cfg.encoding === 'raw') return Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
    const s = (Buffer.isBuffer(text) ? text.toString('latin1') : text).replace(/[\s-]/g, '');
    if (cfg.encoding === 'hex') {
      if (!/^([0-9a-fA-F]{2})+$/.test(s)) throw new LegacyTotpError('not_hex');
      return Buffer.from(s, 'hex');
    }
    const upper = s.toUpperCase();
    if (!RFC4648.test(upper)) throw new LegacyTotpError('not_base32');
    return Buffer.from(Secret.fromBase32(upper.replace(/=+$/, '')).bytes);
  }

  return {
    read(value) {
      const text = textOf(value);
      if (value !== null && value !== undefined && text === undefined) throw new LegacyTotpError('not_text');
      if (text === undefined || text.trim() === '') return undefined;
      let material: string | Buffer = Buffer.isBuffer(value) && cfg.encryption === 'none' ? value : text;
      if (cfg.encryption === 'laravel') {
        try {
          material = laravelDecrypt(text, keys);
        } catch (err) {
          if (err instanceof LaravelDecryptError) throw new LegacyTotpError(err.reason);
          throw err;
        }
      }
      const bytes = decoded(material);
      // Below 80 bits no authenticator app made the secret; it is a misread column.
      if (bytes.length < 10) throw new LegacyTotpError('too_short');
      return { secret: new Secret({ buffer: new Uint8Array(bytes).buffer }).base32, ...params };
    },
  };
}
