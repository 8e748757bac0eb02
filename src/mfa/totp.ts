// TOTP (RFC 6238) on otpauth: new secrets for enrolment, the otpauth:// URI and its QR code
// for an authenticator app, and the check of one code that says which time step it was
// for, so that the caller can refuse a step already used (a replayed code).
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

export interface TotpParams {
  /** Base32, as authenticator apps show it. */
  secret: string;
  digits: number;
  period: number;
  algorithm: 'SHA1' | 'SHA256' | 'SHA512';
}

export const DEFAULT_TOTP = { digits: 6, period: 30, algorithm: 'SHA1' } as const;

/** 160 bits, the size RFC 4226 recommends; every authenticator app reads it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpOf(p: TotpParams, label = '', issuer = ''): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(p.secret),
    digits: p.digits,
    period: p.period,
    algorithm: p.algorithm,
  });
}

export type CodeCheck = { ok: true; step: number } | { ok: false; reason: 'wrong' | 'replayed' };

/**
 * Checks a code against the current time step and `window` steps either side. A code for a
 * step at or before `lastStep` (the newest one accepted before) is refused as replayed.
 */
export function checkTotp(
  p: TotpParams,
  code: string,
  opts: { window: number; lastStep: number | null; now?: number },
): CodeCheck {
  const token = code.replace(/[\s-]/g, '');
  if (!new RegExp(`^\\d{${p.digits}}$`).test(token)) return { ok: false, reason: 'wrong' };
  const totp = totpOf(p);
  const timestamp = opts.now ?? Date.now();
  const delta = totp.validate({ token, timestamp, window: opts.window });
  if (delta === null) return { ok: false, reason: 'wrong' };
  const step = totp.counter({ timestamp }) + delta;
  if (opts.lastStep !== null && step <= opts.lastStep) return { ok: false, reason: 'replayed' };
  return { ok: true, step };
}

/** The code for a moment (tests, and the operator's own checks). */
export function totpCode(p: TotpParams, timestamp = Date.now()): string {
  return totpOf(p).generate({ timestamp });
}

/** What an authenticator app scans: the otpauth:// URI and a QR code of it as inline SVG. */
export async function enrolmentPicture(
  p: TotpParams,
  label: string,
  issuer: string,
): Promise<{ uri: string; svg: string }> {
  const uri = totpOf(p, label, issuer).toString();
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { uri, svg };
}

/** The secret in groups of four, easier to type by hand than one long run of letters. */
export function groupedSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}
