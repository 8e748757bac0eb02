// bcrypt ($2a$, $2b$, $2y$, $2x$) with PHP's password_verify semantics: UTF-8 bytes up to the
// first NUL (crypt(3) reads a C string), of which bcrypt uses 72; `$2x$` with 8-bit bytes is
// emulated, not refused. Runs in @node-rs/bcrypt's native thread pool: as fast as `bcrypt` in
// bench/hash-libs.ts, and it takes raw bytes, which the $2x$ emulation needs.

import { hash as nativeHash, verify as nativeVerify } from '@node-rs/bcrypt';
import { UnusableHashError } from '../errors.ts';
import { discardedPassword, memoDecoy } from './decoy.ts';
import type { Verifier, VerifyInput } from './types.ts';

const BCRYPT_RE = /^\$2([abxy])\$(\d\d)\$([./A-Za-z0-9]{53})$/;
const PREFIX_RE = /^\$2[abxy]?\$/;

/** bcrypt reads at most 72 bytes of key. */
export const BCRYPT_MAX_BYTES = 72;

export interface ParsedBcrypt {
  minor: 'a' | 'b' | 'x' | 'y';
  cost: number;
  /** Salt and checksum, 22 + 31 characters. */
  body: string;
}

/** Parses a bcrypt string strictly; throws UnusableHashError naming the bad part (never the hash). */
export function parseBcrypt(stored: string, scheme = 'bcrypt'): ParsedBcrypt {
  if (stored.startsWith('$2$')) {
    throw new UnusableHashError('unsupported_parameters', 'bcrypt hash of the original $2$ version', scheme);
  }
  const m = BCRYPT_RE.exec(stored);
  if (!m) {
    const reason = /^\$2[abxy]\$\d\d\$/.test(stored)
      ? 'bad salt or checksum field'
      : /^\$2[abxy]\$/.test(stored)
        ? 'bad cost field'
        : 'bad version';
    throw new UnusableHashError('malformed', `malformed bcrypt hash: ${reason}`, scheme);
  }
  const cost = Number(m[2]);
  if (cost < 4 || cost > 31) {
    throw new UnusableHashError('malformed', 'malformed bcrypt hash: cost out of range 04-31', scheme);
  }
  return { minor: m[1] as ParsedBcrypt['minor'], cost, body: m[3]! };
}

/** The key bytes PHP's crypt_blowfish hashes: UTF-8, cut at the first NUL and at 72 bytes. */
export function bcryptKeyBytes(password: string | Uint8Array): Buffer {
  const bytes = typeof password === 'string' ? Buffer.from(password, 'utf8') : Buffer.from(password);
  const nul = bytes.indexOf(0);
  const end = Math.min(nul === -1 ? bytes.length : nul, BCRYPT_MAX_BYTES);
  return bytes.subarray(0, end);
}

/**
 * crypt_blowfish before 1.1 (PHP < 5.3.7) sign-extended bytes >= 0x80 while building the
 * key; such hashes carry `$2x$`. The buggy key schedule is 18 32-bit words; written out as 72
 * raw bytes and hashed as a correct `$2b$` key (which cycles through exactly these bytes), it
 * reproduces the buggy result. Checked against libxcrypt's $2x$ in the test vectors.
 */
export function signExtendedKey(key: Buffer): Buffer {
  const cycle = Buffer.concat([key, Buffer.alloc(1)]);
  const out = Buffer.alloc(BCRYPT_MAX_BYTES);
  let p = 0;
  for (let word = 0; word < 18; word++) {
    let w = 0;
    for (let j = 0; j < 4; j++) {
      const c = cycle[p]!;
      w = ((w << 8) | (c >= 0x80 ? c - 0x100 : c)) >>> 0;
      p = c === 0 ? 0 : p + 1;
    }
    out.writeUInt32BE(w, word * 4);
  }
  return out;
}

/**
 * Verifies a password against a bcrypt string. `$2a$`, `$2b$` and `$2y$` are one algorithm
 * for keys of at most 72 bytes (the $2a$/$2b$ difference was OpenBSD's length wrap-around past
 * 255 bytes, which crypt_blowfish never had); `$2x$` with 8-bit bytes is emulated.
 */
export async function verifyBcrypt(password: string | Uint8Array, stored: string, scheme = 'bcrypt') {
  const parsed = parseBcrypt(stored, scheme);
  const key = bcryptKeyBytes(password);
  const eightBit = key.some((b) => b >= 0x80);
  const effectiveKey = parsed.minor === 'x' && eightBit ? signExtendedKey(key) : key;
  const normalized = `$2b$${String(parsed.cost).padStart(2, '0')}$${parsed.body}`;
  return nativeVerify(effectiveKey, normalized);
}

/** PHP password_hash's default cost, as `$2y$`; made by php-cli of a discarded password. */
const DECOY_10 = '$2y$10$Y9kbRUFg8FyzOMeJJJTA..A4iGpDMxUAk6IXEotGKGnafzLfAEwoO';

/** A bcrypt decoy at the cost of `like` (4-16), computed once per cost in the native pool. */
export function bcryptDecoy(like?: string): Promise<string> {
  const cost = like ? Number(/^\$2[abxy]\$(\d\d)\$/.exec(like)?.[1] ?? 10) : 10;
  if (cost === 10 || cost < 4 || cost > 16) return Promise.resolve(DECOY_10);
  return memoDecoy(`bcrypt:${cost}`, () => nativeHash(discardedPassword(), cost));
}

export const bcryptVerifier: Verifier = {
  id: 'bcrypt',
  label: 'bcrypt (PHP password_hash, Laravel, Rails has_secure_password, OpenBSD)',
  detect: (stored) => PREFIX_RE.test(stored),
  verify: ({ password, stored }: VerifyInput) => verifyBcrypt(password, stored),
  decoy: bcryptDecoy,
  check: (stored) => {
    parseBcrypt(stored);
  },
};
