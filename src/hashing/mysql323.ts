// A preset: MySQL before 4.1, OLD_PASSWORD(): 16 hex digits from two 31-bit sums over the
// password's bytes, spaces and tabs skipped (MySQL's hash_password, as passlib's mysql323).
// 16 hex digits could be anything, so it is never detected: name it as the scheme.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqualString } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import type { Verifier } from './types.ts';

const MASK_32 = 0xffffffffn;

export function mysql323(password: string): string {
  let nr1 = 0x50305735n;
  let nr2 = 0x12345671n;
  let add = 7n;
  for (const byte of Buffer.from(password, 'utf8')) {
    if (byte === 0x20 || byte === 0x09) continue;
    const tmp = BigInt(byte);
    nr1 ^= (((nr1 & 63n) + add) * tmp + (nr1 << 8n)) & MASK_32;
    nr2 = (nr2 + ((nr2 << 8n) ^ nr1)) & MASK_32;
    add = (add + tmp) & MASK_32;
  }
  const hex = (n: bigint) => (n & 0x7fffffffn).toString(16).padStart(8, '0');
  return hex(nr1) + hex(nr2);
}

export const mysql323Verifier: Verifier = {
  id: 'mysql323',
  label: 'MySQL before 4.1, OLD_PASSWORD()',
  presetOnly: true,
  detect: (stored) => /^[0-9a-fA-F]{16}$/.test(stored),
  decoy: async () => randomChecksum(8, 'hex'),
  async verify({ password, stored }) {
    if (!/^[0-9a-fA-F]{16}$/.test(stored))
      throw new UnusableHashError('malformed', 'not 16 hex digits', 'mysql323');
    return constantTimeEqualString(mysql323(password), stored.toLowerCase());
  },
};
