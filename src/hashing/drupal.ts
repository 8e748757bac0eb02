// Drupal 7 to 10.0: `$S$` + a phpass-style count and salt over SHA-512 (2^count rounds of
// sha512(hash + password), 55 characters kept), and `U$S$…` / `U$P$…` for rows migrated from
// Drupal 6's md5, where the password is md5(password) in hex first (includes/password.inc,
// user_check_password). The rounds run on a worker thread.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqualString } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { digest } from './digests.ts';
import { ITOA64 } from './encoding.ts';
import type { Verifier } from './types.ts';
import { runInWorker } from './worker-pool.ts';

const RE = /^(U?)\$([SHP])\$([./0-9A-Za-z])([./0-9A-Za-z]{8})([./0-9A-Za-z]+)$/;

/** Drupal accepts 2^7 to 2^30 rounds; above 2^24 one check takes many seconds, so it is refused. */
const MAX_LOG2 = 24;

/** Drupal's _password_base64_encode: phpass's little-endian itoa64. */
function encode64(input: Buffer, count: number): string {
  let out = '';
  let i = 0;
  do {
    let value = input[i++]!;
    out += ITOA64[value & 0x3f];
    if (i < count) value |= input[i]! << 8;
    out += ITOA64[(value >> 6) & 0x3f];
    if (i++ >= count) break;
    if (i < count) value |= input[i]! << 16;
    out += ITOA64[(value >> 12) & 0x3f];
    if (i++ >= count) break;
    out += ITOA64[(value >> 18) & 0x3f];
  } while (i < count);
  return out;
}

export const drupalVerifier: Verifier = {
  id: 'drupal',
  label: 'Drupal 7 to 10.0 ($S$, and U$S$ for rows migrated from Drupal 6)',
  detect: (stored) => /^(?:U\$[SHP]|\$S)\$/.test(stored),
  // Drupal 7's default count is 2^15 ('D').
  decoy: async () => `$S$D${randomChecksum(8, 'itoa64')}${randomChecksum(43, 'itoa64')}`,
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    const malformed = (what: string) =>
      new UnusableHashError('malformed', `malformed Drupal hash: ${what}`, 'drupal');
    if (!m) throw malformed('expected $S$, a count, 8 characters of salt and the checksum');
    const sha512 = m[2] === 'S';
    if (sha512 ? m[5]!.length !== 43 : m[5]!.length !== 22) throw malformed('checksum of the wrong length');
    const countLog2 = ITOA64.indexOf(m[3]!);
    if (countLog2 < 7 || countLog2 > 30) throw malformed('bad round count');
    if (countLog2 > MAX_LOG2) {
      throw new UnusableHashError('unsupported_parameters', 'Drupal round count above the limit', 'drupal');
    }
    const secret = Buffer.from(m[1] ? digest('md5', password).toString('hex') : password, 'utf8');
    const salt = Buffer.from(m[4]!, 'latin1');
    const hex = await runInWorker({
      kind: 'iterate',
      algorithm: sha512 ? 'sha512' : 'md5',
      first: Buffer.concat([salt, secret]),
      suffix: secret,
      rounds: 2 ** countLog2 + 1,
    });
    const raw = Buffer.from(hex, 'hex');
    return constantTimeEqualString(encode64(raw, raw.length).slice(0, m[5]!.length), m[5]!);
  },
};
