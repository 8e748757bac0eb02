// Firebase Authentication's modified scrypt, as `$firescrypt$ln=14,r=8$separator$salt$hash`
// (base64 fields; ln and r are the project's mem_cost and rounds, the separator its
// base64_salt_separator). The project's base64_signer_key is the configured pepper. The key is
// scrypt(password, salt + separator, 2^ln, r, 1, 64); the stored hash is the signer key
// encrypted with AES-256-CTR under its first 32 bytes and a zero IV (firebase/scrypt).

import { createCipheriv } from 'node:crypto';
import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { decodeBase64 } from './encoding.ts';
import { deriveScrypt } from './kdf.ts';
import type { Verifier } from './types.ts';

const RE =
  /^\$firescrypt\$ln=(\d{1,2}),r=(\d{1,2})\$([A-Za-z0-9+/=]*)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

export const firebaseScryptVerifier: Verifier = {
  id: 'firebase_scrypt',
  label: 'Firebase Authentication scrypt (exported as $firescrypt$)',
  pepper: 'required',
  detect: (stored) => stored.startsWith('$firescrypt$'),
  decoy: async () =>
    `$firescrypt$ln=14,r=8$Bw==$${randomChecksum(16, 'base64')}$${randomChecksum(64, 'base64')}`,
  async verify({ password, stored, pepper }) {
    const m = RE.exec(stored);
    const [separator, salt, expected] = m
      ? [decodeBase64(m[3]!), decodeBase64(m[4]!), decodeBase64(m[5]!)]
      : [];
    if (!m || !separator || !salt || !expected)
      throw new UnusableHashError('malformed', 'malformed $firescrypt$ hash', 'firebase_scrypt');
    const signerKey = decodeBase64(pepper ?? '');
    if (!signerKey || signerKey.length === 0) {
      throw new UnusableHashError(
        'pepper_missing',
        "the Firebase signer key is not base64. Fix: set legacy.password.pepper to the project's base64_signer_key",
        'firebase_scrypt',
      );
    }
    const key = await deriveScrypt(
      password,
      Buffer.concat([salt, separator]),
      { N: 2 ** Number(m[1]), r: Number(m[2]), p: 1, length: 64 },
      'firebase_scrypt',
    );
    const cipher = createCipheriv('aes-256-ctr', key.subarray(0, 32), Buffer.alloc(16));
    return constantTimeEqual(Buffer.concat([cipher.update(signerKey), cipher.final()]), expected);
  },
};
