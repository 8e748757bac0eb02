// `{algorithm}${salt}${hex}` with hash = hex(algorithm(salt + password)): the target
// platform's own password form, and Django's MD5/SHA1PasswordHasher (`md5$salt$hex`) and
// unsalted hashers (`md5$$hex`, `sha1$$hex`, also written `unsalted_sha1$$hex`). Werkzeug
// before 0.9 wrote the same shape with an HMAC keyed by the salt: auto tries both, and the
// `werkzeug-legacy` preset only the HMAC. The salt is everything between the first and the
// last `$`, so a salt containing `$` still parses.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { DIGEST_SIZE, digest, hmac } from './digests.ts';

type DigestAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

import { fixedDecoy } from './decoy.ts';
import { decodeHex } from './encoding.ts';
import type { TargetPasswordForm, Verifier } from './types.ts';

const RE = /^(unsalted_)?(md5|sha1|sha256|sha512)\$(.*)\$([^$]*)$/s;

interface ParsedSalted {
  algorithm: DigestAlgorithm;
  salt: string;
  expected: Buffer;
}

function parseSalted(stored: string): ParsedSalted {
  const m = RE.exec(stored);
  const malformed = (what: string) =>
    new UnusableHashError('malformed', `malformed salted digest: ${what}`, 'salted_digest');
  if (!m) throw malformed('expected <algorithm>$<salt>$<hex digest>');
  const algorithm = m[2] as DigestAlgorithm;
  const salt = m[3]!;
  if (m[1] && salt !== '') throw malformed('an unsalted_ hash with a salt');
  const expected = decodeHex(m[4]!);
  if (!expected || expected.length !== DIGEST_SIZE[algorithm]) {
    throw malformed(`digest is not ${DIGEST_SIZE[algorithm] * 2} hex digits`);
  }
  return { algorithm, salt, expected };
}

export const saltedDigestVerifier: Verifier = {
  id: 'salted_digest',
  label: "Django MD5/SHA1PasswordHasher, the target's {algorithm}$salt$hash",
  decoy: fixedDecoy('sha1$PYEoAsdkFEwO$461b19760bd6cbc60f31c0edde8f83b19903e113'),
  detect: (stored) => /^(?:unsalted_)?(?:md5|sha1|sha256|sha512)\$/.test(stored),
  async verify({ password, stored }) {
    const { algorithm, salt, expected } = parseSalted(stored);
    const django = constantTimeEqual(digest(algorithm, salt, password), expected);
    const werkzeug = salt !== '' && constantTimeEqual(hmac(algorithm, salt, password), expected);
    return { match: django || werkzeug, scheme: werkzeug && !django ? 'werkzeug-legacy' : 'salted_digest' };
  },
  targetForm(stored): TargetPasswordForm | undefined {
    try {
      const { algorithm, salt, expected } = parseSalted(stored);
      if (algorithm === 'sha512') return undefined;
      return { algorithm, salt, hash: expected.toString('hex') };
    } catch {
      return undefined;
    }
  },
};

/** Werkzeug < 0.9's `method$salt$hmac` (hmac keyed by the salt; no salt: the plain digest). */
export const werkzeugLegacyVerifier: Verifier = {
  id: 'werkzeug-legacy',
  label: 'Werkzeug before 0.9 (Flask): sha1$salt$hmac',
  presetOnly: true,
  detect: (stored) => /^(?:md5|sha1|sha256|sha512)\$/.test(stored),
  decoy: fixedDecoy('sha1$PYEoAsdkFEwO$461b19760bd6cbc60f31c0edde8f83b19903e113'),
  async verify({ password, stored }) {
    const { algorithm, salt, expected } = parseSalted(stored);
    const actual = salt === '' ? digest(algorithm, password) : hmac(algorithm, salt, password);
    return constantTimeEqual(actual, expected);
  },
};
