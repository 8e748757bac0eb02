// PBKDF2 in LDAP userPassword values: `{PBKDF2-SHA256}rounds$salt$hash` with passlib's ab64
// (OpenLDAP's pw-pbkdf2 module, 389-ds 1.4+, passlib ldap_pbkdf2_*; `{PBKDF2}` is sha1), and
// 389-ds' older `{PBKDF2_SHA256}` binary form: base64 of a 4-byte round count, 64 bytes of
// salt and a 256-byte key. Scheme names are case-insensitive, as the servers read them.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { checkIterations, derivePbkdf2 } from './django-pbkdf2.ts';
import { decodeAb64, decodeBase64 } from './encoding.ts';
import type { Verifier } from './types.ts';

const TEXT = /^\{PBKDF2(?:-(SHA1|SHA256|SHA512))?\}(\d+)\$([./A-Za-z0-9]+)\$([./A-Za-z0-9]+)$/i;
const BINARY = /^\{PBKDF2_SHA256\}([A-Za-z0-9+/=]+)$/i;

const malformed = () => new UnusableHashError('malformed', 'malformed LDAP {PBKDF2} hash', 'ldap_pbkdf2');

export const ldapPbkdf2Verifier: Verifier = {
  id: 'ldap_pbkdf2',
  label: 'LDAP {PBKDF2-SHA256} / {PBKDF2-SHA512} (OpenLDAP pw-pbkdf2, 389-ds)',
  detect: (stored) => /^\{PBKDF2(?:[-_]SHA(?:1|256|512))?\}/i.test(stored),
  decoy: async () =>
    `{PBKDF2-SHA256}10000$${randomChecksum(16, 'base64').replace(/=+$/, '').replaceAll('+', '.')}$${randomChecksum(32, 'base64').replace(/=+$/, '').replaceAll('+', '.')}`,
  async verify({ password, stored }) {
    const binary = BINARY.exec(stored);
    if (binary) {
      const bytes = decodeBase64(binary[1]!);
      if (bytes?.length !== 4 + 64 + 256) throw malformed();
      const iterations = bytes.readUInt32BE(0);
      checkIterations(iterations, 'ldap_pbkdf2');
      const derived = await derivePbkdf2(password, bytes.subarray(4, 68), iterations, 256, 'sha256');
      return constantTimeEqual(derived, bytes.subarray(68));
    }
    const m = TEXT.exec(stored);
    const salt = m ? decodeAb64(m[3]!) : undefined;
    const expected = m ? decodeAb64(m[4]!) : undefined;
    if (!m || !salt || !expected || expected.length > 256) throw malformed();
    const iterations = Number(m[2]);
    checkIterations(iterations, 'ldap_pbkdf2');
    const digest = (m[1]?.toLowerCase() ?? 'sha1') as 'sha1' | 'sha256' | 'sha512';
    return constantTimeEqual(
      await derivePbkdf2(password, salt, iterations, expected.length, digest),
      expected,
    );
  },
};
