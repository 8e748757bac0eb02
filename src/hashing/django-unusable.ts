// Django's set_unusable_password(): `!` and 40 random characters. Such an account has no
// password by design (it signs in through another backend); it is never a format to learn.

import { UnusableHashError } from '../errors.ts';
import { randomChecksum } from './decoy.ts';
import type { Verifier } from './types.ts';

export const UNUSABLE_BY_DESIGN =
  "unusable by design: Django's set_unusable_password() wrote it; the account has no password and signs in another way";

export const djangoUnusableVerifier: Verifier = {
  id: 'django_unusable',
  label: 'Django unusable password (!…)',
  detect: (stored) => stored.startsWith('!'),
  decoy: async () => `!${randomChecksum(30, 'base64url')}`,
  async verify() {
    throw new UnusableHashError('unusable_by_design', UNUSABLE_BY_DESIGN, 'django_unusable');
  },
};
