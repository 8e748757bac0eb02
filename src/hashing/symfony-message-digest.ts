// A preset: Symfony's legacy MessageDigestPasswordEncoder with its defaults: sha512 of
// `password{salt}`, 5000 iterations of sha512(digest + `password{salt}`), stored in base64
// (symfony/security-core Encoder/MessageDigestPasswordEncoder.php). The salt is its own
// column; the rounds run on a worker thread.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { decodeBase64 } from './encoding.ts';
import type { Verifier } from './types.ts';
import { runInWorker } from './worker-pool.ts';

export const symfonyMessageDigestVerifier: Verifier = {
  id: 'symfony-message-digest',
  label: 'Symfony MessageDigestPasswordEncoder (sha512, 5000 iterations, base64)',
  presetOnly: true,
  salt: 'optional',
  detect: (stored) => decodeBase64(stored)?.length === 64,
  decoy: async () => randomChecksum(64, 'base64'),
  async verify({ password, stored, salt }) {
    const expected = decodeBase64(stored);
    if (expected?.length !== 64)
      throw new UnusableHashError(
        'malformed',
        'not the base64 of a 64-byte sha512 digest',
        'symfony-message-digest',
      );
    if (salt?.includes('{') || salt?.includes('}'))
      throw new UnusableHashError(
        'malformed',
        'a Symfony salt cannot contain braces',
        'symfony-message-digest',
      );
    const salted = Buffer.from(salt ? `${password}{${salt}}` : password, 'utf8');
    const hex = await runInWorker({
      kind: 'iterate',
      algorithm: 'sha512',
      first: salted,
      suffix: salted,
      rounds: 5000,
    });
    return constantTimeEqual(Buffer.from(hex, 'hex'), expected);
  },
};
