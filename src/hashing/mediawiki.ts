// MediaWiki's password table: `:A:` + md5(password), `:B:salt:` + md5(salt + '-' +
// md5(password)), `:pbkdf2:algo:rounds:length:salt:hash` (salt and hash base64; the default
// sha512, 30000 rounds, 64 bytes) and `:argon2:` + a PHC argon2 string
// (includes/password/{MWOldPassword,MWSaltedPassword,Pbkdf2PasswordUsingHashExtension,Argon2Password}.php).

import { UnusableHashError } from '../errors.ts';
import { verifyArgon2 } from './argon2.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { digest } from './digests.ts';
import { checkIterations, derivePbkdf2 } from './django-pbkdf2.ts';
import { decodeBase64, decodeHex } from './encoding.ts';
import type { Verifier } from './types.ts';

const malformed = (what: string) =>
  new UnusableHashError('malformed', `malformed MediaWiki hash: ${what}`, 'mediawiki');

export const mediawikiVerifier: Verifier = {
  id: 'mediawiki',
  label: 'MediaWiki (:A:, :B:, :pbkdf2:, :argon2:)',
  detect: (stored) => /^:(?:A|B|pbkdf2|argon2):/.test(stored),
  decoy: async () =>
    `:pbkdf2:sha512:30000:64:${randomChecksum(16, 'base64')}:${randomChecksum(64, 'base64')}`,
  async verify({ password, stored }) {
    const [, type = '', ...rest] = stored.split(':');
    if (type === 'A') {
      const expected = rest.length === 1 ? decodeHex(rest[0]!) : undefined;
      if (expected?.length !== 16) throw malformed('expected :A: and 32 hex digits');
      return constantTimeEqual(digest('md5', password), expected);
    }
    if (type === 'B') {
      const expected = rest.length === 2 ? decodeHex(rest[1]!) : undefined;
      if (expected?.length !== 16) throw malformed('expected :B:salt: and 32 hex digits');
      return constantTimeEqual(
        digest('md5', `${rest[0]}-${digest('md5', password).toString('hex')}`),
        expected,
      );
    }
    if (type === 'argon2') return verifyArgon2(password, stored.slice(':argon2:'.length), 'mediawiki');
    const [algo, rounds, length, salt, hash] = rest;
    if (rest.length !== 5 || !['sha1', 'sha256', 'sha512'].includes(algo!))
      throw malformed('bad pbkdf2 fields');
    const iterations = Number(rounds);
    checkIterations(iterations, 'mediawiki');
    const saltBytes = decodeBase64(salt!);
    const expected = decodeBase64(hash!);
    if (!saltBytes || !expected || expected.length !== Number(length) || expected.length > 256)
      throw malformed('bad pbkdf2 salt or hash');
    const derived = await derivePbkdf2(password, saltBytes, iterations, expected.length, algo as 'sha512');
    return constantTimeEqual(derived, expected);
  },
};
