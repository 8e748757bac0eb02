// Decoders for the encodings stored hashes use: hex, standard base64 (padded or not),
// passlib's "ab64" and the crypt(3) base-64 alphabet. Strict: a decoder returns undefined
// for anything that is not cleanly in its encoding, so detection never guesses.

const HEX_RE = /^[0-9a-fA-F]*$/;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const AB64_RE = /^[A-Za-z0-9./]*$/;

/** crypt(3)'s alphabet ("itoa64"), shared by md5-crypt, SHA-crypt and phpass. */
export const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function decodeHex(text: string): Buffer | undefined {
  if (text.length % 2 !== 0 || !HEX_RE.test(text)) return undefined;
  return Buffer.from(text, 'hex');
}

/** Standard base64 with or without `=` padding; undefined for other characters or lengths. */
export function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64_RE.test(text)) return undefined;
  const bare = text.replace(/=+$/, '');
  if (bare.length % 4 === 1) return undefined;
  if (text.length !== bare.length && text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(bare, 'base64');
  // Canonical only: unused trailing bits must be zero, as every encoder writes them.
  return bytes.toString('base64').replace(/=+$/, '') === bare ? bytes : undefined;
}

/** passlib's "adapted base64": `.` instead of `+`, no padding. */
export function decodeAb64(text: string): Buffer | undefined {
  if (!AB64_RE.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text.replaceAll('.', '+'), 'base64');
}

/** Unpadded standard base64, as PHC strings carry salts and hashes. */
export function encodeBase64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/**
 * Decodes a digest of `size` bytes written in hex (any case) or base64 (padded or not).
 * Undefined when the text is neither.
 */
export function decodeDigest(text: string, size: number): Buffer | undefined {
  if (text.length === size * 2) {
    const hex = decodeHex(text);
    if (hex) return hex;
  }
  const b64 = decodeBase64(text);
  if (b64 && b64.length === size && text.length === base64Length(size, text.endsWith('='))) return b64;
  return undefined;
}

function base64Length(size: number, padded: boolean): number {
  return padded ? Math.ceil(size / 3) * 4 : Math.ceil((size * 4) / 3);
}

/** crypt(3)-style base-64 of a 24-bit group, least significant 6 bits first. */
export function cryptB64From24Bit(b2: number, b1: number, b0: number, chars: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < chars; i++) {
    out += ITOA64[w & 0x3f];
    w >>>= 6;
  }
  return out;
}
