// The console signs operators in through the bridge itself, as any relying party would:
// the code flow with PKCE (openid-client) for a built-in public client, the browser sent to
// the issuer's public URL, tokens fetched from the login listener over loopback. Who may
// enter is decided here: a sub listed in admin.admins, or a member of admin.admin_groups.
import type { Knex } from 'knex';
import * as oidc from 'openid-client';
import type { Config } from '../config/schema.ts';
import { createClientStore } from '../oidc/clients.ts';
import { createSecretBox } from '../security/secret-box.ts';

export const CONSOLE_CLIENT_ID = 'oidc-bridge-console';
export const CALLBACK_PATH = '/console/callback';

/**
 * Registers the console's client, or adds this listener's redirect URI to it. Public (no
 * secret to share between replicas: PKCE protects the code) and first-party (no consent).
 */
export async function ensureConsoleClient(db: Knex, config: Config, redirectUri: string): Promise<void> {
  const row = await db('clients').where({ client_id: CONSOLE_CLIENT_ID }).first('metadata');
  if (!row) {
    try {
      await createClientStore(db, createSecretBox(config.key_encryption_key)).add({
        id: CONSOLE_CLIENT_ID,
        name: 'Operator console',
        redirectUris: [redirectUri],
        public: true,
        firstParty: true,
      });
      return;
    } catch (err) {
      // Another replica registered it at the same moment: add the URI below.
      if ((err as { code?: string }).code !== 'client_exists') throw err;
    }
  }
  await db.transaction(async (trx) => {
    const current = await trx('clients')
      .where({ client_id: CONSOLE_CLIENT_ID })
      .forUpdate()
      .first('metadata');
    const uris: string[] = current.metadata.redirect_uris ?? [];
    if (uris.includes(redirectUri)) return;
    await trx('clients')
      .where({ client_id: CONSOLE_CLIENT_ID })
      .update({
        metadata: JSON.stringify({ ...current.metadata, redirect_uris: [...uris, redirectUri] }),
        updated_at: trx.fn.now(),
      });
  });
}

/** Whether the claims name a member of one of the groups: a string, a list, or space-separated. */
export function inGroups(claims: Record<string, unknown>, claim: string, groups: string[]): boolean {
  if (groups.length === 0) return false;
  const value = claims[claim];
  const have = Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string')
    : typeof value === 'string'
      ? value.split(/[\s,]+/)
      : [];
  return have.some((g) => groups.includes(g));
}

export function createConsoleOidc(opts: { config: Config; mainUrl: string; redirectUri: string }) {
  const { config, mainUrl, redirectUri } = opts;
  let configuration: Promise<oidc.Configuration> | undefined;

  async function discover(): Promise<oidc.Configuration> {
    // The provider's metadata as the login listener serves it on loopback; the browser
    // goes to the issuer's public URL for the authorization endpoint only.
    const res = await fetch(`${mainUrl}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`discovery answered ${res.status}`);
    const local = (await res.json()) as oidc.ServerMetadata;
    const auth = new URL(local.authorization_endpoint!);
    const metadata = { ...local, authorization_endpoint: `${new URL(config.issuer).origin}${auth.pathname}` };
    const c = new oidc.Configuration(
      metadata,
      CONSOLE_CLIENT_ID,
      { token_endpoint_auth_method: 'none' },
      oidc.None(),
    );
    if (mainUrl.startsWith('http:')) oidc.allowInsecureRequests(c);
    return c;
  }

  function client(): Promise<oidc.Configuration> {
    configuration ??= discover().catch((err) => {
      configuration = undefined;
      throw err;
    });
    return configuration;
  }

  return {
    async authorizationUrl(): Promise<{ url: URL; state: string; nonce: string; verifier: string }> {
      const c = await client();
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(c, {
        redirect_uri: redirectUri,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url, state, nonce, verifier };
    },

    /** Exchanges the code; returns the verified ID token's subject. Throws on anything amiss. */
    async finish(
      currentUrl: URL,
      tx: { state: string; nonce: string; verifier: string },
    ): Promise<{ sub: string }> {
      const c = await client();
      const tokens = await oidc.authorizationCodeGrant(
        c,
        currentUrl,
        {
          pkceCodeVerifier: tx.verifier,
          expectedState: tx.state,
          expectedNonce: tx.nonce,
          idTokenExpected: true,
        },
        { redirect_uri: redirectUri },
      );
      const sub = tokens.claims()?.sub;
      if (!sub) throw new Error('the ID token has no sub');
      return { sub };
    },
  };
}

export type ConsoleOidc = ReturnType<typeof createConsoleOidc>;
