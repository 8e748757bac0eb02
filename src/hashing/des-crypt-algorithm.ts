// DES-based crypt(3), written from the DES standard (FIPS 46-3) and the crypt(3) salting
// rule (salt bit i swaps bits i and i+24 of the E expansion): traditional crypt (2-character
// salt, 25 encryptions of a zero block, 8 password characters) and BSDi's extended form
// (`_`, 24-bit count and salt, every password character folded in). Bits are kept as arrays
// for clarity; one DES block costs microseconds, and the loop runs on a worker thread.

import { ITOA64 } from './encoding.ts';

const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40,
  32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5,
  63, 55, 47, 39, 31, 23, 15, 7,
];
const FP = [
  40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31, 38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13,
  53, 21, 61, 29, 36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27, 34, 2, 42, 10, 50, 18, 58, 26,
  33, 1, 41, 9, 49, 17, 57, 25,
];
const E = [
  32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20, 21,
  20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
];
const P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22,
  11, 4, 25,
];
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47,
  55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
const S = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3,
    8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6,
    13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11,
    5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5,
    14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15,
    1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2,
    12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14,
    9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2,
    14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8,
    6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4,
    5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3,
    8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8,
    13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8,
    6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3,
    12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9,
    2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6,
    11,
  ],
];

type Bits = Uint8Array;

const permute = (input: Bits, table: readonly number[]): Bits => Uint8Array.from(table, (p) => input[p - 1]!);

function bitsOf(bytes: Uint8Array): Bits {
  const bits = new Uint8Array(bytes.length * 8);
  for (let i = 0; i < bits.length; i++) bits[i] = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  return bits;
}

function bytesOf(bits: Bits): Uint8Array {
  const bytes = new Uint8Array(bits.length / 8);
  for (let i = 0; i < bits.length; i++) bytes[i >> 3]! |= bits[i]! << (7 - (i & 7));
  return bytes;
}

function subkeys(key: Uint8Array): Bits[] {
  const cd = permute(bitsOf(key), PC1);
  let c = Array.from(cd.subarray(0, 28));
  let d = Array.from(cd.subarray(28));
  return SHIFTS.map((s) => {
    c = [...c.slice(s), ...c.slice(0, s)];
    d = [...d.slice(s), ...d.slice(0, s)];
    return permute(Uint8Array.from([...c, ...d]), PC2);
  });
}

/** `count` DES encryptions of `block` under the key schedule, with the crypt(3) salt swap. */
function encrypt(block: Bits, keys: Bits[], salt: number, count: number): Bits {
  let state = permute(block, IP);
  for (let n = 0; n < count; n++) {
    let l = state.subarray(0, 32);
    let r = state.subarray(32);
    for (const k of keys) {
      const e = permute(r, E);
      for (let i = 0; i < 24; i++) {
        if ((salt >> i) & 1) {
          const t = e[i]!;
          e[i] = e[i + 24]!;
          e[i + 24] = t;
        }
      }
      const f = new Uint8Array(32);
      for (let box = 0; box < 8; box++) {
        const x = (j: number) => e[box * 6 + j]! ^ k[box * 6 + j]!;
        const row = (x(0) << 1) | x(5);
        const col = (x(1) << 3) | (x(2) << 2) | (x(3) << 1) | x(4);
        const v = S[box]![row * 16 + col]!;
        for (let j = 0; j < 4; j++) f[box * 4 + j] = (v >> (3 - j)) & 1;
      }
      const pf = permute(f, P);
      const next = Uint8Array.from(l, (bit, i) => bit ^ pf[i]!);
      l = r;
      r = next;
    }
    state = Uint8Array.from([...r, ...l]);
  }
  return permute(state, FP);
}

const index = (c: string) => ITOA64.indexOf(c);

/** The 64-bit result and two zero bits in crypt's big-endian base-64: 11 characters. */
function encodeResult(bits: Bits): string {
  const all = [...bits, 0, 0];
  let out = '';
  for (let i = 0; i < 66; i += 6) {
    let v = 0;
    for (let j = 0; j < 6; j++) v = (v << 1) | all[i + j]!;
    out += ITOA64[v];
  }
  return out;
}

/** A password's first 8 bytes, each shifted left by one: DES ignores the low bit. */
function keyBlock(bytes: Uint8Array): Uint8Array {
  const key = new Uint8Array(8);
  for (let i = 0; i < 8 && i < bytes.length; i++) key[i] = (bytes[i]! << 1) & 0xff;
  return key;
}

/** Traditional DES crypt: 2 salt characters and 11 of checksum. */
export function desCrypt(password: Uint8Array, salt: string): string {
  const saltBits = index(salt[0]!) | (index(salt[1]!) << 6);
  const result = encrypt(new Uint8Array(64), subkeys(keyBlock(password)), saltBits, 25);
  return encodeResult(result);
}

/** BSDi extended DES crypt: `_` + 4 characters of count, 4 of salt; the checksum. */
export function bsdiCrypt(password: Uint8Array, count: number, salt: number): string {
  let key = keyBlock(password);
  for (let offset = 8; offset < password.length; offset += 8) {
    // Encrypt the key with itself, then fold in the next 8 characters.
    key = bytesOf(encrypt(bitsOf(key), subkeys(key), 0, 1));
    for (let i = 0; i < 8 && offset + i < password.length; i++)
      key[i]! ^= (password[offset + i]! << 1) & 0xff;
  }
  return encodeResult(encrypt(new Uint8Array(64), subkeys(key), salt, count));
}

/** A 24-bit little-endian value from 4 itoa64 characters. */
export function decode24(text: string): number {
  let value = 0;
  for (let i = 0; i < 4; i++) value |= index(text[i]!) << (6 * i);
  return value;
}
