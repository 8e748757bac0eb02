// MySQL 4.1+ PASSWORD(): `*` followed by the upper-case hex of sha1(sha1(password)), the
// inner digest taken raw. Also what mysql_native_password stores in mysql.user.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { fixedDecoy } from './decoy.ts';
import { digest } from './digests.ts';
import { decodeHex } from './encoding.ts';
import type { Verifier } from './types.ts';

export const mysqlVerifier: Verifier = {
  id: 'mysql41',
  label: 'MySQL 4.1+ PASSWORD() / mysql_native_password',
  decoy: fixedDecoy('*2C25673060458773F9C0FA60AF495C40E1910CD6'),
  detect: (stored) => stored.startsWith('*') && stored.length === 41,
  async verify({ password, stored }) {
    const expected = decodeHex(stored.slice(1));
    if (expected?.length !== 20) {
      throw new UnusableHashError(
        'malformed',
        'malformed MySQL PASSWORD() hash: expected * and 40 hex digits',
        'mysql41',
      );
    }
    return constantTimeEqual(digest('sha1', digest('sha1', password)), expected);
  },
};
