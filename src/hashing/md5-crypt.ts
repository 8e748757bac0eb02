// md5-crypt: `$1$salt$checksum` (FreeBSD / glibc crypt) and Apache's `$apr1$` variant, which
// differs only in the magic string. 1000 md5 rounds in JavaScript: runs on a worker thread.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqualString } from './constant-time.ts';
import { fixedDecoy } from './decoy.ts';
import type { Verifier } from './types.ts';
import { runInWorker } from './worker-pool.ts';

const RE = /^(\$1\$|\$apr1\$)([^$]{0,8})\$([./0-9A-Za-z]{22})$/;

export const md5CryptVerifier: Verifier = {
  id: 'md5_crypt',
  label: 'md5-crypt $1$ / Apache $apr1$ (htpasswd, old Linux shadow, Cisco)',
  decoy: fixedDecoy('$1$32a9q0aG$gfKEZXNZNkPFS2A/n/YzC0'),
  detect: (stored) => stored.startsWith('$1$') || stored.startsWith('$apr1$'),
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    if (!m) {
      throw new UnusableHashError(
        'malformed',
        'malformed md5-crypt hash: expected $1$<salt of up to 8>$<22 characters>',
        'md5_crypt',
      );
    }
    const checksum = await runInWorker({
      kind: 'md5-crypt',
      password: Buffer.from(password, 'utf8'),
      salt: m[2]!,
      magic: m[1]!,
    });
    return constantTimeEqualString(checksum, m[3]!);
  },
};
