// A preset: the ASP.NET SqlMembershipProvider's hashed passwords (aspnet_Membership):
// base64 of sha1 (or sha256/sha512 by length) over the salt's bytes, decoded from base64,
// followed by the UTF-16LE password. The salt is the PasswordSalt column.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { algorithmForSize, digest } from './digests.ts';
import { decodeBase64 } from './encoding.ts';
import type { Verifier } from './types.ts';

export const aspnetMembershipVerifier: Verifier = {
  id: 'aspnet-membership',
  label: 'ASP.NET Membership (SqlMembershipProvider, PasswordFormat 1)',
  presetOnly: true,
  salt: 'required',
  detect: (stored) => [20, 32, 64].includes(decodeBase64(stored)?.length ?? 0),
  decoy: async () => randomChecksum(20, 'base64'),
  async verify({ password, stored, salt }) {
    const expected = decodeBase64(stored);
    const algorithm = expected ? algorithmForSize(expected.length) : undefined;
    const saltBytes = decodeBase64(salt ?? '');
    if (!expected || !algorithm || algorithm === 'md5' || algorithm === 'md4')
      throw new UnusableHashError(
        'malformed',
        'not the base64 of a sha1, sha256 or sha512 digest',
        'aspnet-membership',
      );
    if (!saltBytes) throw new UnusableHashError('malformed', 'the salt is not base64', 'aspnet-membership');
    return constantTimeEqual(digest(algorithm, saltBytes, Buffer.from(password, 'utf16le')), expected);
  },
};
