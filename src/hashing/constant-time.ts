// Constant-time comparison of digests. Every verifier compares through here, never with
// `===`, so the time a comparison takes says nothing about how many leading bytes matched.

import { timingSafeEqual } from 'node:crypto';

/**
 * True when both byte strings are equal. A length mismatch still runs one full comparison
 * (of `expected` against itself) before answering false, so only the length can leak.
 */
export function constantTimeEqual(actual: Uint8Array, expected: Uint8Array): boolean {
  if (actual.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(actual, expected);
}

/** The same for strings (e.g. a recomputed crypt(3) string against the stored one). */
export function constantTimeEqualString(actual: string, expected: string): boolean {
  return constantTimeEqual(Buffer.from(actual, 'utf8'), Buffer.from(expected, 'utf8'));
}
