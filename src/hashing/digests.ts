// The plain message digests the cheap schemes are built from. One digest of a password takes
// microseconds, so these run on the main thread; anything iterated goes to the worker pool
// (worker-pool.ts) or a native thread-pool call instead. MD4 (NT hashes) comes from
// hash-wasm: Node's OpenSSL 3 no longer ships it (see BENCHMARKS.md for the choice).

import { createHash, createHmac } from 'node:crypto';
import { createMD4 } from 'hash-wasm';

export type DigestAlgorithm = 'md4' | 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = [
  'md5',
  'sha1',
  'sha256',
  'sha512',
  'md4',
  'sha384',
];

/** Digest sizes in bytes. */
export const DIGEST_SIZE: Record<DigestAlgorithm, number> = {
  md4: 16,
  md5: 16,
  sha1: 20,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

export function isDigestAlgorithm(name: string): name is DigestAlgorithm {
  return (DIGEST_ALGORITHMS as readonly string[]).includes(name);
}

const md4Hasher = await createMD4();

function md4(parts: (string | Uint8Array)[]): Buffer {
  md4Hasher.init();
  for (const part of parts) md4Hasher.update(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
  return Buffer.from(md4Hasher.digest('binary'));
}

/** The digest of the concatenated parts; strings are taken as UTF-8. */
export function digest(algorithm: DigestAlgorithm, ...parts: (string | Uint8Array)[]): Buffer {
  if (algorithm === 'md4') return md4(parts);
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** HMAC of the concatenated message parts. MD4 has no HMAC here: no application uses it. */
export function hmac(
  algorithm: Exclude<DigestAlgorithm, 'md4'>,
  key: string | Uint8Array,
  ...parts: (string | Uint8Array)[]
): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** The digest algorithm whose output has `size` bytes, if one does (md5 before md4). */
export function algorithmForSize(size: number): DigestAlgorithm | undefined {
  return DIGEST_ALGORITHMS.find((a) => DIGEST_SIZE[a] === size);
}

/** The NT hash: MD4 of the UTF-16LE password (Windows, Samba, FreeBSD's $3$). */
export function ntHash(password: string): Buffer {
  return md4([Buffer.from(password, 'utf16le')]);
}
