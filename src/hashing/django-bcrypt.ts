// Django's bcrypt hashers: `bcrypt$` + a bcrypt string (BCryptPasswordHasher), and
// `bcrypt_sha256$` + a bcrypt string over the lowercase hex SHA-256 of the password
// (BCryptSHA256PasswordHasher), which lifts bcrypt's 72-byte limit.

import { UnusableHashError } from '../errors.ts';
import { verifyBcrypt } from './bcrypt.ts';
import { fixedDecoy } from './decoy.ts';
import { digest } from './digests.ts';
import type { Verifier } from './types.ts';

const RE = /^(bcrypt|bcrypt_sha256)\$(.*)$/s;

export const djangoBcryptVerifier: Verifier = {
  id: 'django_bcrypt',
  label: 'Django BCryptSHA256PasswordHasher / BCryptPasswordHasher',
  decoy: fixedDecoy('bcrypt_sha256$$2b$12$GgnP1Xf/tQ7MSsHn2IMq..QAOu22LGVT1X/2MNLPQLgmq1oQVMaRq'),
  detect: (stored) => /^bcrypt(?:_sha256)?\$/.test(stored),
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    const inner = m?.[2] ?? '';
    // The bcrypt string itself starts with "$", so Django's empty salt field shows as "$$".
    if (!inner.startsWith('$2')) {
      throw new UnusableHashError(
        'malformed',
        'malformed Django bcrypt hash: unexpected salt field',
        'django_bcrypt',
      );
    }
    const key = m?.[1] === 'bcrypt_sha256' ? digest('sha256', password).toString('hex') : password;
    return verifyBcrypt(key, inner, 'django_bcrypt');
  },
};
