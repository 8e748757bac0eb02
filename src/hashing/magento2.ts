// Magento 2: `hash:salt:version`, version 0 md5(salt + password), 1 sha256(salt +
// password), 2 argon2id13 through libsodium's crypto_pwhash (opslimit 2, memlimit 64 MiB,
// the first 16 bytes of the salt, 32 bytes of hex), and `3_<bytes>_<ops>_<mem>` the same
// with its parameters written out. A hash upgraded in place lists several versions
// (`hash:salt:0:1`), each applied to the previous result (Magento\Framework\Encryption\Encryptor).

import argon2 from 'argon2';
import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { digest } from './digests.ts';
import { decodeHex } from './encoding.ts';
import type { Verifier } from './types.ts';

const RE = /^([0-9a-fA-F]{32,128}):([^:]{1,128})((?::(?:[0-2]|3_\d{1,3}_\d{1,2}_\d{1,12}))+)$/;

const MAX_MEMORY = 512 * 1024 * 1024;

async function step(version: string, value: string, salt: string): Promise<string> {
  if (version === '0') return digest('md5', salt, value).toString('hex');
  if (version === '1') return digest('sha256', salt, value).toString('hex');
  const [, bytes = '32', ops = '2', mem = '67108864'] = version === '2' ? [] : version.split('_');
  const memory = Number(mem);
  if (memory > MAX_MEMORY || Number(ops) > 64 || Number(bytes) > 128 || Number(ops) < 1 || memory < 8192) {
    throw new UnusableHashError(
      'unsupported_parameters',
      'Magento argon2 parameters out of range',
      'magento2',
    );
  }
  const raw = await argon2.hash(value, {
    type: argon2.argon2id,
    raw: true,
    salt: Buffer.from(salt.slice(0, 16), 'utf8'),
    timeCost: Number(ops),
    memoryCost: memory / 1024,
    parallelism: 1,
    hashLength: Number(bytes),
  });
  return raw.toString('hex');
}

export const magento2Verifier: Verifier = {
  id: 'magento2',
  label: 'Magento 2 (hash:salt:version)',
  detect: (stored) => RE.test(stored),
  // Magento 2.4's default is argon2id (version 2); the decoy costs what such a check costs.
  decoy: async (like) =>
    `${randomChecksum(32, 'hex')}:${randomChecksum(24, 'base64url')}:${like ? (RE.exec(like)?.[3] ?? ':2').slice(1) : '2'}`,
  async verify({ password, stored }) {
    const m = RE.exec(stored);
    if (!m) throw new UnusableHashError('malformed', 'malformed Magento 2 hash', 'magento2');
    const salt = m[2]!;
    if (/[23]/.test(m[3]![1]!) && Buffer.byteLength(salt) < 16) {
      throw new UnusableHashError('malformed', 'Magento argon2 hash with a salt under 16 bytes', 'magento2');
    }
    let value = password;
    for (const version of m[3]!.slice(1).split(':')) value = await step(version, value, salt);
    return constantTimeEqual(decodeHex(value)!, decodeHex(m[1]!)!);
  },
};
