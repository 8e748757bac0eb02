// The plain message digests the cheap schemes are built from. One md5/sha digest of a
// password takes microseconds, so these run on the main thread; anything iterated goes to
// the worker pool (worker-pool.ts) or a native thread-pool call instead.

import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['md5', 'sha1', 'sha256', 'sha512'];

/** Digest sizes in bytes. */
export const DIGEST_SIZE: Record<DigestAlgorithm, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

export function isDigestAlgorithm(name: string): name is DigestAlgorithm {
  return (DIGEST_ALGORITHMS as readonly string[]).includes(name);
}

/** The digest of the concatenated parts; strings are taken as UTF-8. */
export function digest(algorithm: DigestAlgorithm, ...parts: (string | Uint8Array)[]): Buffer {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** The digest algorithm whose output has `size` bytes, if one does. */
export function algorithmForSize(size: number): DigestAlgorithm | undefined {
  return DIGEST_ALGORITHMS.find((a) => DIGEST_SIZE[a] === size);
}
