// Passkeys (WebAuthn) on @simplewebauthn/server: options for the browser, and the checks
// of what it sends back, against the challenge kept in the interaction, the issuer's
// origin and the relying party id. Attestation is not asked for: a passkey proves that the
// same authenticator signs again, which is what sign-in needs.
import { randomBytes } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Config } from '../config/schema.ts';
import type { SecondFactorQueries } from './queries.ts';

export type { AuthenticationResponseJSON, RegistrationResponseJSON };

export interface PasskeyDeps {
  config: Pick<Config, 'issuer' | 'mfa' | 'ui'>;
  queries: SecondFactorQueries;
}

const TIMEOUT_MS = 120_000;

export function createPasskeys(deps: PasskeyDeps) {
  const { config, queries } = deps;
  const issuer = new URL(config.issuer);
  const origin = issuer.origin;
  const rpID = config.mfa.passkeys.rp_id ?? issuer.hostname;
  const rpName = config.ui.product_name === 'Sign in' ? issuer.hostname : config.ui.product_name;

  return {
    rpID,

    async registrationOptions(
      sub: string,
      userName: string,
      displayName: string,
    ): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const handle = await queries.userHandle(sub, randomBytes(32).toString('base64url'));
      const existing = await queries.passkeys(sub);
      return generateRegistrationOptions({
        rpName,
        rpID,
        userName,
        userDisplayName: displayName,
        userID: new Uint8Array(Buffer.from(handle, 'base64url')),
        attestationType: 'none',
        timeout: TIMEOUT_MS,
        excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: p.transports })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
      });
    },

    /** Verifies a new passkey and stores it; false when the browser's answer does not hold. */
    async register(sub: string, response: RegistrationResponseJSON, challenge: string): Promise<boolean> {
      let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        result = await verifyRegistrationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          requireUserVerification: false,
        });
      } catch {
        return false;
      }
      if (!result.verified) return false;
      const info = result.registrationInfo;
      if (await queries.passkey(info.credential.id)) return false;
      await queries.addPasskey({
        credential_id: info.credential.id,
        sub,
        public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: info.credential.transports ?? [],
        device_type: info.credentialDeviceType,
        backed_up: info.credentialBackedUp,
        aaguid: info.aaguid,
      });
      return true;
    },

    /** Options for a sign-in: any passkey of this site (discoverable), or those of `sub`. */
    async authenticationOptions(sub?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const allow = sub ? await queries.passkeys(sub) : [];
      return generateAuthenticationOptions({
        rpID,
        timeout: TIMEOUT_MS,
        userVerification: 'preferred',
        allowCredentials: allow.map((p) => ({ id: p.credential_id, transports: p.transports })),
      });
    },

    /**
     * The account a passkey signed in, and whether the authenticator verified the user (PIN,
     * biometrics); undefined when the answer does not verify or the passkey is unknown.
     */
    async authenticate(
      response: AuthenticationResponseJSON,
      challenge: string,
    ): Promise<{ sub: string; userVerified: boolean } | undefined> {
      if (typeof response?.id !== 'string' || response.id.length > 1024) return undefined;
      const stored = await queries.passkey(response.id);
      if (!stored) return undefined;
      let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
      try {
        result = await verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          requireUserVerification: false,
          credential: {
            id: stored.credential_id,
            publicKey: new Uint8Array(Buffer.from(stored.public_key, 'base64url')),
            counter: Number(stored.counter),
            transports: stored.transports as never,
          },
        });
      } catch {
        return undefined;
      }
      if (!result.verified) return undefined;
      // A counter that did not move forward means a cloned authenticator (or a race).
      if (!(await queries.usePasskey(stored.credential_id, result.authenticationInfo.newCounter)))
        return undefined;
      return { sub: stored.sub, userVerified: result.authenticationInfo.userVerified };
    },
  };
}

export type Passkeys = ReturnType<typeof createPasskeys>;
