// Spring Security's DelegatingPasswordEncoder: `{id}` + the encoded value. The ids are
// case-sensitive, as Spring reads them (crypto/.../factory/PasswordEncoderFactories.java):
// {bcrypt}, {argon2}, {ldap} hand their value to the registry's own verifiers (passed in);
// {noop} is the plain password; {pbkdf2} hex(salt + PBKDF2-HMAC-SHA1, 185000 rounds, 256
// bits; salt 16 bytes, 8 before 5.5), {pbkdf2@SpringSecurity_v5_8} the same with SHA-256 and
// 310000 rounds; {scrypt} `$params$salt$key`; {sha256} StandardPasswordEncoder: hex(salt8 +
// sha256 of salt + secret + password, 1024 times); {MD5} {SHA-1} {SHA-256} {MD4}
// MessageDigestPasswordEncoder: `{salt}` + hex(digest(password + '{salt}')). A Spring
// "secret" is the configured pepper.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual, constantTimeEqualString } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { type DigestAlgorithm, digest } from './digests.ts';
import { derivePbkdf2 } from './django-pbkdf2.ts';
import { decodeBase64, decodeHex } from './encoding.ts';
import { deriveScrypt } from './kdf.ts';
import type { Verifier } from './types.ts';
import { runInWorker } from './worker-pool.ts';

const RE =
  /^\{(bcrypt|argon2|ldap|noop|pbkdf2|scrypt|sha256|MD5|MD4|SHA-1|SHA-256)(@SpringSecurity_v5_8)?\}(.*)$/s;

const DIGESTS: Record<string, DigestAlgorithm> = {
  MD5: 'md5',
  MD4: 'md4',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
};
const INNER: Record<string, string> = { bcrypt: 'bcrypt', argon2: 'argon2', ldap: 'ldap' };

const malformed = (what: string) =>
  new UnusableHashError('malformed', `malformed Spring Security hash: ${what}`, 'spring');

async function verifyOwn(
  id: string,
  v58: boolean,
  value: string,
  password: string,
  secret: string,
): Promise<boolean> {
  if (id === 'noop') return constantTimeEqualString(password, value);
  if (id === 'pbkdf2') {
    const bytes = decodeHex(value);
    const saltLength = bytes?.length === 40 ? 8 : 16;
    if (!bytes || (bytes.length !== 40 && bytes.length !== 48))
      throw malformed('{pbkdf2} value is not hex of salt and a 256-bit hash');
    const salt = Buffer.concat([bytes.subarray(0, saltLength), Buffer.from(secret, 'utf8')]);
    const derived = await derivePbkdf2(password, salt, v58 ? 310_000 : 185_000, 32, v58 ? 'sha256' : 'sha1');
    return constantTimeEqual(derived, bytes.subarray(saltLength));
  }
  if (id === 'scrypt') {
    const [, params = '', salt = '', key = ''] = value.split('$');
    const p = Number.parseInt(params, 16);
    const saltBytes = decodeBase64(salt);
    const expected = decodeBase64(key);
    if (!/^[0-9a-f]{1,8}$/.test(params) || !saltBytes || !expected)
      throw malformed('{scrypt} value is not $params$salt$key');
    const N = 2 ** ((p >> 16) & 0xffff);
    const derived = await deriveScrypt(
      password,
      saltBytes,
      { N, r: (p >> 8) & 0xff, p: p & 0xff, length: expected.length },
      'spring',
    );
    return constantTimeEqual(derived, expected);
  }
  if (id === 'sha256') {
    const bytes = decodeHex(value);
    if (bytes?.length !== 40)
      throw malformed('{sha256} value is not hex of an 8-byte salt and a sha256 digest');
    const first = Buffer.concat([
      bytes.subarray(0, 8),
      Buffer.from(secret, 'utf8'),
      Buffer.from(password, 'utf8'),
    ]);
    const hex = await runInWorker({
      kind: 'iterate',
      algorithm: 'sha256',
      first,
      suffix: Buffer.alloc(0),
      rounds: 1024,
    });
    return constantTimeEqual(Buffer.from(hex, 'hex'), bytes.subarray(8));
  }
  const m = /^(\{[^}]*\})(.*)$/s.exec(value);
  const algorithm = DIGESTS[id]!;
  const expected = m ? (decodeHex(m[2]!) ?? decodeBase64(m[2]!)) : undefined;
  if (!m || expected?.length !== digest(algorithm, '').length)
    throw malformed(`{${id}} value is not {salt} and a digest`);
  return constantTimeEqual(digest(algorithm, password, m[1]!), expected);
}

export function createSpringVerifier(inner: () => readonly Verifier[]): Verifier {
  return {
    id: 'spring',
    label:
      'Spring Security DelegatingPasswordEncoder ({bcrypt}, {pbkdf2}, {scrypt}, {argon2}, {sha256}, {MD5}, {noop}, {ldap})',
    pepper: 'optional',
    // {MD5} without a {salt} is LDAP's, not Spring's.
    detect: (stored) => {
      const m = RE.exec(stored);
      return m !== null && (!DIGESTS[m[1]!] || m[3]!.startsWith('{'));
    },
    async verify({ password, stored, pepper }) {
      const m = RE.exec(stored);
      if (!m) throw malformed('unknown {id}');
      const [, id, v58, value] = m as unknown as [string, string, string | undefined, string];
      const innerId = INNER[id];
      if (innerId) {
        const verifier = inner().find((v) => v.id === innerId)!;
        if (!verifier.detect(value)) throw malformed(`{${id}} value is not a ${innerId} hash`);
        return verifier.verify({ password, stored: value });
      }
      return {
        match: await verifyOwn(id, v58 !== undefined, value, password, pepper ?? ''),
        scheme: `spring_${id}`,
      };
    },
    // Spring 6's default encoder is {bcrypt} at strength 10.
    async decoy(like) {
      const m = like ? RE.exec(like) : null;
      if (m?.[1] === 'pbkdf2') return `{pbkdf2${m[2] ?? ''}}${randomChecksum(48, 'hex')}`;
      if (m?.[1] === 'sha256') return `{sha256}${randomChecksum(40, 'hex')}`;
      return `{bcrypt}${await inner()
        .find((v) => v.id === 'bcrypt')!
        .decoy(m?.[1] === 'bcrypt' ? m[3] : undefined)}`;
    },
  };
}
