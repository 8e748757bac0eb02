// NetBSD's sha1-crypt checksum: HMAC-SHA1 keyed with the password, over
// `salt$sha1$rounds` and then over each previous result, `rounds` times in all (PBKDF1 with
// an HMAC); the 20 bytes in crypt's base-64 with the byte order of NetBSD's crypt-sha1.c.

import { createHmac } from 'node:crypto';
import { cryptB64From24Bit } from './encoding.ts';

export function sha1CryptChecksum(password: Uint8Array, salt: string, rounds: number): string {
  let result: Buffer = Buffer.from(`${salt}$sha1$${rounds}`, 'latin1');
  for (let i = 0; i < rounds; i++) result = createHmac('sha1', password).update(result).digest();
  const r = result;
  let out = '';
  for (let i = 0; i < 18; i += 3) out += cryptB64From24Bit(r[i]!, r[i + 1]!, r[i + 2]!, 4);
  return out + cryptB64From24Bit(r[18]!, r[19]!, r[0]!, 4);
}
