// DES-based crypt(3): traditional 13-character hashes (old Unix shadow files, htpasswd
// -d, Django's CryptPasswordHasher) and BSDi's extended `_` form, with the rules of
// libxcrypt: the password ends at a NUL, traditional crypt reads its first 8 characters.
// The encryptions run on a worker thread (des-crypt-algorithm.ts).

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqualString } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { decode24 } from './des-crypt-algorithm.ts';
import type { Verifier } from './types.ts';
import { runInWorker } from './worker-pool.ts';

const TRADITIONAL = /^[./0-9A-Za-z]{13}$/;
const BSDI = /^_([./0-9A-Za-z]{4})([./0-9A-Za-z]{4})([./0-9A-Za-z]{11})$/;

/** BSDi counts go to 2^24; above this one check takes many seconds, so it is refused. */
const MAX_COUNT = 1_000_000;

function key(password: string): Buffer {
  const bytes = Buffer.from(password, 'utf8');
  const nul = bytes.indexOf(0);
  return nul === -1 ? bytes : bytes.subarray(0, nul);
}

export const desCryptVerifier: Verifier = {
  id: 'des_crypt',
  label: 'DES crypt(3) (old Unix shadow, htpasswd -d) and BSDi _ extended DES',
  detect: (stored) => TRADITIONAL.test(stored) || BSDI.test(stored),
  decoy: async () => randomChecksum(13, 'itoa64'),
  async verify({ password, stored }) {
    const m = BSDI.exec(stored);
    if (m) {
      const count = decode24(m[1]!);
      if (count < 1)
        throw new UnusableHashError('malformed', 'malformed BSDi crypt hash: zero count', 'des_crypt');
      if (count > MAX_COUNT)
        throw new UnusableHashError(
          'unsupported_parameters',
          'BSDi crypt count above the limit',
          'des_crypt',
        );
      const checksum = await runInWorker({
        kind: 'bsdi-crypt',
        password: key(password),
        count,
        salt: decode24(m[2]!),
      });
      return constantTimeEqualString(checksum, m[3]!);
    }
    if (!TRADITIONAL.test(stored))
      throw new UnusableHashError('malformed', 'malformed DES crypt hash', 'des_crypt');
    const checksum = await runInWorker({
      kind: 'des-crypt',
      password: key(password).subarray(0, 8),
      salt: stored.slice(0, 2),
    });
    return constantTimeEqualString(checksum, stored.slice(2));
  },
};
