// Values that wrap a crypt(3) or PHC string in a scheme name: LDAP's `{CRYPT}` (OpenLDAP,
// 389-ds: any crypt format the system's libc knows), OpenLDAP's `{ARGON2}`, and Dovecot's
// `{SHA512-CRYPT}`, `{SHA256-CRYPT}`, `{MD5-CRYPT}`, `{BLF-CRYPT}`, `{ARGON2ID}`. The inner
// string is detected and checked by the registry's own list, passed in, so this file holds
// no second list of formats. Scheme names are case-insensitive, as both servers read them.

import { UnusableHashError } from '../errors.ts';
import type { Verifier } from './types.ts';

const RE = /^\{(CRYPT|ARGON2|ARGON2I|ARGON2ID|SHA512-CRYPT|SHA256-CRYPT|MD5-CRYPT|BLF-CRYPT)\}(.*)$/is;

/** The inner formats each wrapper may hold. */
const INNER: Record<string, RegExp> = {
  'SHA512-CRYPT': /^\$6\$/,
  'SHA256-CRYPT': /^\$5\$/,
  'MD5-CRYPT': /^\$1\$/,
  'BLF-CRYPT': /^\$2[abxy]\$/,
  ARGON2: /^\$argon2/,
  ARGON2I: /^\$argon2i\$/,
  ARGON2ID: /^\$argon2id\$/,
};

export function createLdapWrappedVerifier(inner: () => readonly Verifier[]): Verifier {
  const find = (stored: string) => {
    const m = RE.exec(stored);
    if (!m) return undefined;
    const rest = m[2]!;
    const expected = INNER[m[1]!.toUpperCase()];
    const verifier =
      expected && !expected.test(rest)
        ? undefined
        : inner().find(
            (v) => v.id !== 'ldap_wrapped' && !v.presetOnly && v.salt !== 'required' && v.detect(rest),
          );
    return { prefix: stored.slice(0, stored.length - rest.length), rest, verifier };
  };
  return {
    id: 'ldap_wrapped',
    label: 'LDAP {CRYPT} and Dovecot {SHA512-CRYPT} / {BLF-CRYPT} over a crypt(3) string',
    detect: (stored) => RE.test(stored),
    async verify({ password, stored }) {
      const found = find(stored);
      if (!found?.verifier) {
        throw new UnusableHashError(
          'unknown_format',
          'LDAP or Dovecot {CRYPT} value in no known crypt format',
          'ldap_wrapped',
        );
      }
      return found.verifier.verify({ password, stored: found.rest });
    },
    async decoy(like) {
      const found = like ? find(like) : undefined;
      const sha = inner().find((v) => v.id === 'sha_crypt')!;
      if (found?.verifier) return found.prefix + (await found.verifier.decoy(found.rest));
      return `{CRYPT}${await sha.decoy()}`;
    },
  };
}
