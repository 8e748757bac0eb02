// Nextcloud and ownCloud: `1|` + a bcrypt string, `2|` + argon2i, `3|` + argon2id, the
// version written by lib/private/Security/Hasher.php. The inner string is checked by the
// registry's own bcrypt or argon2 verifier, passed in, so this file holds no second list.

import { UnusableHashError } from '../errors.ts';
import type { Verifier } from './types.ts';

const INNER: Record<string, RegExp> = { '1': /^\$2[aby]\$/, '2': /^\$argon2i\$/, '3': /^\$argon2id\$/ };

export function createNextcloudVerifier(inner: () => readonly Verifier[]): Verifier {
  const find = (stored: string) => {
    const m = /^([123])\|(.*)$/s.exec(stored);
    if (!m || !INNER[m[1]!]!.test(m[2]!)) return undefined;
    return {
      prefix: `${m[1]}|`,
      rest: m[2]!,
      verifier: inner().find((v) => (v.id === 'bcrypt' || v.id === 'argon2' ? v.detect(m[2]!) : false)),
    };
  };
  return {
    id: 'nextcloud',
    label: 'Nextcloud / ownCloud (1|bcrypt, 2|argon2i, 3|argon2id)',
    detect: (stored) => /^[123]\|\$(?:2|argon2)/.test(stored),
    async verify({ password, stored }) {
      const found = find(stored);
      if (!found?.verifier)
        throw new UnusableHashError(
          'malformed',
          'malformed Nextcloud hash: version and inner hash disagree',
          'nextcloud',
        );
      return found.verifier.verify({ password, stored: found.rest });
    },
    async decoy(like) {
      const found = like ? find(like) : undefined;
      if (found?.verifier) return found.prefix + (await found.verifier.decoy(found.rest));
      return `3|${await inner()
        .find((v) => v.id === 'argon2')!
        .decoy()}`;
    },
  };
}
