// Django's PBKDF2 hashers: `pbkdf2_sha256$iterations$salt$base64` and `pbkdf2_sha1$...`,
// the derived key as long as the digest. The async crypto.pbkdf2 runs in the libuv thread
// pool; never pbkdf2Sync, which would hold the event loop for the whole derivation.

import { pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { discardedPassword, memoDecoy } from './decoy.ts';
import { decodeBase64 } from './encoding.ts';
import type { Verifier } from './types.ts';

const pbkdf2Async = promisify(pbkdf2);

/** Iteration counts above this are refused: a row with a huge count must not pin a thread for minutes. */
export const PBKDF2_MAX_ITERATIONS = 20_000_000;

export async function derivePbkdf2(
  password: string,
  salt: Uint8Array | string,
  iterations: number,
  keyLength: number,
  digestName: 'sha1' | 'sha256' | 'sha512',
): Promise<Buffer> {
  return pbkdf2Async(password, salt, iterations, keyLength, digestName);
}

export function checkIterations(iterations: number, scheme: string): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new UnusableHashError('malformed', `malformed ${scheme} hash: bad iteration count`, scheme);
  }
  if (iterations > PBKDF2_MAX_ITERATIONS) {
    throw new UnusableHashError(
      'unsupported_parameters',
      `${scheme} iteration count above the limit`,
      scheme,
    );
  }
}

const RE = /^pbkdf2_(sha256|sha1)\$(\d+)\$([^$]*)\$([^$]*)$/;

/** Django 5.x's default: pbkdf2_sha256 with 1,000,000 iterations (or the count of `like`). */
function djangoPbkdf2Decoy(like?: string): Promise<string> {
  const m = like ? RE.exec(like) : null;
  const algorithm = (m?.[1] ?? 'sha256') as 'sha256' | 'sha1';
  const count = m ? Number(m[2]) : 1_000_000;
  const iterations = count >= 1 && count <= PBKDF2_MAX_ITERATIONS ? count : 1_000_000;
  return memoDecoy(`django_pbkdf2:${algorithm}:${iterations}`, async () => {
    const salt = randomBytes(16).toString('base64url').slice(0, 22);
    const size = algorithm === 'sha256' ? 32 : 20;
    const key = await derivePbkdf2(discardedPassword(), salt, iterations, size, algorithm);
    return `pbkdf2_${algorithm}$${iterations}$${salt}$${key.toString('base64')}`;
  });
}

export const djangoPbkdf2Verifier: Verifier = {
  id: 'django_pbkdf2',
  label: 'Django PBKDF2PasswordHasher / PBKDF2SHA1PasswordHasher',
  decoy: djangoPbkdf2Decoy,
  detect: (stored) => /^pbkdf2_(?:sha256|sha1)\$/.test(stored),
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    if (!m) {
      throw new UnusableHashError(
        'malformed',
        'malformed Django PBKDF2 hash: expected pbkdf2_<digest>$<iterations>$<salt>$<hash>',
        'django_pbkdf2',
      );
    }
    const algorithm = m[1] as 'sha256' | 'sha1';
    const iterations = Number(m[2]);
    checkIterations(iterations, 'django_pbkdf2');
    const expected = decodeBase64(m[4]!);
    if (!expected || expected.length === 0 || expected.length > 256) {
      throw new UnusableHashError(
        'malformed',
        'malformed Django PBKDF2 hash: hash is not base64',
        'django_pbkdf2',
      );
    }
    // Django derives a key as long as the digest; a stored key of another length is compared as such.
    const derived = await derivePbkdf2(password, m[3]!, iterations, expected.length, algorithm);
    return constantTimeEqual(derived, expected);
  },
};
