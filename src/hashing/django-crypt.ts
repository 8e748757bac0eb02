// Django's CryptPasswordHasher: `crypt$$` + the system crypt(3) string (DES crypt in
// practice). The inner string is checked by the registry's own crypt verifiers, passed in.

import { UnusableHashError } from '../errors.ts';
import type { Verifier } from './types.ts';

export function createDjangoCryptVerifier(inner: () => readonly Verifier[]): Verifier {
  const find = (rest: string) =>
    inner().find(
      (v) =>
        v.id !== 'django_crypt' &&
        !v.presetOnly &&
        v.salt !== 'required' &&
        v.id !== 'bare_digest' &&
        v.detect(rest),
    );
  return {
    id: 'django_crypt',
    label: 'Django CryptPasswordHasher (crypt$$)',
    detect: (stored) => stored.startsWith('crypt$'),
    async verify({ password, stored }) {
      const rest = /^crypt\$[^$]*\$(.+)$/s.exec(stored)?.[1];
      const verifier = rest ? find(rest) : undefined;
      if (!rest || !verifier)
        throw new UnusableHashError('malformed', 'malformed Django crypt hash', 'django_crypt');
      return verifier.verify({ password, stored: rest });
    },
    decoy: async () =>
      `crypt$$${await inner()
        .find((v) => v.id === 'des_crypt')!
        .decoy()}`,
  };
}
