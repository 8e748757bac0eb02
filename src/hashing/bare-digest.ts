// A bare md5/sha1/sha256/sha512 digest with no prefix: hex of any case (32/40/64/128
// digits) or base64 of 16/20/32/64 bytes, the algorithm read from the length. Also Django's
// unsalted_md5 (bare 32 hex). With a salt column, salt + password and password + salt are
// both tried, since nothing in the hash says which way round it was built.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { DIGEST_SIZE, type DigestAlgorithm, digest } from './digests.ts';
import { decodeDigest } from './encoding.ts';
import type { TargetPasswordForm, Verifier } from './types.ts';

const ALGORITHMS: readonly DigestAlgorithm[] = ['md5', 'sha1', 'sha256', 'sha512'];

/** The algorithm and raw digest of a bare digest string, or undefined when it is none. */
export function parseBareDigest(
  stored: string,
): { algorithm: DigestAlgorithm; expected: Buffer } | undefined {
  for (const algorithm of ALGORITHMS) {
    const expected = decodeDigest(stored, DIGEST_SIZE[algorithm]);
    if (expected) return { algorithm, expected };
  }
  return undefined;
}

/**
 * Checks a bare digest; with a salt, both salt positions. Resolves the expression that
 * matched (e.g. `sha1(salt + password)`), or undefined. Both candidates are always computed
 * so that the time taken does not tell which one matched.
 */
export async function matchBareDigest(
  password: string,
  stored: string,
  salt: string | undefined,
): Promise<{ match: boolean; scheme: string }> {
  const parsed = parseBareDigest(stored);
  if (!parsed) {
    throw new UnusableHashError(
      'malformed',
      'not a hex or base64 md5/sha1/sha256/sha512 digest',
      'bare_digest',
    );
  }
  const { algorithm, expected } = parsed;
  if (salt === undefined || salt === '') {
    return {
      match: constantTimeEqual(digest(algorithm, password), expected),
      scheme: `${algorithm}(password)`,
    };
  }
  const saltFirst = constantTimeEqual(digest(algorithm, salt, password), expected);
  const saltLast = constantTimeEqual(digest(algorithm, password, salt), expected);
  if (saltLast && !saltFirst) return { match: true, scheme: `${algorithm}(password + salt)` };
  return { match: saltFirst, scheme: `${algorithm}(salt + password)` };
}

export const bareDigestVerifier: Verifier = {
  id: 'bare_digest',
  detect: (stored) => parseBareDigest(stored) !== undefined,
  async verify({ password, stored, salt }) {
    return (await matchBareDigest(password, stored, salt)).match;
  },
  targetForm(stored, salt): TargetPasswordForm | undefined {
    // With a salt the position is unknown without the password: configure an expression instead.
    if (salt) return undefined;
    const parsed = parseBareDigest(stored);
    if (!parsed || parsed.algorithm === 'sha512') return undefined;
    return { algorithm: parsed.algorithm, salt: '', hash: parsed.expected.toString('hex') };
  },
};
