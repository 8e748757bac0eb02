// GOST R 34.11-2012 "Streebog" (RFC 6986), 256- and 512-bit, and its HMAC (RFC 7836), for
// gost-yescrypt. Written from the RFC: the Pi substitution, the byte transposition, the linear
// map by matrix A and the twelve round constants, on little-endian 512-bit vectors (byte 0 the
// least significant), the byte order the RFC's own test vectors are hashed in. No npm package
// offers Streebog; three hashes per password check make speed irrelevant, clarity not.

const PI = Uint8Array.from([
  252, 238, 221, 17, 207, 110, 49, 22, 251, 196, 250, 218, 35, 197, 4, 77, 233, 119, 240, 219, 147, 46, 153,
  186, 23, 54, 241, 187, 20, 205, 95, 193, 249, 24, 101, 90, 226, 92, 239, 33, 129, 28, 60, 66, 139, 1, 142,
  79, 5, 132, 2, 174, 227, 106, 143, 160, 6, 11, 237, 152, 127, 212, 211, 31, 235, 52, 44, 81, 234, 200, 72,
  171, 242, 42, 104, 162, 253, 58, 206, 204, 181, 112, 14, 86, 8, 12, 118, 18, 191, 114, 19, 71, 156, 183, 93,
  135, 21, 161, 150, 41, 16, 123, 154, 199, 243, 145, 120, 111, 157, 158, 178, 177, 50, 117, 25, 61, 255, 53,
  138, 126, 109, 84, 198, 128, 195, 189, 13, 87, 223, 245, 36, 169, 62, 168, 67, 201, 215, 121, 214, 246, 124,
  34, 185, 3, 224, 15, 236, 222, 122, 148, 176, 188, 220, 232, 40, 80, 78, 51, 10, 74, 167, 151, 96, 115, 30,
  0, 98, 68, 26, 184, 56, 130, 100, 159, 38, 65, 173, 69, 70, 146, 39, 94, 85, 47, 140, 163, 165, 125, 105,
  213, 149, 59, 7, 88, 179, 64, 134, 172, 29, 247, 48, 55, 107, 228, 136, 217, 231, 137, 225, 27, 131, 73, 76,
  63, 248, 254, 141, 83, 170, 144, 202, 216, 133, 97, 32, 113, 103, 164, 45, 43, 9, 91, 203, 155, 37, 208,
  190, 229, 108, 82, 89, 166, 116, 210, 230, 244, 180, 192, 209, 102, 175, 194, 57, 75, 99, 182,
]);

/** RFC 6986 §6.4: A[0] is the row of the most significant bit. */
const A = [
  0x8e20faa72ba0b470n,
  0x47107ddd9b505a38n,
  0xad08b0e0c3282d1cn,
  0xd8045870ef14980en,
  0x6c022c38f90a4c07n,
  0x3601161cf205268dn,
  0x1b8e0b0e798c13c8n,
  0x83478b07b2468764n,
  0xa011d380818e8f40n,
  0x5086e740ce47c920n,
  0x2843fd2067adea10n,
  0x14aff010bdd87508n,
  0x0ad97808d06cb404n,
  0x05e23c0468365a02n,
  0x8c711e02341b2d01n,
  0x46b60f011a83988en,
  0x90dab52a387ae76fn,
  0x486dd4151c3dfdb9n,
  0x24b86a840e90f0d2n,
  0x125c354207487869n,
  0x092e94218d243cban,
  0x8a174a9ec8121e5dn,
  0x4585254f64090fa0n,
  0xaccc9ca9328a8950n,
  0x9d4df05d5f661451n,
  0xc0a878a0a1330aa6n,
  0x60543c50de970553n,
  0x302a1e286fc58ca7n,
  0x18150f14b9ec46ddn,
  0x0c84890ad27623e0n,
  0x0642ca05693b9f70n,
  0x0321658cba93c138n,
  0x86275df09ce8aaa8n,
  0x439da0784e745554n,
  0xafc0503c273aa42an,
  0xd960281e9d1d5215n,
  0xe230140fc0802984n,
  0x71180a8960409a42n,
  0xb60c05ca30204d21n,
  0x5b068c651810a89en,
  0x456c34887a3805b9n,
  0xac361a443d1c8cd2n,
  0x561b0d22900e4669n,
  0x2b838811480723ban,
  0x9bcf4486248d9f5dn,
  0xc3e9224312c8c1a0n,
  0xeffa11af0964ee50n,
  0xf97d86d98a327728n,
  0xe4fa2054a80b329cn,
  0x727d102a548b194en,
  0x39b008152acb8227n,
  0x9258048415eb419dn,
  0x492c024284fbaec0n,
  0xaa16012142f35760n,
  0x550b8e9e21f7a530n,
  0xa48b474f9ef5dc18n,
  0x70a6a56e2440598en,
  0x3853dc371220a247n,
  0x1ca76e95091051adn,
  0x0edd37c48a08a6d8n,
  0x07e095624504536cn,
  0x8d70c431ac02a736n,
  0xc83862965601dd1bn,
  0x641c314b2b8ee083n,
];

/** RFC 6986 §6.5, written most significant byte first; reversed into little-endian below. */
const C_HEX = [
  'b1085bda1ecadae9ebcb2f81c0657c1f2f6a76432e45d016714eb88d7585c4fc4b7ce09192676901a2422a08a460d31505767436cc744d23dd806559f2a64507',
  '6fa3b58aa99d2f1a4fe39d460f70b5d7f3feea720a232b9861d55e0f16b501319ab5176b12d699585cb561c2db0aa7ca55dda21bd7cbcd56e679047021b19bb7',
  'f574dcac2bce2fc70a39fc286a3d843506f15e5f529c1f8bf2ea7514b1297b7bd3e20fe490359eb1c1c93a376062db09c2b6f443867adb31991e96f50aba0ab2',
  'ef1fdfb3e81566d2f948e1a05d71e4dd488e857e335c3c7d9d721cad685e353fa9d72c82ed03d675d8b71333935203be3453eaa193e837f1220cbebc84e3d12e',
  '4bea6bacad4747999a3f410c6ca923637f151c1f1686104a359e35d7800fffbdbfcd1747253af5a3dfff00b723271a167a56a27ea9ea63f5601758fd7c6cfe57',
  'ae4faeae1d3ad3d96fa4c33b7a3039c02d66c4f95142a46c187f9ab49af08ec6cffaa6b71c9ab7b40af21f66c2bec6b6bf71c57236904f35fa68407a46647d6e',
  'f4c70e16eeaac5ec51ac86febf240954399ec6c7e6bf87c9d3473e33197a93c90992abc52d822c3706476983284a05043517454ca23c4af38886564d3a14d493',
  '9b1f5b424d93c9a703e7aa020c6e41414eb7f8719c36de1e89b4443b4ddbc49af4892bcb929b069069d18d2bd1a5c42f36acc2355951a8d9a47f0dd4bf02e71e',
  '378f5a541631229b944c9ad8ec165fde3a7d3a1b258942243cd955b7e00d0984800a440bdbb2ceb17b2b8a9aa6079c540e38dc92cb1f2a607261445183235adb',
  'abbedea680056f52382ae548b2e4f3f38941e71cff8a78db1fffe18a1b3361039fe76702af69334b7a1e6c303b7652f43698fad1153bb6c374b4c7fb98459ced',
  '7bcd9ed0efc889fb3002c6cd635afe94d8fa6bbbebab076120018021148466798a1d71efea48b9caefbacd1d7d476e98dea2594ac06fd85d6bcaa4cd81f32d1b',
  '378ee767f11631bad21380b00449b17acda43c32bcdf1d77f82012d430219f9b5d80ef9d1891cc86e71da4aa88e12852faf417d5d9b21b9948bc924af11bd720',
];
const C = C_HEX.map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')).reverse());

/** The linear map on one little-endian 64-bit word: bit b contributes row A[63 - b]. */
const L_TABLE: bigint[][] = Array.from({ length: 8 }, (_, k) =>
  Array.from({ length: 256 }, (_, v) => {
    let out = 0n;
    for (let j = 0; j < 8; j++) if ((v >> j) & 1) out ^= A[63 - (8 * k + j)]!;
    return out;
  }),
);

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  for (let i = 0; i < 64; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** L(P(S(x))): substitute each byte, transpose the 8x8 byte matrix, then map each word by A. */
function lps(x: Uint8Array): Uint8Array {
  const p = new Uint8Array(64);
  for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) p[i * 8 + j] = PI[x[j * 8 + i]!]!;
  const out = new Uint8Array(64);
  for (let w = 0; w < 8; w++) {
    let acc = 0n;
    for (let k = 0; k < 8; k++) acc ^= L_TABLE[k]![p[w * 8 + k]!]!;
    for (let k = 0; k < 8; k++) out[w * 8 + k] = Number((acc >> BigInt(8 * k)) & 0xffn);
  }
  return out;
}

/** The compression g_N(h, m) = E(LPS(h xor N), m) xor h xor m. */
function compress(h: Uint8Array, m: Uint8Array, n: Uint8Array): Uint8Array {
  let k: Uint8Array = lps(xor(h, n));
  let state: Uint8Array = m;
  for (let i = 0; i < 12; i++) {
    state = lps(xor(state, k));
    k = lps(xor(k, C[i]!));
  }
  return xor(xor(xor(state, k), h), m);
}

/** a + b mod 2^512, little-endian. */
function add512(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  let carry = 0;
  for (let i = 0; i < 64; i++) {
    const sum = a[i]! + b[i]! + carry;
    out[i] = sum & 0xff;
    carry = sum >> 8;
  }
  return out;
}

function lengthBlock(bits: number): Uint8Array {
  const out = new Uint8Array(64);
  let v = bits;
  for (let i = 0; v > 0 && i < 8; i++) {
    out[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return out;
}

/** Streebog of `message`, 32 or 64 bytes. */
export function streebog(message: Uint8Array, size: 32 | 64): Buffer {
  let h: Uint8Array = new Uint8Array(64).fill(size === 32 ? 1 : 0);
  let n: Uint8Array = new Uint8Array(64);
  let sigma: Uint8Array = new Uint8Array(64);
  let offset = 0;
  for (; message.length - offset >= 64; offset += 64) {
    const block = message.subarray(offset, offset + 64);
    h = compress(h, block, n);
    n = add512(n, lengthBlock(512));
    sigma = add512(sigma, block);
  }
  const rest = message.subarray(offset);
  const last = new Uint8Array(64);
  last.set(rest);
  last[rest.length] = 1;
  h = compress(h, last, n);
  n = add512(n, lengthBlock(rest.length * 8));
  sigma = add512(sigma, last);
  const zero = new Uint8Array(64);
  h = compress(h, n, zero);
  h = compress(h, sigma, zero);
  return Buffer.from(size === 32 ? h.subarray(32) : h);
}

/** HMAC with Streebog-256 (RFC 7836 §4.1.1): the usual construction over 64-byte blocks. */
export function hmacStreebog256(key: Uint8Array, message: Uint8Array): Buffer {
  const k = new Uint8Array(64);
  k.set(key.length > 64 ? streebog(key, 32) : key);
  const inner = Buffer.concat([Buffer.from(k.map((b) => b ^ 0x36)), message]);
  const outer = Buffer.concat([Buffer.from(k.map((b) => b ^ 0x5c)), streebog(inner, 32)]);
  return streebog(outer, 32);
}
