// passlib's bcrypt_sha256: `$bcrypt-sha256$2a,12$salt$digest` (v1: bcrypt over the base64
// sha256 of the password) and `$bcrypt-sha256$v=2,t=2b,r=12$salt$digest` (v2, passlib
// 1.7.3+: bcrypt over the base64 HMAC-SHA256 of the password keyed with the salt string)
// (passlib/handlers/bcrypt.py).

import { UnusableHashError } from '../errors.ts';
import { bcryptDecoy, verifyBcrypt } from './bcrypt.ts';
import { digest, hmac } from './digests.ts';
import type { Verifier } from './types.ts';

const V1 = /^\$bcrypt-sha256\$(2[ab]),(\d{1,2})\$([./A-Za-z0-9]{22})\$([./A-Za-z0-9]{31})$/;
const V2 = /^\$bcrypt-sha256\$v=2,t=(2[ab]),r=(\d{1,2})\$([./A-Za-z0-9]{22})\$([./A-Za-z0-9]{31})$/;

export const passlibBcryptSha256Verifier: Verifier = {
  id: 'passlib_bcrypt_sha256',
  label: 'passlib bcrypt_sha256',
  detect: (stored) => stored.startsWith('$bcrypt-sha256$'),
  async decoy() {
    const inner = await bcryptDecoy('$2b$12$');
    return `$bcrypt-sha256$v=2,t=2b,r=12$${inner.slice(7, 29)}$${inner.slice(29)}`;
  },
  async verify({ password, stored }) {
    const v2 = V2.exec(stored);
    const m = v2 ?? V1.exec(stored);
    if (!m)
      throw new UnusableHashError(
        'malformed',
        'malformed passlib bcrypt_sha256 hash',
        'passlib_bcrypt_sha256',
      );
    const [, minor, cost, salt, checksum] = m as unknown as string[];
    const key = v2 ? hmac('sha256', salt!, password) : digest('sha256', password);
    return verifyBcrypt(
      key.toString('base64'),
      `$${minor}$${cost!.padStart(2, '0')}$${salt}${checksum}`,
      'passlib_bcrypt_sha256',
    );
  },
};
