// Solaris' Sun MD5 crypt: `$md5$salt$$checksum` or `$md5,rounds=N$salt$$checksum` (and the
// older `$md5$salt$checksum` with a "bare" salt). Thousands of md5 rounds: a worker thread.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqualString } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import type { Verifier } from './types.ts';
import { runInWorker } from './worker-pool.ts';

const RE = /^\$md5(?:,rounds=([1-9]\d{0,9}))?\$([./0-9A-Za-z]{0,48})\$?\$([./0-9A-Za-z]{22})$/;

const MAX_ROUNDS = 10_000_000;

export const sunMd5Verifier: Verifier = {
  id: 'sun_md5',
  label: 'Solaris Sun MD5 crypt $md5$',
  detect: (stored) => stored.startsWith('$md5$') || stored.startsWith('$md5,'),
  // Solaris' default: 4096 + 0 extra rounds; passlib's 34000.
  decoy: async () => `$md5,rounds=34000$${randomChecksum(8, 'itoa64')}$$${randomChecksum(22, 'itoa64')}`,
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    if (!m) throw new UnusableHashError('malformed', 'malformed Sun MD5 hash', 'sun_md5');
    const rounds = m[1] === undefined ? 0 : Number(m[1]);
    if (rounds > MAX_ROUNDS)
      throw new UnusableHashError('unsupported_parameters', 'Sun MD5 round count above the limit', 'sun_md5');
    const config = stored.slice(0, stored.lastIndexOf('$'));
    const checksum = await runInWorker({
      kind: 'sun-md5',
      password: Buffer.from(password, 'utf8'),
      config,
      rounds,
    });
    return constantTimeEqualString(checksum, m[3]!);
  },
};
