// Werkzeug (Flask) generate_password_hash: `pbkdf2:sha256:600000$salt$hex` and
// `scrypt:32768:8:1$salt$hex` (the salt used as text, the key as long as the digest for
// pbkdf2 and 64 bytes for scrypt; werkzeug/security.py). Werkzeug before 0.9 wrote
// `sha1$salt$hmac`: the `werkzeug-legacy` preset in salted-digest.ts.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { checkIterations, derivePbkdf2 } from './django-pbkdf2.ts';
import { decodeHex } from './encoding.ts';
import { deriveScrypt } from './kdf.ts';
import type { Verifier } from './types.ts';

const RE = /^(pbkdf2:(sha1|sha256|sha512):(\d+)|scrypt:(\d+):(\d+):(\d+))\$([^$]*)\$([0-9a-f]+)$/;

export const werkzeugVerifier: Verifier = {
  id: 'werkzeug',
  label: 'Werkzeug / Flask (pbkdf2:sha256:N$, scrypt:N:r:p$)',
  detect: (stored) => /^(?:pbkdf2:(?:sha1|sha256|sha512)|scrypt):\d/.test(stored),
  // Werkzeug 3's default: scrypt N=2^15, r=8, p=1.
  decoy: async () =>
    `scrypt:32768:8:1$${randomChecksum(12, 'base64url').slice(0, 16)}$${randomChecksum(64, 'hex')}`,
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    if (!m)
      throw new UnusableHashError(
        'malformed',
        'malformed Werkzeug hash: expected method$salt$hex',
        'werkzeug',
      );
    const expected = decodeHex(m[8]!);
    if (!expected || expected.length > 256)
      throw new UnusableHashError('malformed', 'malformed Werkzeug hash: bad hex', 'werkzeug');
    const salt = m[7]!;
    if (m[2]) {
      const iterations = Number(m[3]);
      checkIterations(iterations, 'werkzeug');
      return constantTimeEqual(
        await derivePbkdf2(password, salt, iterations, expected.length, m[2] as 'sha256'),
        expected,
      );
    }
    const derived = await deriveScrypt(
      password,
      salt,
      { N: Number(m[4]), r: Number(m[5]), p: Number(m[6]), length: expected.length },
      'werkzeug',
    );
    return constantTimeEqual(derived, expected);
  },
};
