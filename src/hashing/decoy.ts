// Decoy stored hashes: one per scheme, each the hash of a random password that was thrown
// away after it was computed. When a login names a user who does not exist, verifying the
// password against the decoy of the configured scheme makes that answer take as long as a
// real mismatch, so response times do not tell which users exist.

import { randomBytes } from 'node:crypto';
import { hashSync } from '@node-rs/bcrypt';
import { UnusableHashError } from '../errors.ts';
import { DIGEST_SIZE, isDigestAlgorithm } from './digests.ts';
import { looksLikeExpression, parseSchemeExpression } from './scheme-expression.ts';

/**
 * Parameters are the common defaults of each source: bcrypt cost 10 (PHP), argon2id
 * m=65536,t=4,p=1 (PHP), Django 4.2 (PBKDF2 600000, bcrypt 12, argon2 m=102400,t=2,p=8),
 * passlib pbkdf2-sha256 29000, glibc sha512-crypt 5000, WordPress phpass 2^13.
 */
const DECOYS: Record<string, string> = {
  bcrypt: '$2y$10$Y9kbRUFg8FyzOMeJJJTA..A4iGpDMxUAk6IXEotGKGnafzLfAEwoO',
  argon2: '$argon2id$v=19$m=65536,p=1,t=4$c/NSCtyh9+O7T+2Vcjft9w$3eKiWp6r05QuOwYgRcvcph3AWQUgVo6pK0cU7Yybaak',
  django_argon2:
    'argon2$argon2id$v=19$m=102400,p=8,t=2$oTqBnCUH6g2g2VbQN/rgmA$tJhnQIquYEjuBaEj8wx07JZXOPF3FWETtdFZNRK0i48',
  django_pbkdf2: 'pbkdf2_sha256$600000$rmhlxXZJttEa$L/F9+gZkPy5/MyrBZm2uEICjDZnGRC/c/+SImL3Y3bA=',
  django_bcrypt: 'bcrypt_sha256$$2b$12$GgnP1Xf/tQ7MSsHn2IMq..QAOu22LGVT1X/2MNLPQLgmq1oQVMaRq',
  pbkdf2: '$pbkdf2-sha256$29000$8Qx7g9aIZvOyOEd8qya65Q$Wx/5Q3xR8ixesdzbgQuKmYSAezEQYU3rvo7INeOCq/0',
  sha_crypt:
    '$6$4S04qdI6qX/jUHrn$ygPLa3PSujmy.IsdpqwVhtmjwxOtsPIZM2L2uKKKRrAq/bjrpDDG5MwXB1jiThxsVyhTC.OY6Vd7Wl6E6cSEY0',
  md5_crypt: '$1$32a9q0aG$gfKEZXNZNkPFS2A/n/YzC0',
  phpass: '$P$Bm4oMqI2HW3fkwSXeXc0/FfMdY.F9N/',
  ldap: '{SSHA}sxRYFYdowCRRwiDmVa6PslQBgHXIX9FMYJbxkg==',
  mysql41: '*2C25673060458773F9C0FA60AF495C40E1910CD6',
  salted_digest: 'sha1$PYEoAsdkFEwO$461b19760bd6cbc60f31c0edde8f83b19903e113',
  bare_digest: '2efa7b7289c418bc9e117582ec351aba',
};
DECOYS.ldap_wrapped = `{CRYPT}${DECOYS.sha_crypt}`;

/** Decoys made on first use (other bcrypt costs, digests for expressions), then kept. */
const computed = new Map<string, string>();

function once(key: string, make: () => string): string {
  let hash = computed.get(key);
  if (hash === undefined) {
    hash = make();
    computed.set(key, hash);
  }
  return hash;
}

/**
 * A fixed stored hash of the scheme (a verifier id, `auto`, an expression, or a digest name
 * such as `sha256` for a prefix-less digest) to verify against when the user does not exist.
 * `bcryptCost` (4-16) makes a bcrypt decoy of another cost than 10, computed once per cost
 * (blocking for that one hash: call it at start-up).
 */
export function decoyHash(scheme: string, options: { bcryptCost?: number } = {}): string {
  const id = scheme.trim() === 'auto' ? 'bcrypt' : scheme.trim();
  const cost = options.bcryptCost;
  if (id === 'bcrypt' && cost !== undefined && cost !== 10) {
    if (!Number.isInteger(cost) || cost < 4 || cost > 16) {
      throw new UnusableHashError('unsupported_parameters', 'decoy bcrypt cost must be 4 to 16', 'bcrypt');
    }
    return once(`bcrypt:${cost}`, () => hashSync(randomBytes(24), cost));
  }
  const fixed = DECOYS[id];
  if (fixed) return fixed;
  // A bare algorithm name stands for a prefix-less digest of that size.
  if (isDigestAlgorithm(id)) return once(id, () => randomBytes(DIGEST_SIZE[id]).toString('hex'));
  if (looksLikeExpression(id)) {
    const { algorithm } = parseSchemeExpression(id).root;
    return once(algorithm, () => randomBytes(DIGEST_SIZE[algorithm]).toString('hex'));
  }
  throw new UnusableHashError('unknown_format', 'no decoy hash for an unknown scheme', scheme);
}
