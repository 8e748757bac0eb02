// Authentication context: which acr a sign-in reached, which amr values (RFC 8176) say how,
// and whether a request asks for more than the session has. aal1 is one factor, aal2 two
// (NIST SP 800-63B); a relying party may also ask with the PAPE policy URIs it used
// elsewhere (multi-factor, or phishing-resistant, which only a passkey meets).
import type { Config } from '../config/schema.ts';

export const ACR = {
  oneFactor: 'aal1',
  twoFactors: 'aal2',
  multiFactor: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
  phishingResistant: 'http://schemas.openid.net/pape/policies/2007/06/phishing-resistant',
} as const;

export const ACR_VALUES: string[] = Object.values(ACR);

/** What one sign-in proved: the amr values, in the order the factors were used. */
export type Amr = string[];

export const AMR: { password: Amr; passkey(userVerified: boolean): Amr } = {
  password: ['pwd'],
  passkey: (userVerified) => (userVerified ? ['hwk', 'user', 'mfa'] : ['hwk', 'user']),
};

/** Adds the second factor to what the first one proved. */
export function withSecondFactor(first: Amr, second: 'otp' | 'passkey'): Amr {
  const add = second === 'otp' ? ['otp'] : ['hwk', 'user'];
  return [...new Set([...first, ...add, 'mfa'])];
}

export function isMultiFactor(amr: Amr | undefined): boolean {
  return amr?.includes('mfa') === true;
}

function satisfies(acr: string, amr: Amr | undefined): boolean {
  switch (acr) {
    case ACR.oneFactor:
      return true;
    case ACR.twoFactors:
    case ACR.multiFactor:
      return isMultiFactor(amr);
    case ACR.phishingResistant:
      return isMultiFactor(amr) && amr?.includes('hwk') === true;
    default:
      return false;
  }
}

/** The values a request asked for among those the bridge knows (acr_values, default_acr_values, claims). */
export function requestedAcrs(acrClaim: { value?: unknown; values?: unknown } | undefined): string[] {
  const asked = [
    ...(typeof acrClaim?.value === 'string' ? [acrClaim.value] : []),
    ...(Array.isArray(acrClaim?.values)
      ? acrClaim.values.filter((v): v is string => typeof v === 'string')
      : []),
  ];
  return asked.filter((v) => ACR_VALUES.includes(v));
}

/**
 * True when the session's factors fall short: mfa.required and one factor only, or a
 * request that names known values of which the session meets none.
 */
export function needsMore(config: Pick<Config, 'mfa'>, requested: string[], amr: Amr | undefined): boolean {
  if (config.mfa.required && !isMultiFactor(amr)) return true;
  if (requested.length === 0) return false;
  return !requested.some((r) => satisfies(r, amr));
}

/** True when what is asked for needs a passkey, not a code. */
export function needsPasskey(requested: string[]): boolean {
  return requested.length > 0 && requested.every((r) => r === ACR.phishingResistant);
}

/** The acr for the ID token: the first requested value met, else what the factors reach. */
export function acrFor(requested: string[], amr: Amr): string {
  return requested.find((r) => satisfies(r, amr)) ?? (isMultiFactor(amr) ? ACR.twoFactors : ACR.oneFactor);
}
