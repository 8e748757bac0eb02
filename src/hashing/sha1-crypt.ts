// NetBSD's `$sha1$rounds$salt$checksum` (crypt-sha1.c; passlib's sha1_crypt). One HMAC per
// round, 480,000 rounds by default: the loop runs on a worker thread.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqualString } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import type { Verifier } from './types.ts';
import { runInWorker } from './worker-pool.ts';

const RE = /^\$sha1\$(\d{1,10})\$([./0-9A-Za-z]{0,64})\$([./0-9A-Za-z]{28})$/;

const MAX_ROUNDS = 10_000_000;

export const sha1CryptVerifier: Verifier = {
  id: 'sha1_crypt',
  label: 'NetBSD sha1-crypt $sha1$',
  detect: (stored) => stored.startsWith('$sha1$'),
  decoy: async () => `$sha1$480000$${randomChecksum(8, 'itoa64')}$${randomChecksum(28, 'itoa64')}`,
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    if (!m || m[1]!.startsWith('0'))
      throw new UnusableHashError('malformed', 'malformed $sha1$ hash', 'sha1_crypt');
    const rounds = Number(m[1]);
    if (rounds > MAX_ROUNDS)
      throw new UnusableHashError(
        'unsupported_parameters',
        'sha1-crypt round count above the limit',
        'sha1_crypt',
      );
    const checksum = await runInWorker({
      kind: 'sha1-crypt',
      password: Buffer.from(password, 'utf8'),
      salt: m[2]!,
      rounds,
    });
    return constantTimeEqualString(checksum, m[3]!);
  },
};
