// passlib's scrypt: `$scrypt$ln=16,r=8,p=1$salt$checksum`, salt and a 32-byte key in
// passlib's ab64 (passlib/handlers/scrypt.py).

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { decodeBase64 } from './encoding.ts';
import { deriveScrypt } from './kdf.ts';
import type { Verifier } from './types.ts';

const RE = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([./+A-Za-z0-9]*)\$([./+A-Za-z0-9]+)$/;

/** passlib writes scrypt's fields in unpadded base64, older releases with '.' for '+'. */
const decode = (text: string) => decodeBase64(text.replaceAll('.', '+'));

export const passlibScryptVerifier: Verifier = {
  id: 'passlib_scrypt',
  label: 'passlib scrypt ($scrypt$ln=…)',
  detect: (stored) => stored.startsWith('$scrypt$'),
  decoy: async () =>
    `$scrypt$ln=16,r=8,p=1$${randomChecksum(16, 'base64').replace(/=+$/, '').replaceAll('+', '.')}$${randomChecksum(32, 'base64').replace(/=+$/, '').replaceAll('+', '.')}`,
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    const salt = m ? decode(m[4]!) : undefined;
    const expected = m ? decode(m[5]!) : undefined;
    if (!m || !salt || !expected)
      throw new UnusableHashError('malformed', 'malformed passlib scrypt hash', 'passlib_scrypt');
    const params = { N: 2 ** Number(m[1]), r: Number(m[2]), p: Number(m[3]), length: expected.length };
    return constantTimeEqual(await deriveScrypt(password, salt, params, 'passlib_scrypt'), expected);
  },
};
