// phpass portable hashes (`$P$` WordPress, `$H$` phpBB): md5(salt + password), then
// 2^n rounds of md5(hash + password). Thousands of digests at least, so the loop runs on a
// worker thread.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqualString } from './constant-time.ts';
import { fixedDecoy } from './decoy.ts';
import { ITOA64 } from './encoding.ts';
import type { Verifier } from './types.ts';
import { runInWorker } from './worker-pool.ts';

const RE = /^\$[PH]\$([./0-9A-Za-z])([./0-9A-Za-z]{8})([./0-9A-Za-z]{22})$/;

/** phpass accepts 2^7 to 2^30 rounds; above 2^24 a single check takes many seconds, so it is refused. */
export const PHPASS_MAX_LOG2 = 24;

export const phpassVerifier: Verifier = {
  id: 'phpass',
  label: 'phpass portable $P$ / $H$ (WordPress before 6.8, phpBB 3.0, Drupal 7 imports, Joomla 3)',
  decoy: fixedDecoy('$P$Bm4oMqI2HW3fkwSXeXc0/FfMdY.F9N/'),
  detect: (stored) => stored.startsWith('$P$') || stored.startsWith('$H$'),
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    if (!m) {
      throw new UnusableHashError(
        'malformed',
        'malformed phpass hash: expected 34 characters of itoa64',
        'phpass',
      );
    }
    const countLog2 = ITOA64.indexOf(m[1]!);
    if (countLog2 < 7 || countLog2 > 30) {
      throw new UnusableHashError('malformed', 'malformed phpass hash: bad round count', 'phpass');
    }
    if (countLog2 > PHPASS_MAX_LOG2) {
      throw new UnusableHashError('unsupported_parameters', 'phpass round count above the limit', 'phpass');
    }
    const checksum = await runInWorker({
      kind: 'phpass',
      password: Buffer.from(password, 'utf8'),
      salt: m[2]!,
      countLog2,
    });
    return constantTimeEqualString(checksum, m[3]!);
  },
};
