// The bridge's own password hash for migrated accounts: argon2id with OWASP's minimum
// recommended parameters (19 MiB, 2 passes, 1 lane), computed in the libuv thread pool, one
// hash per core at most (slots.ts).

import argon2 from 'argon2';
import { UnusableHashError } from '../errors.ts';
import { inHashSlot } from './slots.ts';

/** OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1. */
export const BRIDGE_ARGON2_PARAMS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashBridgePassword(password: string): Promise<string> {
  return inHashSlot(() => argon2.hash(password, { ...BRIDGE_ARGON2_PARAMS }));
}

/** True/false for a match; UnusableHashError when the stored value is not an argon2 hash. */
export async function verifyBridgePassword(password: string, hash: string): Promise<boolean> {
  if (!hash.startsWith('$argon2')) {
    throw new UnusableHashError('malformed', 'bridge account hash is not an argon2 hash', 'bridge_argon2id');
  }
  try {
    return await inHashSlot(() => argon2.verify(hash, password));
  } catch {
    throw new UnusableHashError('malformed', 'malformed bridge account hash', 'bridge_argon2id');
  }
}

/** True when a stored bridge hash was made with weaker parameters than the current ones. */
export function bridgeHashNeedsRehash(hash: string): boolean {
  try {
    return argon2.needsRehash(hash, { ...BRIDGE_ARGON2_PARAMS, version: 0x13 });
  } catch {
    return true;
  }
}
