// A preset: RabbitMQ's internal users (rabbitmqctl export_definitions): base64 of a 4-byte
// salt and digest(salt + password), sha256 by default (rabbit_password_hashing_sha256), md5
// and sha512 read from the length.

import { UnusableHashError } from '../errors.ts';
import { constantTimeEqual } from './constant-time.ts';
import { randomChecksum } from './decoy.ts';
import { digest } from './digests.ts';
import { decodeBase64 } from './encoding.ts';
import type { Verifier } from './types.ts';

const SIZES = { 20: 'md5', 36: 'sha256', 68: 'sha512' } as const;

export const rabbitmqVerifier: Verifier = {
  id: 'rabbitmq',
  label: 'RabbitMQ password_hash (rabbit_password_hashing_sha256)',
  presetOnly: true,
  detect: (stored) => (decodeBase64(stored)?.length ?? 0) in SIZES,
  decoy: async () => randomChecksum(36, 'base64'),
  async verify({ password, stored }) {
    const bytes = decodeBase64(stored);
    const algorithm = bytes ? SIZES[bytes.length as keyof typeof SIZES] : undefined;
    if (!bytes || !algorithm)
      throw new UnusableHashError('malformed', 'not a RabbitMQ password hash', 'rabbitmq');
    return constantTimeEqual(digest(algorithm, bytes.subarray(0, 4), password), bytes.subarray(4));
  },
};
