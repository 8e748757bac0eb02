// LDAP values that wrap another format: `{CRYPT}` + a crypt(3) string ($1$, $5$, $6$, $2y$…)
// and OpenLDAP's `{ARGON2}` + a PHC argon2 string. The inner string is detected and checked
// by the registry's own list, passed in, so this file holds no second list of formats.

import { UnusableHashError } from '../errors.ts';
import type { Verifier } from './types.ts';

const RE = /^\{(CRYPT|ARGON2)\}(.*)$/is;

export function createLdapWrappedVerifier(inner: () => readonly Verifier[]): Verifier {
  const find = (stored: string) => {
    const m = RE.exec(stored);
    if (!m) return undefined;
    const rest = m[2]!;
    const verifier = inner().find((v) => v.id !== 'ldap_wrapped' && v.id !== 'bare_digest' && v.detect(rest));
    return { rest, verifier };
  };
  return {
    id: 'ldap_wrapped',
    detect: (stored) => RE.test(stored),
    async verify({ password, stored }) {
      const found = find(stored);
      if (!found?.verifier) {
        throw new UnusableHashError(
          'unknown_format',
          'LDAP {CRYPT} value in no known crypt format',
          'ldap_wrapped',
        );
      }
      return found.verifier.verify({ password, stored: found.rest });
    },
  };
}
