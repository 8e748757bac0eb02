// LDAP userPassword digests (RFC 2307 style): {MD5}, {SHA}, {SHA256}, {SHA512} hold the
// base64 digest of the password; the salted {SMD5}, {SSHA}, {SSHA256}, {SSHA512} hold
// base64(digest(password + salt) + salt). Scheme names are case-insensitive, as OpenLDAP reads them.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { DIGEST_SIZE, digest } from './digests.ts';

type DigestAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

import { fixedDecoy } from './decoy.ts';
import { decodeBase64, decodeDigest } from './encoding.ts';
import type { TargetPasswordForm, Verifier } from './types.ts';

const SCHEMES: Record<string, { algorithm: DigestAlgorithm; salted: boolean }> = {
  MD5: { algorithm: 'md5', salted: false },
  SHA: { algorithm: 'sha1', salted: false },
  SHA1: { algorithm: 'sha1', salted: false },
  SHA256: { algorithm: 'sha256', salted: false },
  SHA512: { algorithm: 'sha512', salted: false },
  SMD5: { algorithm: 'md5', salted: true },
  SSHA: { algorithm: 'sha1', salted: true },
  SSHA1: { algorithm: 'sha1', salted: true },
  SSHA256: { algorithm: 'sha256', salted: true },
  SSHA512: { algorithm: 'sha512', salted: true },
};

const RE = /^\{([A-Za-z0-9]+)\}(.*)$/s;

function parseLdap(
  stored: string,
): { algorithm: DigestAlgorithm; salted: boolean; data: string } | undefined {
  const m = RE.exec(stored);
  const scheme = m ? SCHEMES[m[1]!.toUpperCase()] : undefined;
  return scheme && m ? { ...scheme, data: m[2]! } : undefined;
}

function malformed(what: string): UnusableHashError {
  return new UnusableHashError('malformed', `malformed LDAP hash: ${what}`, 'ldap');
}

export const ldapVerifier: Verifier = {
  id: 'ldap',
  label: 'LDAP userPassword {SHA} {SSHA} {MD5} {SMD5} {SSHA256} {SSHA512} (OpenLDAP, 389-ds)',
  decoy: fixedDecoy('{SSHA}sxRYFYdowCRRwiDmVa6PslQBgHXIX9FMYJbxkg=='),
  detect: (stored) => parseLdap(stored) !== undefined,
  async verify({ password, stored }) {
    const parsed = parseLdap(stored);
    if (!parsed) throw malformed('unknown scheme');
    const size = DIGEST_SIZE[parsed.algorithm];
    if (!parsed.salted) {
      // Some directories (and passlib's ldap_hex_* handlers) store the digest in hex instead.
      const expected = decodeDigest(parsed.data, size);
      if (!expected) throw malformed('digest is not base64 of the right length');
      return constantTimeEqual(digest(parsed.algorithm, password), expected);
    }
    const decoded = decodeBase64(parsed.data);
    if (!decoded || decoded.length <= size) throw malformed('salted digest is not base64 of digest + salt');
    const expected = decoded.subarray(0, size);
    const salt = decoded.subarray(size);
    return constantTimeEqual(digest(parsed.algorithm, password, salt), expected);
  },
  targetForm(stored): TargetPasswordForm | undefined {
    const parsed = parseLdap(stored);
    // The salted forms append the salt after the password; the target only takes salt first.
    if (!parsed || parsed.salted || parsed.algorithm === 'sha512') return undefined;
    const expected = decodeDigest(parsed.data, DIGEST_SIZE[parsed.algorithm]);
    return expected ? { algorithm: parsed.algorithm, salt: '', hash: expected.toString('hex') } : undefined;
  },
};
