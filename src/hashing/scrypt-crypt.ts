// scrypt in crypt(3) form, `$7$` (libxcrypt, Solaris, mkpasswd -m scrypt): one itoa64
// character for log2 N, five each for r and p (30-bit little-endian), the salt, `$`, and the
// 32-byte key in crypt's little-endian base-64. The salt string itself is the scrypt salt.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqualString } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { ITOA64 } from './encoding.ts';
import { deriveScrypt } from './kdf.ts';
import type { Verifier } from './types.ts';

const RE = /^\$7\$([./0-9A-Za-z])([./0-9A-Za-z]{5})([./0-9A-Za-z]{5})([^$]{0,64})\$([./0-9A-Za-z]{43})$/;

function decode30(text: string): number {
  let value = 0;
  for (let i = 0; i < text.length; i++) value += ITOA64.indexOf(text[i]!) * 2 ** (6 * i);
  return value;
}

/** crypt's little-endian base-64: each 3 bytes, least significant 6 bits first. */
export function encodeCryptLE(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const count = Math.min(3, bytes.length - i);
    let value = 0;
    for (let j = 0; j < count; j++) value |= bytes[i + j]! << (8 * j);
    for (let j = 0; j <= count; j++) out += ITOA64[(value >>> (6 * j)) & 0x3f];
  }
  return out;
}

export const scryptCryptVerifier: Verifier = {
  id: 'scrypt_crypt',
  label: 'scrypt $7$ (libxcrypt, mkpasswd -m scrypt)',
  detect: (stored) => stored.startsWith('$7$'),
  // libxcrypt's default: N=2^14 ('C'), r=32, p=1.
  decoy: async () => `$7$CU..../....${randomChecksum(22, 'itoa64')}$${randomChecksum(43, 'itoa64')}`,
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    if (!m) throw new UnusableHashError('malformed', 'malformed $7$ scrypt hash', 'scrypt_crypt');
    const N = 2 ** ITOA64.indexOf(m[1]!);
    const prefix = stored.slice(0, stored.lastIndexOf('$'));
    const key = await deriveScrypt(
      password,
      Buffer.from(m[4]!, 'utf8'),
      { N, r: decode30(m[2]!), p: decode30(m[3]!), length: 32 },
      'scrypt_crypt',
    );
    return constantTimeEqualString(`${prefix}$${encodeCryptLE(key)}`, stored);
  },
};
