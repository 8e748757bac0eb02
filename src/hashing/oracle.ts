// Oracle Database 11g (sys.user$.spare4): `S:` + sha1(password + salt) and the 10-byte
// salt, 60 hex digits in all; the password case-sensitive, as 11g made it.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { digest } from './digests.ts';
import { decodeHex } from './encoding.ts';
import type { Verifier } from './types.ts';

export const oracleVerifier: Verifier = {
  id: 'oracle11',
  label: 'Oracle Database 11g S:',
  detect: (stored) => /^S:[0-9a-fA-F]{60}(?:;|$)/.test(stored),
  decoy: async () => `S:${randomChecksum(30, 'hex').toUpperCase()}`,
  async verify({ password, stored }) {
    const bytes = decodeHex(stored.slice(2, 62));
    if (bytes?.length !== 30)
      throw new UnusableHashError('malformed', 'malformed Oracle S: hash', 'oracle11');
    return constantTimeEqual(digest('sha1', password, bytes.subarray(20)), bytes.subarray(0, 20));
  },
};
