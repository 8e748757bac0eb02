// The NT hash in crypt(3) form, FreeBSD's `$3$$` + hex(md4(UTF-16LE password)) (also what
// mkpasswd -m nt writes). A bare 32-digit NT hash is tried by bare-digest.ts.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { digest, ntHash } from './digests.ts';
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
    // FreeBSD and libxcrypt widen each UTF-8 byte to 16 bits; Windows encodes UTF-16LE. The two
    // agree for ASCII; both are checked, so a non-ASCII password matches either writer.
    const bytes = Buffer.from(password, 'utf8');
    const widened = Buffer.alloc(bytes.length * 2);
    bytes.forEach((b, i) => {
      widened[2 * i] = b;
    });
    const freebsd = constantTimeEqual(digest('md4', widened), expected);
    const windows = constantTimeEqual(ntHash(password), expected);
    return freebsd || windows;
  },
};
