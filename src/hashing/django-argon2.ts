// Django's Argon2PasswordHasher: `argon2` + a PHC argon2 string, e.g.
// `argon2$argon2id$v=19$m=102400,t=2,p=8$salt$hash` (older rows: argon2i, no `v=`).

import { verifyArgon2 } from './argon2.ts';
import { fixedDecoy } from './decoy.ts';
import type { Verifier } from './types.ts';

const PREFIX = 'argon2$';

export const djangoArgon2Verifier: Verifier = {
  id: 'django_argon2',
  label: 'Django Argon2PasswordHasher',
  decoy: fixedDecoy(
    'argon2$argon2id$v=19$m=102400,p=8,t=2$oTqBnCUH6g2g2VbQN/rgmA$tJhnQIquYEjuBaEj8wx07JZXOPF3FWETtdFZNRK0i48',
  ),
  detect: (stored) => stored.startsWith('argon2$argon2'),
  verify: ({ password, stored }) => verifyArgon2(password, stored.slice(PREFIX.length - 1), 'django_argon2'),
};
