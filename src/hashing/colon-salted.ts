// `hexdigest:salt`, the salt kept after a colon: Joomla 1.5 to 3.1 (`md5(password + salt)`),
// Magento 1 and osCommerce (`md5(salt + password)`, Magento 1 Enterprise `sha256(salt +
// password)`). Nothing in the value says which application wrote it, so both orders are
// tried and the one that matched is reported. Magento 2's `hash:salt:version` is magento2.ts.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { digest } from './digests.ts';
import { decodeHex } from './encoding.ts';
import type { Verifier } from './types.ts';

const RE = /^([0-9a-fA-F]{32}|[0-9a-fA-F]{64}):([^:]{1,64})$/;

export const colonSaltedVerifier: Verifier = {
  id: 'colon_salted',
  label: 'Joomla 1.5-3.1, Magento 1, osCommerce (hexdigest:salt)',
  detect: (stored) => RE.test(stored),
  decoy: async () => `${randomChecksum(16, 'hex')}:${randomChecksum(24, 'base64url')}`,
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    if (!m) throw new UnusableHashError('malformed', 'malformed hexdigest:salt value', 'colon_salted');
    const expected = decodeHex(m[1]!)!;
    const salt = m[2]!;
    const algorithm = expected.length === 16 ? 'md5' : 'sha256';
    const saltLast = constantTimeEqual(digest(algorithm, password, salt), expected);
    const saltFirst = constantTimeEqual(digest(algorithm, salt, password), expected);
    if (saltLast && algorithm === 'md5') return { match: true, scheme: 'joomla' };
    return { match: saltFirst, scheme: algorithm === 'md5' ? 'magento1' : 'magento1-sha256' };
  },
};
