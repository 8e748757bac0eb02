// Atlassian (Jira, Confluence, Crowd, Bitbucket): `{PKCS5S2}` + base64 of a 16-byte salt
// and the 32-byte PBKDF2-HMAC-SHA1 key, 10000 rounds (Atlassian's DefaultPasswordEncoder).

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { derivePbkdf2 } from './django-pbkdf2.ts';
import { decodeBase64 } from './encoding.ts';
import type { Verifier } from './types.ts';

export const atlassianVerifier: Verifier = {
  id: 'atlassian',
  label: 'Atlassian Jira / Confluence / Crowd {PKCS5S2}',
  detect: (stored) => stored.startsWith('{PKCS5S2}'),
  decoy: async () => `{PKCS5S2}${randomChecksum(48, 'base64')}`,
  async verify({ password, stored }) {
    const bytes = decodeBase64(stored.slice(9));
    if (bytes?.length !== 48)
      throw new UnusableHashError(
        'malformed',
        'malformed {PKCS5S2} hash: expected 48 bytes of base64',
        'atlassian',
      );
    const derived = await derivePbkdf2(password, bytes.subarray(0, 16), 10_000, 32, 'sha1');
    return constantTimeEqual(derived, bytes.subarray(16));
  },
};
