// A bare digest with no prefix: hex of any case or base64, the algorithm read from the
// length (16 bytes md5, or an NT hash; 20 sha1; 32 sha256; 48 sha384; 64 sha512). Without a
// salt, the password's own digest (and for 16 bytes the NT hash) is tried; with a salt column
// and a hex digest, salt + password, password + salt and an HMAC keyed with the salt. What
// cannot be told apart this way is refused as ambiguous rather than answered "no match":
// 64 bytes of base64 (sha512, Symfony's MessageDigest, a PBKDF2 key, salt + digest) and a
// base64 digest with a salt (is the salt text, or base64 of bytes as ASP.NET Membership has it?).

import { randomBytes } from 'node:crypto';
import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { DIGEST_SIZE, type DigestAlgorithm, digest, hmac, ntHash } from './digests.ts';
import { decodeBase64, decodeHex } from './encoding.ts';
import type { TargetPasswordForm, Verifier } from './types.ts';

const ALGORITHMS: readonly DigestAlgorithm[] = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];

export interface ParsedBareDigest {
  algorithm: DigestAlgorithm;
  expected: Buffer;
  encoding: 'hex' | 'base64';
}

/** The algorithm and raw digest of a bare digest string, or undefined when it is none. */
export function parseBareDigest(stored: string): ParsedBareDigest | undefined {
  for (const algorithm of ALGORITHMS) {
    const size = DIGEST_SIZE[algorithm];
    if (stored.length === size * 2) {
      const hex = decodeHex(stored);
      if (hex) return { algorithm, expected: hex, encoding: 'hex' };
    }
  }
  const b64 = decodeBase64(stored);
  const padded = stored.endsWith('=');
  for (const algorithm of ALGORITHMS) {
    const size = DIGEST_SIZE[algorithm];
    const length = padded ? Math.ceil(size / 3) * 4 : Math.ceil((size * 4) / 3);
    if (b64?.length === size && stored.length === length)
      return { algorithm, expected: b64, encoding: 'base64' };
  }
  return undefined;
}

/** Why auto cannot check this value, or undefined when it can. */
function ambiguity(parsed: ParsedBareDigest, salted: boolean): string | undefined {
  if (parsed.encoding === 'base64' && parsed.algorithm === 'sha512') {
    return 'the stored value is the base64 of 64 bytes: a sha512, Symfony MessageDigest, a PBKDF2 key or a salt and a digest';
  }
  if (parsed.encoding === 'base64' && salted) {
    return 'a base64 digest with a salt column: the salt may be text or the base64 of bytes (ASP.NET Membership)';
  }
  return undefined;
}

interface Candidate {
  scheme: string;
  compute(password: string, salt: string): Buffer;
}

/** The compositions auto tries for a bare digest, in the order they are reported. */
export function autoCandidates(parsed: ParsedBareDigest, salted: boolean): Candidate[] {
  const a = parsed.algorithm as Exclude<DigestAlgorithm, 'md4'>;
  if (!salted) {
    const own: Candidate = { scheme: `${a}(password)`, compute: (p) => digest(a, p) };
    if (a !== 'md5') return [own];
    return [
      own,
      { scheme: 'md4(utf16le(password))', compute: (p) => ntHash(p) },
      { scheme: 'md4(password)', compute: (p) => digest('md4', p) },
    ];
  }
  return [
    { scheme: `${a}(salt + password)`, compute: (p, s) => digest(a, s, p) },
    { scheme: `${a}(password + salt)`, compute: (p, s) => digest(a, p, s) },
    { scheme: `hmac_${a}(salt, password)`, compute: (p, s) => hmac(a, s, p) },
  ];
}

/**
 * Checks a bare digest against every candidate of its shape; all are always computed, so the
 * time taken does not tell which one matched. Resolves the expression that matched.
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
      'not a hex or base64 md5/sha1/sha256/sha384/sha512 digest',
      'bare_digest',
    );
  }
  const salted = salt !== undefined && salt !== '';
  const why = ambiguity(parsed, salted);
  if (why) {
    throw new UnusableHashError(
      'ambiguous',
      `${why}; auto cannot tell them apart. Fix: run oidc-bridge hash identify with a known password, then set legacy.password.scheme`,
      'bare_digest',
    );
  }
  const candidates = autoCandidates(parsed, salted);
  const results = candidates.map((c) => constantTimeEqual(c.compute(password, salt ?? ''), parsed.expected));
  const hit = results.indexOf(true);
  return { match: hit !== -1, scheme: candidates[hit === -1 ? 0 : hit]!.scheme };
}

export const bareDigestVerifier: Verifier = {
  id: 'bare_digest',
  label: 'a bare md5/sha1/sha256/sha512 or NT hash (phpBB 2, osCommerce, custom PHP, Samba)',
  salt: 'optional',
  detect: (stored) => parseBareDigest(stored) !== undefined,
  verify: ({ password, stored, salt }) => matchBareDigest(password, stored, salt),
  // A random digest of the same size and encoding: verifying it computes every candidate.
  async decoy(like) {
    const parsed = like ? parseBareDigest(like) : undefined;
    const bytes = randomBytes(parsed ? parsed.expected.length : 16);
    return parsed?.encoding === 'base64' ? bytes.toString('base64') : bytes.toString('hex');
  },
  targetForm(stored, salt): TargetPasswordForm | undefined {
    // With a salt the position is unknown without the password: configure an expression instead.
    if (salt) return undefined;
    const parsed = parseBareDigest(stored);
    if (
      !parsed ||
      (parsed.algorithm !== 'md5' && parsed.algorithm !== 'sha1' && parsed.algorithm !== 'sha256')
    )
      return undefined;
    return { algorithm: parsed.algorithm, salt: '', hash: parsed.expected.toString('hex') };
  },
};
