// Recovery codes: random, about 80 bits each, written in four groups of four from an
// alphabet without look-alike characters. Only a keyed digest is stored; a code typed with
// other case, spaces or dashes still matches.
import { createHmac, hkdfSync, randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const LENGTH = 16;

export function newRecoveryCode(): string {
  let s = '';
  for (let i = 0; i < LENGTH; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s.replace(/(.{4})(?=.)/g, '$1-');
}

export function normaliseRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]/g, '');
}

/** True for input shaped like a recovery code rather than an authenticator code. */
export function looksLikeRecoveryCode(input: string): boolean {
  const n = normaliseRecoveryCode(input);
  return n.length === LENGTH && [...n].every((c) => ALPHABET.includes(c));
}

/**
 * The digest stored for a code: HMAC-SHA256 under a key derived from the key encryption key
 * when one is set (a copy of the store alone then proves nothing), else under a fixed label.
 */
export function recoveryCodeDigester(kek: string | undefined): (code: string) => string {
  const key = kek
    ? Buffer.from(hkdfSync('sha256', Buffer.from(kek, 'utf8'), 'oidc-bridge', 'recovery-codes-v1', 32))
    : Buffer.from('oidc-bridge:recovery-codes-v1');
  return (code) => createHmac('sha256', key).update(normaliseRecoveryCode(code)).digest('hex');
}
