// The commerce platform's password form, `{algorithm}${salt}${hash}`: hash = hex(algorithm(
// salt + password)) with md5, sha1 or sha256, the salt empty when there is none. Made from a
// plain password at login, taken from a digest hash at import, checked as the platform's
// "Control" step checks it, or made unusable for users sent without a password.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { DigestForm } from '../../hashing/types.ts';

export type CommerceAlgorithm = DigestForm['algorithm'];
export const COMMERCE_ALGORITHMS: readonly CommerceAlgorithm[] = ['md5', 'sha1', 'sha256'];

export const HEX_LENGTH: Record<CommerceAlgorithm, number> = { md5: 32, sha1: 40, sha256: 64 };

const SALT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** 12 alphanumeric characters, as Django's get_random_string(12) makes its salts. */
export function randomSalt(length = 12): string {
  let salt = '';
  // randomInt rather than a byte modulo: no bias toward the first characters.
  for (let i = 0; i < length; i++) salt += SALT_CHARS[randomInt(SALT_CHARS.length)];
  return salt;
}

function digestHex(algorithm: CommerceAlgorithm, salt: string, password: string): string {
  return createHash(algorithm)
    .update(salt + password, 'utf8')
    .digest('hex');
}

export function formatPassword(form: DigestForm): string {
  return `${form.algorithm}$${form.salt}$${form.hash.toLowerCase()}`;
}

/** The form of a plain password, with a fresh salt: hash = algorithm(salt + password). */
export function passwordFromPlain(password: string, algorithm: CommerceAlgorithm): string {
  const salt = randomSalt();
  return formatPassword({ algorithm, salt, hash: digestHex(algorithm, salt, password) });
}

export const PASSWORD_FORM = /^(md5|sha1|sha256)\$([^$]*)\$([0-9a-f]+)$/;

/** Splits a stored form; undefined when it is not in the user-import form. */
export function parsePassword(stored: string): DigestForm | undefined {
  const m = PASSWORD_FORM.exec(stored);
  if (!m) return undefined;
  const algorithm = m[1] as CommerceAlgorithm;
  if (m[3]!.length !== HEX_LENGTH[algorithm]) return undefined;
  return { algorithm, salt: m[2]!, hash: m[3]! };
}

/** What the platform does at its "Control" step. Constant-time; false for a malformed form. */
export function verifyPassword(password: string, stored: string): boolean {
  const form = parsePassword(stored);
  if (!form) return false;
  const actual = Buffer.from(digestHex(form.algorithm, form.salt, password), 'utf8');
  const expected = Buffer.from(form.hash, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A password nobody knows: a valid form over random bytes. For users sent without their
 * password (the import guide's "Forgot Password" path): the platform accepts the record, and
 * no password can ever match it.
 */
export function unusablePassword(algorithm: CommerceAlgorithm): string {
  return formatPassword({
    algorithm,
    salt: randomSalt(),
    hash: randomBytes(HEX_LENGTH[algorithm] / 2).toString('hex'),
  });
}

/** `sha1$ab12…$3f9c…` → `sha1$<salt: 4 chars>$<hash: 40 hex>`: the shape, never the value. */
export function maskPassword(password: string): string {
  const [algorithm, salt = '', hash = ''] = password.split('$');
  return `${algorithm}$${salt ? `<salt: ${salt.length} chars>` : ''}$<hash: ${hash.length} hex>`;
}
