// yescrypt `$y$` (libxcrypt; the /etc/shadow default of Debian 11+, Ubuntu 22.04+, Fedora
// 35+) and gost-yescrypt `$gy$` (ALT Linux), computed by the reference algorithm in
// yescrypt-algorithm.ts (and Streebog, streebog.ts) on a worker thread. Parameters are read
// from the value and bounded, so a hostile row cannot take gigabytes.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqualString } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import type { Verifier } from './types.ts';
import { runInWorker } from './worker-pool.ts';
import { decode64Bytes, parseYescryptParams } from './yescrypt-algorithm.ts';

/** 256 MiB of V at most (the default j9T takes 16 MiB). */
const MAX_MEMORY = 256 * 1024 * 1024;

const malformed = (what: string) =>
  new UnusableHashError('malformed', `malformed yescrypt hash: ${what}`, 'yescrypt');

export const yescryptVerifier: Verifier = {
  id: 'yescrypt',
  label: 'yescrypt $y$ (Debian 11+, Ubuntu 22.04+, Fedora shadow default) and gost-yescrypt $gy$',
  detect: (stored) => stored.startsWith('$y$') || stored.startsWith('$gy$'),
  // mkpasswd's and Debian's default: j9T (N=4096, r=32, p=1).
  decoy: async () => `$y$j9T$${randomChecksum(16, 'itoa64')}$${randomChecksum(43, 'itoa64')}`,
  async verify({ password, stored }) {
    const gost = stored.startsWith('$gy$');
    const parsed = parseYescryptParams(stored.slice(gost ? 4 : 3));
    if (!parsed) throw malformed('bad parameters');
    const { flags, N, r, p, t } = parsed.params;
    const end = parsed.rest.lastIndexOf('$');
    if (end === -1 || !/^[./0-9A-Za-z]{43}$/.test(parsed.rest.slice(end + 1)))
      throw malformed('bad hash field');
    const salt = decode64Bytes(parsed.rest.slice(0, end));
    if (!salt || salt.length > 64) throw malformed('bad salt');
    if ((flags & 0x002) === 0 || flags !== 0x0b6) {
      throw new UnusableHashError(
        'unsupported_parameters',
        'yescrypt flavour other than the default',
        'yescrypt',
      );
    }
    if (N < 2 || r < 1 || p < 1 || N / p <= 1 || 128 * N * r > MAX_MEMORY || p > 16 || t > 8) {
      throw new UnusableHashError(
        'unsupported_parameters',
        'yescrypt parameters above the limits',
        'yescrypt',
      );
    }
    const computed = await runInWorker({ kind: 'yescrypt', password: Buffer.from(password, 'utf8'), stored });
    return { match: constantTimeEqualString(computed, stored), scheme: gost ? 'gost_yescrypt' : 'yescrypt' };
  },
};
