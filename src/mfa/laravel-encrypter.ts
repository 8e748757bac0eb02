// Opens values written by Laravel's encrypter (Illuminate\Encryption\Encrypter), as Laravel
// Fortify stores two_factor_secret: base64 of a JSON envelope {iv, value, mac, tag}; AES-CBC
// with an HMAC-SHA256 over iv and value (checked before decrypting), or AES-GCM with its tag.
// encrypt() serializes the value first (PHP serialize of a string); encryptString() does not.
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

/** Why a value would not open. Never carries the value or the key. */
export type LaravelDecryptFailure =
  | 'not_a_payload'
  | 'mac_invalid'
  | 'tag_invalid'
  | 'decrypt_failed'
  | 'not_a_string';

export class LaravelDecryptError extends Error {
  constructor(readonly reason: LaravelDecryptFailure) {
    super(`Laravel payload could not be opened: ${reason}`);
    this.name = 'LaravelDecryptError';
  }
}

/**
 * An APP_KEY as .env holds it: `base64:` and the key's bytes in base64, or the key itself.
 * Undefined when its length fits neither AES-128 (16 bytes) nor AES-256 (32 bytes).
 */
export function parseLaravelKey(appKey: string): Buffer | undefined {
  const trimmed = appKey.trim();
  const key = trimmed.startsWith('base64:')
    ? Buffer.from(trimmed.slice(7), 'base64')
    : Buffer.from(trimmed, 'utf8');
  return key.length === 16 || key.length === 32 ? key : undefined;
}

interface Envelope {
  iv: string;
  value: string;
  mac: string;
  tag?: string;
}

function envelopeOf(payload: string): Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload.trim(), 'base64').toString('utf8'));
  } catch {
    throw new LaravelDecryptError('not_a_payload');
  }
  const e = parsed as Record<string, unknown> | null;
  if (
    !e ||
    typeof e !== 'object' ||
    typeof e.iv !== 'string' ||
    typeof e.value !== 'string' ||
    typeof e.mac !== 'string' ||
    (e.tag !== undefined && e.tag !== null && typeof e.tag !== 'string')
  ) {
    throw new LaravelDecryptError('not_a_payload');
  }
  return { iv: e.iv, value: e.value, mac: e.mac, ...(typeof e.tag === 'string' ? { tag: e.tag } : {}) };
}

function macValid(e: Envelope, key: Buffer): boolean {
  const expected = Buffer.from(
    createHmac('sha256', key)
      .update(e.iv + e.value)
      .digest('hex'),
  );
  const given = Buffer.from(e.mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function decryptWith(e: Envelope, key: Buffer, iv: Buffer, tag: Buffer | undefined): Buffer | undefined {
  const bits = key.length * 8;
  try {
    const decipher = tag
      ? createDecipheriv(`aes-${bits}-gcm`, key, iv)
      : createDecipheriv(`aes-${bits}-cbc`, key, iv);
    if (tag)
      (decipher as ReturnType<typeof createDecipheriv> & { setAuthTag(t: Buffer): void }).setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(e.value, 'base64')), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** PHP's serialize() of a string is s:LENGTH:"BYTES"; — anything else is not a string value. */
function unserializeString(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1');
  const m = /^s:(\d+):"/.exec(text);
  if (!m) throw new LaravelDecryptError('not_a_string');
  const length = Number(m[1]);
  const start = m[0].length;
  if (text.length !== start + length + 2 || text.slice(start + length) !== '";')
    throw new LaravelDecryptError('not_a_string');
  return bytes.subarray(start, start + length);
}

/**
 * The plain bytes of a Laravel payload, tried with each key in turn (APP_KEY, then its
 * previous keys), as Laravel does. A serialized string is unserialized; a value written
 * with encryptString() is returned as it is.
 */
export function laravelDecrypt(payload: string, keys: Buffer[]): Buffer {
  const e = envelopeOf(payload);
  const iv = Buffer.from(e.iv, 'base64');
  const tag = e.tag ? Buffer.from(e.tag, 'base64') : undefined;
  const aead = tag !== undefined;
  if (aead && tag.length !== 16) throw new LaravelDecryptError('tag_invalid');
  if (iv.length !== (aead ? 12 : 16)) throw new LaravelDecryptError('not_a_payload');
  let anyMac = false;
  for (const key of keys) {
    if (!aead) {
      if (!macValid(e, key)) continue;
      anyMac = true;
    }
    const plain = decryptWith(e, key, iv, tag);
    if (plain === undefined) continue;
    return /^s:\d+:"/.test(plain.subarray(0, 24).toString('latin1')) ? unserializeString(plain) : plain;
  }
  throw new LaravelDecryptError(aead || anyMac ? 'decrypt_failed' : 'mac_invalid');
}
