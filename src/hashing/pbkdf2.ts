// PBKDF2 in modular-crypt form: passlib's `$pbkdf2-sha256$rounds$salt$checksum` (also
// `$pbkdf2$` for sha1 and `$pbkdf2-sha512$`), salt and checksum in passlib's ab64 ('.' for
// '+', no padding); and the PHC form `$pbkdf2-sha256$i=rounds,l=length$salt$hash` in plain
// unpadded base64. The derivation runs in the libuv thread pool (crypto.pbkdf2).

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { fixedDecoy } from './decoy.ts';
import { checkIterations, derivePbkdf2 } from './django-pbkdf2.ts';
import { decodeAb64, decodeBase64 } from './encoding.ts';
import type { Verifier } from './types.ts';

const RE = /^\$pbkdf2(?:-(sha1|sha256|sha512))?\$([^$]+)\$([^$]*)\$([^$]+)$/;
const PHC_PARAMS_RE = /^i=(\d+)(?:,l=(\d+))?$/;

const SCHEME = 'pbkdf2';

export const pbkdf2Verifier: Verifier = {
  id: SCHEME,
  label: 'passlib pbkdf2 / PHC $pbkdf2-sha256$',
  decoy: fixedDecoy(
    '$pbkdf2-sha256$29000$8Qx7g9aIZvOyOEd8qya65Q$Wx/5Q3xR8ixesdzbgQuKmYSAezEQYU3rvo7INeOCq/0',
  ),
  detect: (stored) => /^\$pbkdf2(?:-sha1|-sha256|-sha512)?\$/.test(stored),
  async verify({ password, stored }) {
    const malformed = (what: string) =>
      new UnusableHashError('malformed', `malformed pbkdf2 hash: ${what}`, SCHEME);
    const m = RE.exec(stored);
    if (!m) throw malformed('expected $pbkdf2-<digest>$<rounds>$<salt>$<checksum>');
    const algorithm = (m[1] ?? 'sha1') as 'sha1' | 'sha256' | 'sha512';
    let iterations: number;
    let salt: Buffer | undefined;
    let expected: Buffer | undefined;
    const phc = PHC_PARAMS_RE.exec(m[2]!);
    if (phc) {
      iterations = Number(phc[1]);
      salt = decodeBase64(m[3]!);
      expected = decodeBase64(m[4]!);
      if (expected && phc[2] !== undefined && Number(phc[2]) !== expected.length) {
        throw malformed('length parameter does not match the hash');
      }
    } else if (/^\d+$/.test(m[2]!)) {
      iterations = Number(m[2]);
      salt = decodeAb64(m[3]!);
      expected = decodeAb64(m[4]!);
    } else {
      throw malformed('bad rounds field');
    }
    checkIterations(iterations, SCHEME);
    if (!salt) throw malformed('salt is not base64');
    if (!expected || expected.length === 0 || expected.length > 256)
      throw malformed('checksum is not base64');
    const derived = await derivePbkdf2(password, salt, iterations, expected.length, algorithm);
    return constantTimeEqual(derived, expected);
  },
};
