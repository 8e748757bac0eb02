// Helpers for the verifiers' decoys (Verifier.decoy): a random password that is thrown away
// once its hash is made, and a memo so that a decoy of one cost is computed once, off the
// event loop and within the cap on hashes in flight (slots.ts), and then kept. No verifier
// asks for a decoy while it holds a slot. The decoys themselves live with their verifiers.

import { randomBytes } from 'node:crypto';
import { inHashSlot } from './slots.ts';

/** A password nobody knows: 24 random bytes, never stored. */
export function discardedPassword(): string {
  return randomBytes(24).toString('base64');
}

const made = new Map<string, Promise<string>>();

/** Runs `make` once per key; a failure is forgotten so that a later call can try again. */
export function memoDecoy(key: string, make: () => Promise<string>): Promise<string> {
  let decoy = made.get(key);
  if (!decoy) {
    decoy = inHashSlot(make);
    made.set(key, decoy);
    decoy.catch(() => made.delete(key));
  }
  return decoy;
}

/**
 * Random checksum characters, for the decoys of formats whose check does the same work
 * whatever the stored checksum is: `count` bytes in hex or base64, or `count` characters of
 * crypt's itoa64 alphabet.
 */
export function randomChecksum(count: number, encoding: 'hex' | 'base64' | 'base64url' | 'itoa64'): string {
  if (encoding !== 'itoa64') return randomBytes(count).toString(encoding);
  const alphabet = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return [...randomBytes(count)].map((b) => alphabet[b & 63]).join('');
}

/** A decoy that is a fixed string (made by another implementation, see the verifier's file). */
export const fixedDecoy = (stored: string) => () => Promise.resolve(stored);
