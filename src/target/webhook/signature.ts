// The webhook's signature, as Stripe and GitHub sign theirs: an HMAC-SHA256 over the
// timestamp and the exact body, sent as `OIDC-Bridge-Signature: t=<unix seconds>,v1=<hex>`.
// The timestamp is signed too, so a captured request cannot be replayed later than the
// receiver's tolerance; docs/targets.md holds the receiver's side of this file.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'OIDC-Bridge-Signature';
export const EVENT_ID_HEADER = 'OIDC-Bridge-Event-Id';
/** How far a receiver lets a signature's timestamp be from its own clock. Seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function mac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

export function signatureHeader(secret: string, body: string, now = Date.now()): string {
  const timestamp = Math.floor(now / 1000);
  return `t=${timestamp},v1=${mac(secret, timestamp, body)}`;
}

/** True when the header signs this body with this secret, within the tolerance. */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  now = Date.now(),
): boolean {
  const parts = new Map(
    (header ?? '').split(',').map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()] as const;
    }),
  );
  const timestamp = Number(parts.get('t'));
  const given = parts.get('v1') ?? '';
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(mac(secret, timestamp, body), 'hex');
  const actual = Buffer.from(/^[0-9a-f]{64}$/.test(given) ? given : '', 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
