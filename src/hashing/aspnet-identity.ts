// ASP.NET Core Identity's PasswordHasher: base64 of a format marker and PBKDF2 output.
// v2 (0x00): PBKDF2-HMAC-SHA1, 1000 iterations, 16-byte salt, 32-byte subkey. v3 (0x01):
// the PRF (0 sha1, 1 sha256, 2 sha512), iteration count and salt length as big-endian
// 32-bit integers, then salt and subkey (src/Identity/Extensions.Core/src/PasswordHasher.cs).

import { randomBytes } from 'node:crypto';
import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { discardedPassword, memoDecoy } from './decoy.ts';
import { checkIterations, derivePbkdf2 } from './django-pbkdf2.ts';
import { decodeBase64 } from './encoding.ts';
import type { Verifier } from './types.ts';

const PRF = ['sha1', 'sha256', 'sha512'] as const;

interface Parsed {
  version: 2 | 3;
  digest: (typeof PRF)[number];
  iterations: number;
  salt: Buffer;
  subkey: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const bytes = stored.length >= 60 ? decodeBase64(stored) : undefined;
  if (!bytes) return undefined;
  if (bytes[0] === 0x00 && bytes.length === 49) {
    return {
      version: 2,
      digest: 'sha1',
      iterations: 1000,
      salt: bytes.subarray(1, 17),
      subkey: bytes.subarray(17),
    };
  }
  if (bytes[0] !== 0x01 || bytes.length < 13 + 16 + 16) return undefined;
  const prf = bytes.readUInt32BE(1);
  const iterations = bytes.readUInt32BE(5);
  const saltLength = bytes.readUInt32BE(9);
  if (prf > 2 || saltLength < 16 || 13 + saltLength + 16 > bytes.length) return undefined;
  return {
    version: 3,
    digest: PRF[prf]!,
    iterations,
    salt: bytes.subarray(13, 13 + saltLength),
    subkey: bytes.subarray(13 + saltLength),
  };
}

export const aspnetIdentityVerifier: Verifier = {
  id: 'aspnet_identity',
  label: 'ASP.NET Identity v2 / v3',
  detect: (stored) => parse(stored) !== undefined,
  async verify({ password, stored }) {
    const p = parse(stored);
    if (!p) throw new UnusableHashError('malformed', 'malformed ASP.NET Identity hash', 'aspnet_identity');
    checkIterations(p.iterations, 'aspnet_identity');
    const derived = await derivePbkdf2(password, p.salt, p.iterations, p.subkey.length, p.digest);
    return { match: constantTimeEqual(derived, p.subkey), scheme: `aspnet_identity_v${p.version}` };
  },
  // .NET 7+ defaults: v3, HMAC-SHA512, 100,000 iterations (or the parameters of `like`).
  decoy(like) {
    const p = like ? parse(like) : undefined;
    const digest = p?.digest ?? 'sha512';
    const iterations = p && p.iterations <= 10_000_000 ? p.iterations : 100_000;
    const version = p?.version ?? 3;
    return memoDecoy(`aspnet:${version}:${digest}:${iterations}`, async () => {
      const salt = randomBytes(16);
      const subkey = await derivePbkdf2(discardedPassword(), salt, iterations, 32, digest);
      if (version === 2) return Buffer.concat([Buffer.from([0]), salt, subkey]).toString('base64');
      const header = Buffer.alloc(13);
      header[0] = 1;
      header.writeUInt32BE(PRF.indexOf(digest), 1);
      header.writeUInt32BE(iterations, 5);
      header.writeUInt32BE(16, 9);
      return Buffer.concat([header, salt, subkey]).toString('base64');
    });
  },
};
