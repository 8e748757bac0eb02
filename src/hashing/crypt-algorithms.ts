// The iterated crypt(3)-family algorithms, written from their specifications: md5-crypt
// (Poul-Henning Kamp's FreeBSD code, also Apache's $apr1$), SHA-crypt (Ulrich Drepper's
// "Unix crypt using SHA-256 and SHA-512") and phpass portable hashes. They cost thousands of
// digests each, so they run only inside the worker pool (crypt-worker.ts), never on the main thread.

import { createHash } from 'node:crypto';
import { bsdiCrypt, desCrypt } from './des-crypt-algorithm.ts';
import { cryptB64From24Bit, ITOA64 } from './encoding.ts';
import { sha1CryptChecksum } from './sha1-crypt-algorithm.ts';
import { sunMd5Checksum } from './sun-md5-algorithm.ts';
import { yescryptHash } from './yescrypt-algorithm.ts';

/** The checksum part (22 characters) of an md5-crypt hash; `magic` is `$1$` or `$apr1$`. */
export function md5CryptChecksum(password: Uint8Array, salt: string, magic: string): string {
  const pw = Buffer.from(password);
  const saltBytes = Buffer.from(salt, 'utf8');
  const alt = createHash('md5').update(pw).update(saltBytes).update(pw).digest();
  const ctx = createHash('md5').update(pw).update(magic).update(saltBytes);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(left, 16)));
  // A quirk of the original: the bits of the length pick a NUL byte or the first password byte.
  const zero = Buffer.alloc(1);
  const first = pw.subarray(0, 1);
  for (let i = pw.length; i > 0; i >>= 1) ctx.update(i & 1 ? zero : first);
  let final = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const round = createHash('md5');
    round.update(i & 1 ? pw : final);
    if (i % 3) round.update(saltBytes);
    if (i % 7) round.update(pw);
    round.update(i & 1 ? final : pw);
    final = round.digest();
  }
  const f = final;
  return (
    cryptB64From24Bit(f[0]!, f[6]!, f[12]!, 4) +
    cryptB64From24Bit(f[1]!, f[7]!, f[13]!, 4) +
    cryptB64From24Bit(f[2]!, f[8]!, f[14]!, 4) +
    cryptB64From24Bit(f[3]!, f[9]!, f[15]!, 4) +
    cryptB64From24Bit(f[4]!, f[10]!, f[5]!, 4) +
    cryptB64From24Bit(0, 0, f[11]!, 2)
  );
}

const SHA256_ORDER: readonly [number, number, number][] = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
];

const SHA512_ORDER: readonly [number, number, number][] = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

/** Repeats `block` to exactly `length` bytes (Drepper's P and S sequences). */
function stretch(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += block.length) block.copy(out, offset);
  return out;
}

/**
 * The checksum part of a SHA-crypt hash ($5$ sha256 or $6$ sha512). `salt` is the stored
 * salt (at most 16 characters), `rounds` the effective, already clamped round count.
 */
export function shaCryptChecksum(
  algorithm: 'sha256' | 'sha512',
  password: Uint8Array,
  salt: string,
  rounds: number,
): string {
  const size = algorithm === 'sha256' ? 32 : 64;
  const p = Buffer.from(password);
  const s = Buffer.from(salt, 'utf8');
  const h = () => createHash(algorithm);

  const b = h().update(p).update(s).update(p).digest();
  const a = h().update(p).update(s);
  let left = p.length;
  for (; left > size; left -= size) a.update(b);
  a.update(b.subarray(0, left));
  for (let i = p.length; i > 0; i >>= 1) a.update(i & 1 ? b : p);
  let c = a.digest();

  const dp = h();
  for (let i = 0; i < p.length; i++) dp.update(p);
  const pSeq = stretch(dp.digest(), p.length);
  const ds = h();
  for (let i = 0; i < 16 + c[0]!; i++) ds.update(s);
  const sSeq = stretch(ds.digest(), s.length);

  for (let r = 0; r < rounds; r++) {
    const round = h();
    round.update(r & 1 ? pSeq : c);
    if (r % 3) round.update(sSeq);
    if (r % 7) round.update(pSeq);
    round.update(r & 1 ? c : pSeq);
    c = round.digest();
  }

  let out = '';
  if (algorithm === 'sha256') {
    for (const [x, y, z] of SHA256_ORDER) out += cryptB64From24Bit(c[x]!, c[y]!, c[z]!, 4);
    out += cryptB64From24Bit(0, c[31]!, c[30]!, 3);
  } else {
    for (const [x, y, z] of SHA512_ORDER) out += cryptB64From24Bit(c[x]!, c[y]!, c[z]!, 4);
    out += cryptB64From24Bit(0, 0, c[63]!, 2);
  }
  return out;
}

/** phpass's own base-64 of the final md5 (16 bytes to 22 characters). */
function phpassEncode64(input: Buffer): string {
  let out = '';
  let i = 0;
  const count = input.length;
  do {
    let value = input[i++]!;
    out += ITOA64[value & 0x3f];
    if (i < count) value |= input[i]! << 8;
    out += ITOA64[(value >> 6) & 0x3f];
    if (i++ >= count) break;
    if (i < count) value |= input[i]! << 16;
    out += ITOA64[(value >> 12) & 0x3f];
    if (i++ >= count) break;
    out += ITOA64[(value >> 18) & 0x3f];
  } while (i < count);
  return out;
}

/** The checksum part (22 characters) of a phpass portable hash with 2^countLog2 iterations. */
export function phpassChecksum(password: Uint8Array, salt: string, countLog2: number): string {
  const pw = Buffer.from(password);
  let hash = createHash('md5').update(salt, 'utf8').update(pw).digest();
  for (let n = 2 ** countLog2; n > 0; n--) hash = createHash('md5').update(hash).update(pw).digest();
  return phpassEncode64(hash);
}

/**
 * An iterated digest: H(first), then `rounds - 1` times H(previous + suffix). Symfony's
 * MessageDigest (suffix = the salted password), Drupal 7's $S$ (suffix = the password) and
 * Spring's StandardPasswordEncoder (no suffix) are this loop. Resolves the hex digest.
 */
export function iterateDigest(
  algorithm: 'md5' | 'sha1' | 'sha256' | 'sha512',
  first: Uint8Array,
  suffix: Uint8Array,
  rounds: number,
): string {
  let value = createHash(algorithm).update(first).digest();
  for (let i = 1; i < rounds; i++) value = createHash(algorithm).update(value).update(suffix).digest();
  return value.toString('hex');
}

/** A unit of work for the crypt worker. */
export type CryptTask =
  | {
      kind: 'iterate';
      algorithm: 'md5' | 'sha1' | 'sha256' | 'sha512';
      first: Uint8Array;
      suffix: Uint8Array;
      rounds: number;
    }
  | { kind: 'md5-crypt'; password: Uint8Array; salt: string; magic: string }
  | { kind: 'des-crypt'; password: Uint8Array; salt: string }
  | { kind: 'bsdi-crypt'; password: Uint8Array; count: number; salt: number }
  | { kind: 'sha1-crypt'; password: Uint8Array; salt: string; rounds: number }
  | { kind: 'sun-md5'; password: Uint8Array; config: string; rounds: number }
  | { kind: 'yescrypt'; password: Uint8Array; stored: string }
  | { kind: 'sha-crypt'; algorithm: 'sha256' | 'sha512'; password: Uint8Array; salt: string; rounds: number }
  | { kind: 'phpass'; password: Uint8Array; salt: string; countLog2: number };

export function runCryptTask(task: CryptTask): string {
  switch (task.kind) {
    case 'iterate':
      return iterateDigest(task.algorithm, task.first, task.suffix, task.rounds);
    case 'md5-crypt':
      return md5CryptChecksum(task.password, task.salt, task.magic);
    case 'des-crypt':
      return desCrypt(task.password, task.salt);
    case 'bsdi-crypt':
      return bsdiCrypt(task.password, task.count, task.salt);
    case 'sha1-crypt':
      return sha1CryptChecksum(task.password, task.salt, task.rounds);
    case 'sun-md5':
      return sunMd5Checksum(task.password, task.config, task.rounds);
    case 'yescrypt':
      return yescryptHash(task.password, task.stored) ?? '';
    case 'sha-crypt':
      return shaCryptChecksum(task.algorithm, task.password, task.salt, task.rounds);
    case 'phpass':
      return phpassChecksum(task.password, task.salt, task.countLog2);
  }
}
