// Django 4.0+'s ScryptPasswordHasher: `scrypt$N$salt$r$p$base64`, a 64-byte key over the
// salt as text (django/contrib/auth/hashers.py).

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { decodeBase64 } from './encoding.ts';
import { deriveScrypt } from './kdf.ts';
import type { Verifier } from './types.ts';

const RE = /^scrypt\$(\d+)\$([^$]+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)$/;

export const djangoScryptVerifier: Verifier = {
  id: 'django_scrypt',
  label: 'Django ScryptPasswordHasher',
  detect: (stored) => stored.startsWith('scrypt$'),
  // Django's defaults: N=2^14, r=8, p=1.
  decoy: async () =>
    `scrypt$16384$${randomChecksum(16, 'base64url').slice(0, 22)}$8$1$${randomChecksum(64, 'base64')}`,
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    const expected = m ? decodeBase64(m[5]!) : undefined;
    if (!m || !expected)
      throw new UnusableHashError('malformed', 'malformed Django scrypt hash', 'django_scrypt');
    const derived = await deriveScrypt(
      password,
      m[2]!,
      { N: Number(m[1]), r: Number(m[3]), p: Number(m[4]), length: expected.length },
      'django_scrypt',
    );
    return constantTimeEqual(derived, expected);
  },
};
