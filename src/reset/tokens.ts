// Reset link tokens: a public selector that finds the row and a secret of 256 random bits
// that proves possession. Only an HMAC-SHA256 of the secret is stored, keyed with the
// store's cookie keys (any current key verifies, so a key rotation does not void links in
// flight), and compared in constant time.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ResetToken {
  selector: string;
  secret: string;
}

const TOKEN_SHAPE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export function newResetToken(): ResetToken & { value: string } {
  const selector = randomBytes(16).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { selector, secret, value: `${selector}.${secret}` };
}

/** Undefined for anything that is not the shape of a token the bridge made. */
export function parseResetToken(value: unknown): ResetToken | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TOKEN_SHAPE.exec(value);
  return m ? { selector: m[1]!, secret: m[2]! } : undefined;
}

export function tokenDigest(key: string, secret: string): string {
  return createHmac('sha256', key).update(`oidc-bridge:password-reset\0${secret}`).digest('hex');
}

export function tokenMatches(keys: string[], secret: string, stored: string): boolean {
  const expected = Buffer.from(stored, 'hex');
  let match = false;
  for (const key of keys) {
    const given = Buffer.from(tokenDigest(key, secret), 'hex');
    // Every key is tried, whatever the outcome, so that timing says nothing of which matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) match = true;
  }
  return match;
}
