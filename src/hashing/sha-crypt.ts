// SHA-crypt: `$5$` (SHA-256) and `$6$` (SHA-512), with or without `rounds=N$`, per Ulrich
// Drepper's specification (default 5000 rounds, clamped to 1000..999999999, salt cut at 16
// characters). Thousands of digests in JavaScript: runs on a worker thread.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqualString } from './constant-time.ts';
import { fixedDecoy } from './decoy.ts';
import type { Verifier } from './types.ts';
import { runInWorker } from './worker-pool.ts';

const RE = /^\$([56])\$(?:rounds=(\d{1,9})\$)?([^$]{0,16})\$([./0-9A-Za-z]+)$/;

/** Round counts above this are refused: the spec allows ~10^9, which would pin a thread for many minutes. */
export const SHA_CRYPT_MAX_ROUNDS = 10_000_000;

export const shaCryptVerifier: Verifier = {
  id: 'sha_crypt',
  label: 'SHA-crypt $5$ / $6$ (glibc, older Debian/RHEL shadow, Dovecot, PHP crypt)',
  decoy: fixedDecoy(
    '$6$4S04qdI6qX/jUHrn$ygPLa3PSujmy.IsdpqwVhtmjwxOtsPIZM2L2uKKKRrAq/bjrpDDG5MwXB1jiThxsVyhTC.OY6Vd7Wl6E6cSEY0',
  ),
  detect: (stored) => stored.startsWith('$5$') || stored.startsWith('$6$'),
  async verify({ password, stored }) {
    const malformed = (what: string) =>
      new UnusableHashError('malformed', `malformed sha-crypt hash: ${what}`, 'sha_crypt');
    const m = RE.exec(stored);
    if (!m) throw malformed('expected $5$ or $6$, optional rounds=N$, a salt of up to 16 and a checksum');
    const algorithm = m[1] === '5' ? 'sha256' : 'sha512';
    const checksumLength = algorithm === 'sha256' ? 43 : 86;
    if (m[4]!.length !== checksumLength) throw malformed('checksum of the wrong length');
    // A zero-padded round count ("rounds=05000") is not what crypt(3) writes.
    if (m[2]?.startsWith('0')) throw malformed('bad rounds field');
    const requested = m[2] === undefined ? 5000 : Number(m[2]);
    const rounds = Math.min(Math.max(requested, 1000), 999_999_999);
    if (rounds > SHA_CRYPT_MAX_ROUNDS) {
      throw new UnusableHashError(
        'unsupported_parameters',
        'sha-crypt round count above the limit',
        'sha_crypt',
      );
    }
    const checksum = await runInWorker({
      kind: 'sha-crypt',
      algorithm,
      password: Buffer.from(password, 'utf8'),
      salt: m[3]!,
      rounds,
    });
    return constantTimeEqualString(checksum, m[4]!);
  },
};
