// Relying parties, kept in the store and managed by the admin CLI. Every client uses the
// code flow with PKCE; confidential clients also get client credentials. A client secret is
// shown once, when it is created or rotated, and is sealed at rest like the keys.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { BridgeError, NotFoundError } from '../errors.ts';
import { ACR } from '../mfa/acr.ts';
import type { SecretBox } from '../security/secret-box.ts';

export interface NewClient {
  id: string;
  redirectUris: string[];
  secret?: string | undefined;
  public?: boolean;
  postLogoutRedirectUris?: string[];
  firstParty?: boolean;
  name?: string | undefined;
  /** Where logout tokens are POSTed (OpenID Connect Back-Channel Logout 1.0). */
  backchannelLogoutUri?: string | undefined;
  /** Every sign-in for this client needs a second factor (default_acr_values aal2). */
  requireMfa?: boolean;
  /** Clients whose tokens this one (a resource server) may introspect; `*` for every client. */
  introspectFor?: string[] | undefined;
}

export interface ClientSummary {
  client_id: string;
  client_name?: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  token_endpoint_auth_method: string;
  first_party: boolean;
  backchannel_logout_uri?: string;
  require_mfa: boolean;
  introspect_for: string[];
  created_at: Date;
}

function checkUris(uris: string[], flag: string): void {
  for (const u of uris) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new BridgeError(
        'client_invalid',
        `${flag} ${JSON.stringify(u)} is not an absolute URL. Fix: give a full URL such as https://app.example/callback.`,
      );
    }
    if (parsed.hash) {
      throw new BridgeError(
        'client_invalid',
        `${flag} ${JSON.stringify(u)} has a #fragment, which OAuth forbids. Fix: remove the fragment.`,
      );
    }
    if (
      !['http:', 'https:'].includes(parsed.protocol) &&
      !/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(parsed.protocol)
    ) {
      throw new BridgeError(
        'client_invalid',
        `${flag} ${JSON.stringify(u)} must use https (or http for local development, or a reverse-domain scheme for native apps).`,
      );
    }
  }
}

/** A back-channel logout URI is called by the bridge itself: http(s) only, no fragment (spec 2.2). */
function checkBackchannelUri(u: string): void {
  checkUris([u], '--backchannel-logout-uri');
  if (!/^https?:$/.test(new URL(u).protocol)) {
    throw new BridgeError(
      'client_invalid',
      `--backchannel-logout-uri ${JSON.stringify(u)} must be an https URL (http for local development): the bridge POSTs logout tokens to it.`,
    );
  }
}

/** Text a database and a terminal can hold: no control characters, no lone surrogates. */
function checkText(value: string | undefined, flag: string, max: number): void {
  if (value === undefined) return;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(value) || !value.isWellFormed() || value.length > max || value === '') {
    throw new BridgeError(
      'client_invalid',
      `${flag} must be 1-${max} printable characters (no control characters or broken Unicode). Fix: choose another value.`,
    );
  }
}

export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function createClientStore(db: Knex, box: SecretBox) {
  function metadataOf(c: NewClient, secret: string | undefined): Record<string, unknown> {
    return {
      client_id: c.id,
      ...(c.name ? { client_name: c.name } : {}),
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris ?? [],
      response_types: ['code'],
      grant_types: c.public
        ? ['authorization_code', 'refresh_token']
        : ['authorization_code', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_method: c.public ? 'none' : 'client_secret_basic',
      ...(secret ? { client_secret: box.seal(secret) } : {}),
      first_party: c.firstParty === true,
      ...(c.backchannelLogoutUri
        ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true }
        : {}),
      ...(c.requireMfa ? { default_acr_values: [ACR.twoFactors] } : {}),
      ...(c.introspectFor?.length ? { introspect_for: c.introspectFor } : {}),
    };
  }

  return {
    async add(c: NewClient): Promise<{ client_id: string; client_secret?: string }> {
      if (!/^[A-Za-z0-9._~-]{1,128}$/.test(c.id)) {
        throw new BridgeError(
          'client_invalid',
          `--id ${JSON.stringify(c.id)} is not allowed. Fix: use 1-128 letters, digits and . _ ~ -.`,
        );
      }
      if (c.redirectUris.length === 0) {
        throw new BridgeError('client_invalid', 'A client needs at least one --redirect-uri.');
      }
      checkText(c.name, '--name', 200);
      checkText(c.secret, '--secret', 512);
      checkUris(c.redirectUris, '--redirect-uri');
      checkUris(c.postLogoutRedirectUris ?? [], '--post-logout-redirect-uri');
      if (c.backchannelLogoutUri !== undefined) checkBackchannelUri(c.backchannelLogoutUri);
      for (const other of c.introspectFor ?? []) {
        if (other !== '*' && !/^[A-Za-z0-9._~-]{1,128}$/.test(other)) {
          throw new BridgeError(
            'client_invalid',
            `--introspect-for ${JSON.stringify(other)} is not a client id. Fix: give a client id, or * for every client.`,
          );
        }
      }
      if (c.public && c.introspectFor?.length) {
        throw new BridgeError(
          'client_invalid',
          '--introspect-for needs a confidential client: a public one cannot authenticate at the introspection endpoint. Fix: drop --public.',
        );
      }
      if (c.public && c.secret) {
        throw new BridgeError(
          'client_invalid',
          '--public and --secret exclude each other. Fix: give one of them.',
        );
      }
      const secret = c.public ? undefined : (c.secret ?? generateSecret());
      const inserted = await db('clients')
        .insert({
          client_id: c.id,
          metadata: JSON.stringify(metadataOf(c, secret)),
        })
        .onConflict('client_id')
        .ignore()
        .returning('client_id');
      if (inserted.length === 0) {
        throw new BridgeError(
          'client_exists',
          `A client with id ${JSON.stringify(c.id)} already exists. Fix: choose another --id, or "clients remove ${c.id}" first.`,
          409,
        );
      }
      return { client_id: c.id, ...(secret ? { client_secret: secret } : {}) };
    },

    async list(): Promise<ClientSummary[]> {
      const rows = await db('clients').select('metadata', 'created_at').orderBy('client_id');
      return rows.map((r) => ({
        client_id: r.metadata.client_id,
        ...(r.metadata.client_name ? { client_name: r.metadata.client_name } : {}),
        redirect_uris: r.metadata.redirect_uris,
        post_logout_redirect_uris: r.metadata.post_logout_redirect_uris ?? [],
        token_endpoint_auth_method: r.metadata.token_endpoint_auth_method,
        first_party: r.metadata.first_party === true,
        ...(r.metadata.backchannel_logout_uri
          ? { backchannel_logout_uri: r.metadata.backchannel_logout_uri }
          : {}),
        require_mfa: Array.isArray(r.metadata.default_acr_values) && r.metadata.default_acr_values.length > 0,
        introspect_for: Array.isArray(r.metadata.introspect_for) ? r.metadata.introspect_for : [],
        created_at: r.created_at,
      }));
    },

    async remove(id: string): Promise<void> {
      const n = await db('clients').where({ client_id: id }).delete();
      if (n === 0)
        throw new NotFoundError(`No client with id ${JSON.stringify(id)}. Fix: see "clients list".`);
    },

    async rotateSecret(id: string): Promise<{ client_id: string; client_secret: string }> {
      const row = await db('clients').where({ client_id: id }).first('metadata');
      if (!row) throw new NotFoundError(`No client with id ${JSON.stringify(id)}. Fix: see "clients list".`);
      if (row.metadata.token_endpoint_auth_method === 'none') {
        throw new BridgeError(
          'client_public',
          `Client ${JSON.stringify(id)} is public and has no secret to rotate.`,
        );
      }
      const secret = generateSecret();
      await db('clients')
        .where({ client_id: id })
        .update({
          metadata: JSON.stringify({ ...row.metadata, client_secret: box.seal(secret) }),
          updated_at: db.fn.now(),
        });
      return { client_id: id, client_secret: secret };
    },

    /** The metadata oidc-provider sees: the secret opened. */
    async find(id: string): Promise<Record<string, unknown> | undefined> {
      const row = await db('clients').where({ client_id: id }).first('metadata');
      if (!row) return undefined;
      const m = { ...row.metadata };
      if (typeof m.client_secret === 'string') m.client_secret = box.open(m.client_secret);
      return m;
    },
  };
}

export type ClientStore = ReturnType<typeof createClientStore>;
