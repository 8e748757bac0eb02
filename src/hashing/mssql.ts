// Microsoft SQL Server logins (sys.sql_logins.password_hash, PWDENCRYPT): `0x0100` + a
// 4-byte salt + sha1(UTF-16LE password + salt) for 2005-2008 R2 (2000 appended a second
// digest of the upper-cased password), `0x0200` + salt + sha512(...) for 2012 and later.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { digest } from './digests.ts';
import { decodeHex } from './encoding.ts';
import type { Verifier } from './types.ts';

const RE = /^0x(0100|0200)([0-9a-fA-F]{8})([0-9a-fA-F]+)$/i;

export const mssqlVerifier: Verifier = {
  id: 'mssql',
  label: 'Microsoft SQL Server 2005 / 2012+ login hash',
  detect: (stored) => /^0x0[12]00[0-9a-fA-F]{48}/i.test(stored),
  decoy: async () => `0x0200${randomChecksum(68, 'hex').toUpperCase()}`,
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    const sha512 = m?.[1] === '0200';
    const hex = m?.[3] ?? '';
    const size = sha512 ? 128 : 40;
    if (!m || (hex.length !== size && !(m[1] === '0100' && hex.length === 80)))
      throw new UnusableHashError('malformed', 'malformed SQL Server password hash', 'mssql');
    const salt = decodeHex(m[2]!)!;
    const expected = decodeHex(hex.slice(0, size))!;
    return constantTimeEqual(
      digest(sha512 ? 'sha512' : 'sha1', Buffer.from(password, 'utf16le'), salt),
      expected,
    );
  },
};
