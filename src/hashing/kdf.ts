// scrypt for the formats built on it (Django, Werkzeug, passlib, Spring, $7$, Firebase,
// Gitea), through Node's crypto.scrypt in the libuv thread pool, never on the event loop.
// Parameters a row may carry are bounded, so a hostile value cannot take gigabytes.

import { scrypt } from 'node:crypto';
import { UnusableHashError } from '../errors.ts';

/** Rows asking for more memory than this are refused (Django's default takes 16 MiB). */
export const SCRYPT_MAX_MEMORY = 512 * 1024 * 1024;

export function deriveScrypt(
  password: string | Uint8Array,
  salt: string | Uint8Array,
  params: { N: number; r: number; p: number; length: number },
  scheme: string,
): Promise<Buffer> {
  const { N, r, p, length } = params;
  const valid =
    Number.isSafeInteger(N) &&
    N >= 2 &&
    (N & (N - 1)) === 0 &&
    r >= 1 &&
    p >= 1 &&
    length >= 1 &&
    length <= 1024;
  if (!valid)
    throw new UnusableHashError('malformed', `malformed ${scheme} hash: bad scrypt parameters`, scheme);
  const memory = 128 * N * r + 128 * r * p;
  if (memory > SCRYPT_MAX_MEMORY || p > 64 || r > 64) {
    throw new UnusableHashError(
      'unsupported_parameters',
      `${scheme} scrypt parameters above the limits`,
      scheme,
    );
  }
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { N, r, p, maxmem: memory + 1024 * 1024 }, (err, key) =>
      err
        ? reject(
            new UnusableHashError(
              'unsupported_parameters',
              `${scheme} scrypt refused its parameters`,
              scheme,
            ),
          )
        : resolve(key),
    );
  });
}
