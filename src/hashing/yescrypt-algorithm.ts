// yescrypt (Solar Designer's scrypt revision, the Linux shadow default since Debian 11 and
// Ubuntu 22.04), written from the reference specification (openwall yescrypt-ref.c and
// yescrypt-common.c): the $y$ parameter and salt encoding, the pre-hash pass for large N,
// Salsa20/8 BlockMix for the S-boxes, pwxform BlockMix with its read-write second loop, and
// the SCRAM-style ClientKey/StoredKey finish. Words are kept in the reference's "SIMD
// shuffled" order, since pwxform reads them in that order. Runs on a worker thread.

import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { ITOA64 } from './encoding.ts';
import { hmacStreebog256, streebog } from './streebog.ts';

const YESCRYPT_RW = 0x002;
const YESCRYPT_PREHASH = 0x10000000;
/** The only pwxform flavour the reference defines: 6 rounds, gather 4, simple 2, 12 KiB S-boxes. */
const YESCRYPT_DEFAULTS = 0x0b6;

const PWX_SIMPLE = 2;
const PWX_GATHER = 4;
const PWX_ROUNDS = 6;
const S_WIDTH = 8;
const PWX_WORDS = (PWX_GATHER * PWX_SIMPLE * 8) / 4; // 16
const S_BYTES = 3 * (1 << S_WIDTH) * PWX_SIMPLE * 8; // 12288
const S_WORDS = S_BYTES / 4;
const S_MASK = ((1 << S_WIDTH) - 1) * PWX_SIMPLE * 8; // 4080
const S_PAIRS = (1 << S_WIDTH) * PWX_SIMPLE; // pairs of words per S-box

export interface YescryptParams {
  flags: number;
  N: number;
  r: number;
  p: number;
  t: number;
}

const atoi64 = (c: string | undefined) =>
  c === undefined ? 64 : ITOA64.indexOf(c) === -1 ? 64 : ITOA64.indexOf(c);

/** yescrypt's variable-length integer encoding; resolves the value and the rest of the text. */
export function decode64Uint32(text: string, min: number): { value: number; rest: string } | undefined {
  let c = atoi64(text[0]);
  if (c > 63) return undefined;
  let start = 0;
  let end = 47;
  let chars = 1;
  let bits = 0;
  let value = min;
  while (c > end) {
    value += (end + 1 - start) * 2 ** bits;
    start = end + 1;
    end = start + Math.floor((62 - end) / 2);
    chars++;
    bits += 6;
  }
  value += (c - start) * 2 ** bits;
  let pos = 1;
  while (--chars) {
    c = atoi64(text[pos++]);
    if (c > 63) return undefined;
    bits -= 6;
    value += c * 2 ** bits;
  }
  return { value, rest: text.slice(pos) };
}

/** yescrypt's little-endian base-64 of bytes (the salt and the hash). */
export function decode64Bytes(text: string): Buffer | undefined {
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 4) {
    const group = text.slice(i, i + 4);
    let value = 0;
    for (let j = 0; j < group.length; j++) {
      const c = atoi64(group[j]);
      if (c > 63) return undefined;
      value += c * 2 ** (6 * j);
    }
    let bits = 6 * group.length;
    if (bits < 12) return undefined;
    while (bits >= 8) {
      out.push(value & 0xff);
      value = Math.floor(value / 256);
      bits -= 8;
    }
    if (value) return undefined;
  }
  return Buffer.from(out);
}

export function encode64Bytes(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    let value = 0;
    let bits = 0;
    do {
      value += bytes[i++]! * 2 ** bits;
      bits += 8;
    } while (bits < 24 && i < bytes.length);
    for (let b = 0; b < bits; b += 6) {
      out += ITOA64[value & 0x3f];
      value = Math.floor(value / 64);
    }
  }
  return out;
}

/** Parses the `$y$` parameter string (after `$y$`, before the salt); undefined when malformed. */
export function parseYescryptParams(text: string): { params: YescryptParams; rest: string } | undefined {
  const flavor = decode64Uint32(text, 0);
  if (!flavor) return undefined;
  let flags: number;
  if (flavor.value < YESCRYPT_RW) flags = flavor.value;
  else if (flavor.value <= YESCRYPT_RW + (0x3fc >> 2))
    flags = YESCRYPT_RW + ((flavor.value - YESCRYPT_RW) << 2);
  else return undefined;
  const nLog2 = decode64Uint32(flavor.rest, 1);
  if (!nLog2 || nLog2.value > 63) return undefined;
  const r = decode64Uint32(nLog2.rest, 1);
  if (!r) return undefined;
  const params: YescryptParams = { flags, N: 2 ** nLog2.value, r: r.value, p: 1, t: 0 };
  let rest = r.rest;
  if (rest[0] !== '$') {
    const have = decode64Uint32(rest, 1);
    if (!have || have.value > 3) return undefined; // g (upgrades) and ROMs are not supported
    rest = have.rest;
    if (have.value & 1) {
      const p = decode64Uint32(rest, 2);
      if (!p) return undefined;
      params.p = p.value;
      rest = p.rest;
    }
    if (have.value & 2) {
      const t = decode64Uint32(rest, 1);
      if (!t) return undefined;
      params.t = t.value;
      rest = t.rest;
    }
  }
  if (rest[0] !== '$') return undefined;
  return { params, rest: rest.slice(1) };
}

function salsa20(B: Uint32Array, offset: number, rounds: number): void {
  const x = new Uint32Array(16);
  for (let i = 0; i < 16; i++) x[(i * 5) % 16] = B[offset + i]!;
  const R = (a: number, b: number) => (a << b) | (a >>> (32 - b));
  for (let i = 0; i < rounds; i += 2) {
    x[4]! ^= R((x[0]! + x[12]!) | 0, 7);
    x[8]! ^= R((x[4]! + x[0]!) | 0, 9);
    x[12]! ^= R((x[8]! + x[4]!) | 0, 13);
    x[0]! ^= R((x[12]! + x[8]!) | 0, 18);
    x[9]! ^= R((x[5]! + x[1]!) | 0, 7);
    x[13]! ^= R((x[9]! + x[5]!) | 0, 9);
    x[1]! ^= R((x[13]! + x[9]!) | 0, 13);
    x[5]! ^= R((x[1]! + x[13]!) | 0, 18);
    x[14]! ^= R((x[10]! + x[6]!) | 0, 7);
    x[2]! ^= R((x[14]! + x[10]!) | 0, 9);
    x[6]! ^= R((x[2]! + x[14]!) | 0, 13);
    x[10]! ^= R((x[6]! + x[2]!) | 0, 18);
    x[3]! ^= R((x[15]! + x[11]!) | 0, 7);
    x[7]! ^= R((x[3]! + x[15]!) | 0, 9);
    x[11]! ^= R((x[7]! + x[3]!) | 0, 13);
    x[15]! ^= R((x[11]! + x[7]!) | 0, 18);
    x[1]! ^= R((x[0]! + x[3]!) | 0, 7);
    x[2]! ^= R((x[1]! + x[0]!) | 0, 9);
    x[3]! ^= R((x[2]! + x[1]!) | 0, 13);
    x[0]! ^= R((x[3]! + x[2]!) | 0, 18);
    x[6]! ^= R((x[5]! + x[4]!) | 0, 7);
    x[7]! ^= R((x[6]! + x[5]!) | 0, 9);
    x[4]! ^= R((x[7]! + x[6]!) | 0, 13);
    x[5]! ^= R((x[4]! + x[7]!) | 0, 18);
    x[11]! ^= R((x[10]! + x[9]!) | 0, 7);
    x[8]! ^= R((x[11]! + x[10]!) | 0, 9);
    x[9]! ^= R((x[8]! + x[11]!) | 0, 13);
    x[10]! ^= R((x[9]! + x[8]!) | 0, 18);
    x[12]! ^= R((x[15]! + x[14]!) | 0, 7);
    x[13]! ^= R((x[12]! + x[15]!) | 0, 9);
    x[14]! ^= R((x[13]! + x[12]!) | 0, 13);
    x[15]! ^= R((x[14]! + x[13]!) | 0, 18);
  }
  for (let i = 0; i < 16; i++) B[offset + i] = (B[offset + i]! + x[(i * 5) % 16]!) >>> 0;
}

function blockmixSalsa8(B: Uint32Array, Y: Uint32Array, r: number): void {
  const X = B.slice((2 * r - 1) * 16, 2 * r * 16);
  for (let i = 0; i < 2 * r; i++) {
    for (let k = 0; k < 16; k++) X[k]! ^= B[i * 16 + k]!;
    salsa20(X, 0, 8);
    Y.set(X, i * 16);
  }
  for (let i = 0; i < r; i++) B.set(Y.subarray(i * 32, i * 32 + 16), i * 16);
  for (let i = 0; i < r; i++) B.set(Y.subarray(i * 32 + 16, i * 32 + 32), (i + r) * 16);
}

interface Pwxform {
  S: Uint32Array;
  s0: number;
  s1: number;
  s2: number;
  w: number;
}

const TWO32 = 4294967296;

/** pwxform over one 64-byte block of X at `offset`, with the 64-bit multiply done in doubles. */
function pwxform(X: Uint32Array, offset: number, ctx: Pwxform): void {
  const S = ctx.S;
  let { w } = ctx;
  const s0 = ctx.s0;
  const s1 = ctx.s1;
  const s2 = ctx.s2;
  for (let i = 0; i < PWX_ROUNDS; i++) {
    for (let j = 0; j < PWX_GATHER; j++) {
      const base = offset + j * PWX_SIMPLE * 2;
      const p0 = s0 + ((X[base]! & S_MASK) >>> 3) * 2;
      const p1 = s1 + ((X[base + 1]! & S_MASK) >>> 3) * 2;
      for (let k = 0; k < PWX_SIMPLE; k++) {
        const xl = X[base + 2 * k]!;
        const xh = X[base + 2 * k + 1]!;
        // x = xh * xl (a 64-bit product, from 16-bit halves) + S0[p0][k], then ^ S1[p1][k]
        const a0 = xh & 0xffff;
        const a1 = xh >>> 16;
        const b0 = xl & 0xffff;
        const b1 = xl >>> 16;
        const p01 = a0 * b1;
        const p10 = a1 * b0;
        const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
        const hi = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
        const lo = (Math.imul(xh, xl) >>> 0) + S[p0 + 2 * k]!;
        const sumHi = hi + S[p0 + 2 * k + 1]! + (lo >= TWO32 ? 1 : 0);
        const resLo = (lo ^ S[p1 + 2 * k]!) >>> 0;
        const resHi = (sumHi ^ S[p1 + 2 * k + 1]!) >>> 0;
        X[base + 2 * k] = resLo;
        X[base + 2 * k + 1] = resHi;
        if (i !== 0 && i !== PWX_ROUNDS - 1) {
          S[s2 + 2 * w] = resLo;
          S[s2 + 2 * w + 1] = resHi;
          w++;
        }
      }
    }
  }
  ctx.s0 = s2;
  ctx.s1 = s0;
  ctx.s2 = s1;
  ctx.w = w & (S_PAIRS - 1);
}

function blockmixPwxform(B: Uint32Array, ctx: Pwxform, r: number): void {
  const r1 = (128 * r) / (PWX_WORDS * 4);
  const Y = B.slice((r1 - 1) * PWX_WORDS, r1 * PWX_WORDS);
  for (let i = 0; i < r1; i++) {
    if (r1 > 1) for (let k = 0; k < PWX_WORDS; k++) Y[k]! ^= B[i * PWX_WORDS + k]!;
    pwxform(Y, 0, ctx);
    B.set(Y, i * PWX_WORDS);
  }
  let i = Math.floor(((r1 - 1) * PWX_WORDS * 4) / 64);
  salsa20(B, i * 16, 2);
  for (i++; i < 2 * r; i++) {
    for (let k = 0; k < 16; k++) B[i * 16 + k]! ^= B[(i - 1) * 16 + k]!;
    salsa20(B, i * 16, 2);
  }
}

/** The low 32 bits of Integerify: every use reduces it modulo a power of two of at most 2^32. */
function integerify(X: Uint32Array, r: number): number {
  return X[(2 * r - 1) * 16]!;
}

const p2floor = (x: number) => 2 ** Math.floor(Math.log2(x));

function wrap(x: number, i: number): number {
  const n = p2floor(i);
  return (x & (n - 1)) + (i - n);
}

function toShuffled(B: Uint32Array, offset: number, r: number): Uint32Array {
  const X = new Uint32Array(32 * r);
  for (let k = 0; k < 2 * r; k++)
    for (let i = 0; i < 16; i++) X[k * 16 + i] = B[offset + k * 16 + ((i * 5) % 16)]!;
  return X;
}

function fromShuffled(X: Uint32Array, B: Uint32Array, offset: number, r: number): void {
  for (let k = 0; k < 2 * r; k++)
    for (let i = 0; i < 16; i++) B[offset + k * 16 + ((i * 5) % 16)] = X[k * 16 + i]!;
}

function mix(X: Uint32Array, r: number, ctx: Pwxform | undefined, Y: Uint32Array): void {
  if (ctx) blockmixPwxform(X, ctx, r);
  else blockmixSalsa8(X, Y, r);
}

function smix1(
  B: Uint32Array,
  bOffset: number,
  r: number,
  N: number,
  rw: boolean,
  V: Uint32Array,
  vOffset: number,
  ctx: Pwxform | undefined,
): void {
  const s = 32 * r;
  const X = toShuffled(B, bOffset, r);
  const Y = new Uint32Array(s);
  for (let i = 0; i < N; i++) {
    V.set(X, vOffset + i * s);
    if (rw && i > 1) {
      const j = wrap(integerify(X, r), i);
      for (let k = 0; k < s; k++) X[k]! ^= V[vOffset + j * s + k]!;
    }
    mix(X, r, ctx, Y);
  }
  fromShuffled(X, B, bOffset, r);
}

function smix2(
  B: Uint32Array,
  bOffset: number,
  r: number,
  N: number,
  Nloop: number,
  rw: boolean,
  V: Uint32Array,
  vOffset: number,
  ctx: Pwxform | undefined,
): void {
  const s = 32 * r;
  const X = toShuffled(B, bOffset, r);
  const Y = new Uint32Array(s);
  for (let i = 0; i < Nloop; i++) {
    const j = integerify(X, r) & (N - 1);
    const at = vOffset + j * s;
    for (let k = 0; k < s; k++) X[k]! ^= V[at + k]!;
    if (rw) V.set(X, at);
    mix(X, r, ctx, Y);
  }
  fromShuffled(X, B, bOffset, r);
}

const hmacSha256 = (key: Uint8Array, data: Uint8Array | string) =>
  createHmac('sha256', key).update(data).digest();

function wordsOf(bytes: Buffer): Uint32Array {
  const words = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < words.length; i++) words[i] = bytes.readUInt32LE(i * 4);
  return words;
}

function bytesOf(words: Uint32Array): Buffer {
  const bytes = Buffer.alloc(words.length * 4);
  for (let i = 0; i < words.length; i++) bytes.writeUInt32LE(words[i]!, i * 4);
  return bytes;
}

function kdfBody(password: Buffer, salt: Buffer, params: YescryptParams, length: number): Buffer {
  const { flags, N, r, p, t } = params;
  const rw = (flags & YESCRYPT_RW) !== 0;
  let passwd = password;
  if (flags) {
    const key = flags & YESCRYPT_PREHASH ? 'yescrypt-prehash' : 'yescrypt';
    passwd = hmacSha256(Buffer.from(key, 'latin1'), passwd);
  }
  const B = wordsOf(pbkdf2Sync(passwd, salt, 1, 128 * r * p, 'sha256'));
  let sha256 = flags ? bytesOf(B.subarray(0, 8)) : passwd;
  const s = 32 * r;
  const V = new Uint32Array(s * N);
  if (rw) {
    let nloopAll = Math.floor(N / p);
    if (t <= 1) {
      if (t) nloopAll *= 2;
      nloopAll = Math.floor((nloopAll + 2) / 3);
    } else nloopAll *= t - 1;
    let nloopRw = Math.floor(nloopAll / p);
    const nchunk = Math.floor(N / p) & ~1;
    nloopAll = (nloopAll + 1) & ~1;
    nloopRw = (nloopRw + 1) & ~1;
    const ctxs: Pwxform[] = [];
    for (let i = 0, vchunk = 0; i < p; i++, vchunk += nchunk) {
      const np = i < p - 1 ? nchunk : N - vchunk;
      const S = new Uint32Array(S_WORDS);
      const bOffset = i * s;
      smix1(B, bOffset, 1, S_BYTES / 128, false, S, 0, undefined);
      const ctx: Pwxform = { S, s2: 0, s1: S_PAIRS * 2, s0: S_PAIRS * 4, w: 0 };
      ctxs.push(ctx);
      if (i === 0) sha256 = hmacSha256(bytesOf(B.subarray(bOffset + s - 16, bOffset + s)), sha256);
      smix1(B, bOffset, r, np, true, V, vchunk * s, ctx);
      smix2(B, bOffset, r, p2floor(np), nloopRw, true, V, vchunk * s, ctx);
    }
    for (let i = 0; i < p; i++) smix2(B, i * s, r, N, nloopAll - nloopRw, false, V, 0, ctxs[i]);
  } else {
    for (let i = 0; i < p; i++) {
      smix1(B, i * s, r, N, false, V, 0, undefined);
      smix2(B, i * s, r, N, N, false, V, 0, undefined);
    }
  }
  const out = pbkdf2Sync(flags ? sha256 : passwd, bytesOf(B), 1, Math.max(length, 32), 'sha256');
  if (flags && !(flags & YESCRYPT_PREHASH)) {
    const clientKey = hmacSha256(out.subarray(0, 32), 'Client Key');
    return createHash('sha256').update(clientKey).digest().subarray(0, length);
  }
  return out.subarray(0, length);
}

/** yescrypt_kdf: the pre-hash pass for large N, then the body; 32 bytes. */
export function yescryptKdf(password: Uint8Array, salt: Uint8Array, params: YescryptParams): Buffer {
  let passwd: Buffer = Buffer.from(password);
  const { flags, N, r, p } = params;
  if (flags & YESCRYPT_RW && p >= 1 && N / p >= 0x100 && (N / p) * r >= 0x20000) {
    passwd = kdfBody(
      passwd,
      Buffer.from(salt),
      { ...params, flags: flags | YESCRYPT_PREHASH, N: N / 64, t: 0 },
      32,
    );
  }
  return kdfBody(passwd, Buffer.from(salt), params, 32);
}

/**
 * The full `$y$` hash string for a password and a stored setting, or undefined when malformed;
 * `$gy$` (gost-yescrypt, libxcrypt's crypt-gost-yescrypt.c) wraps the yescrypt result in
 * HMAC-Streebog-256 keyed by HMAC-Streebog-256(Streebog-256(password), setting).
 */
export function yescryptHash(password: Uint8Array, stored: string): string | undefined {
  const gost = stored.startsWith('$gy$');
  if (!gost && !stored.startsWith('$y$')) return undefined;
  const parsed = parseYescryptParams(stored.slice(gost ? 4 : 3));
  if (!parsed) return undefined;
  const end = parsed.rest.lastIndexOf('$');
  const saltText = end === -1 ? parsed.rest : parsed.rest.slice(0, end);
  const salt = decode64Bytes(saltText);
  if (!salt) return undefined;
  let hash = yescryptKdf(password, salt, parsed.params);
  const prefix = stored.slice(0, stored.length - parsed.rest.length) + saltText;
  if (gost) {
    const key = hmacStreebog256(streebog(password, 32), Buffer.from(prefix, 'latin1'));
    hash = hmacStreebog256(key, hash);
  }
  return `${prefix}$${encode64Bytes(hash)}`;
}

export const YESCRYPT_FLAGS_DEFAULT = YESCRYPT_DEFAULTS;
