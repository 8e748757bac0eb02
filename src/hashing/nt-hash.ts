// The NT hash in crypt(3) form, FreeBSD's `$3$$` + hex(md4(UTF-16LE password)) (also what
// mkpasswd -m nt writes). A bare 32-digit NT hash is tried by bare-digest.ts.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { ntHash } from './digests.ts';
import { decodeHex } from './encoding.ts';
import type { Verifier } from './types.ts';

export const ntHashVerifier: Verifier = {
  id: 'nt_hash',
  label: 'NT hash $3$ (FreeBSD nthash, Samba, Windows)',
  detect: (stored) => stored.startsWith('$3$'),
  decoy: async () => `$3$$${randomChecksum(16, 'hex')}`,
  async verify({ password, stored }) {
    const expected = /^\$3\$\$[0-9a-fA-F]{32}$/.test(stored) ? decodeHex(stored.slice(4)) : undefined;
    if (!expected)
      throw new UnusableHashError(
        'malformed',
        'malformed $3$ NT hash: expected $3$$ and 32 hex digits',
        'nt_hash',
      );
    return constantTimeEqual(ntHash(password), expected);
  },
};
