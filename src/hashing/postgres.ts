// PostgreSQL role passwords (pg_authid.rolpassword): `md5` + md5(password + role name), the
// role name as the salt column; and `SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey`
// (RFC 5802 / 7677, src/common/scram-common.c). The password is taken as UTF-8 after NFKC,
// which is what SASLprep does to the passwords people type.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { digest, hmac } from './digests.ts';
import { checkIterations, derivePbkdf2 } from './django-pbkdf2.ts';
import { decodeBase64, decodeHex } from './encoding.ts';
import type { Verifier } from './types.ts';

const SCRAM = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

export const postgresScramVerifier: Verifier = {
  id: 'postgres_scram',
  label: 'PostgreSQL SCRAM-SHA-256 (pg_authid)',
  detect: (stored) => stored.startsWith('SCRAM-SHA-256$'),
  decoy: async () =>
    `SCRAM-SHA-256$4096:${randomChecksum(16, 'base64')}$${randomChecksum(32, 'base64')}:${randomChecksum(32, 'base64')}`,
  async verify({ password, stored }) {
    const m = SCRAM.exec(stored);
    const [salt, storedKey, serverKey] = m
      ? [decodeBase64(m[2]!), decodeBase64(m[3]!), decodeBase64(m[4]!)]
      : [];
    if (!m || !salt || storedKey?.length !== 32 || serverKey?.length !== 32)
      throw new UnusableHashError('malformed', 'malformed SCRAM-SHA-256 secret', 'postgres_scram');
    const iterations = Number(m[1]);
    checkIterations(iterations, 'postgres_scram');
    const salted = await derivePbkdf2(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
    const clientKey = hmac('sha256', salted, 'Client Key');
    const storedOk = constantTimeEqual(digest('sha256', clientKey), storedKey);
    const serverOk = constantTimeEqual(hmac('sha256', salted, 'Server Key'), serverKey);
    return storedOk && serverOk;
  },
};

export const postgresMd5Verifier: Verifier = {
  id: 'postgres_md5',
  label: 'PostgreSQL md5 role password (md5 + md5(password + role name))',
  salt: 'required',
  detect: (stored) => /^md5[0-9a-f]{32}$/.test(stored),
  decoy: async () => `md5${randomChecksum(16, 'hex')}`,
  async verify({ password, stored, salt }) {
    const expected = decodeHex(stored.slice(3));
    if (expected?.length !== 16)
      throw new UnusableHashError('malformed', 'malformed PostgreSQL md5 password', 'postgres_md5');
    return constantTimeEqual(digest('md5', password, salt ?? ''), expected);
  },
};
