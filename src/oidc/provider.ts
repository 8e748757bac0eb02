// Builds the oidc-provider instance: the code flow with PKCE (S256) for every client,
// refresh tokens, userinfo, revocation, introspection, RP-initiated and back-channel logout,
// client credentials, acr/amr; the knex adapter; keys from the store; pages from views/.
// Consent is skipped for first-party clients and remembered for the others. Claims come
// from the bridge's own accounts only.

import type { Knex } from 'knex';
import type { Context } from 'koa';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { ACR_VALUES } from '../mfa/acr.ts';
import { secondFactorPolicy } from '../mfa/policy.ts';
import type { AccountRow, Accounts } from '../migration/accounts.ts';
import type { Consents } from '../sessions/consents.ts';
import { grantFromConsent, queueBackchannelLogouts, rememberConsent } from '../sessions/provider-hooks.ts';
import { asStoreFault } from '../store/faults.ts';
import type { ShortLivedStore } from '../store/redis.ts';
import { errorResponse } from '../ui/error-responses.ts';
import { type Renderer, renderErrorResponse } from '../ui/render.ts';
import { createTtlCache, type TtlCache } from '../util/ttl-cache.ts';
import { guardStore, StoreTemporarilyUnavailable, tokenIdKey } from './adapter.ts';
import type { ClientStore } from './clients.ts';
import type { ProviderKeys } from './keys.ts';
import { payloadScope } from './payload-scope.ts';
import { createStoreAdapterClass } from './split-adapter.ts';

export interface ProviderDeps {
  config: Config;
  db: Knex;
  keys: ProviderKeys;
  clients: ClientStore;
  accounts: Accounts;
  renderer: Renderer;
  logger: Logger;
  /** Consent remembered per account and client; without it each session asks again. */
  consents?: Consents | undefined;
  /** Redis for the short-lived models (store.redis_url); without it, all in `db`. */
  shortLived?: ShortLivedStore | undefined;
  /** The read cache of accounts by sub (the login path fills it with what it just read). */
  accountCache?: TtlCache<AccountRow> | undefined;
}

export { maxSignedTokenLifetime } from './keys.ts';

/**
 * The protocol settings: scopes and claims, PKCE for every client, the features, token
 * lifetimes and refresh-token issuing. Everything else (storage, keys, accounts, pages) is
 * the caller's. The bench's bare oidc-provider is built on these too, so that only the
 * bridge's own parts differ in a comparison.
 */
export function protocolConfiguration(config: Config): Configuration {
  const ttl = config.oidc.ttl;
  return {
    // How the user signed in (acr, amr) is part of every ID token, as openid's own claims;
    // sid and auth_time stay requestable on their own.
    claims: {
      sid: null,
      auth_time: null,
      ...config.oidc.claims,
      openid: [...new Set([...(config.oidc.claims.openid ?? ['sub']), 'acr', 'amr'])],
    },
    scopes: ['openid', 'offline_access', ...Object.keys(config.oidc.claims).filter((s) => s !== 'openid')],
    conformIdTokenClaims: false,
    // Clients may register only the code flow (clients.ts): discovery advertises just that.
    responseTypes: ['code'],
    extraClientMetadata: { properties: ['first_party', 'introspect_for'] },
    acrValues: ACR_VALUES,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // A caller learns about its own tokens only, or about those of the clients it was
      // allowed in its registration (clients add --introspect-for); anything else is inactive.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => mayIntrospect(client, token),
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      backchannelLogout: { enabled: true },
    },
    ttl: {
      AccessToken: ttl.access_token,
      AuthorizationCode: ttl.authorization_code,
      IdToken: ttl.id_token,
      RefreshToken: ttl.refresh_token,
      Interaction: ttl.interaction,
      Session: ttl.session,
      Grant: ttl.grant,
      ClientCredentials: ttl.access_token,
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: secondFactorPolicy(config),
    },
    // Refresh tokens for every client allowed the grant, not only with offline_access:
    // the relying parties of a migration expect to stay signed in.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Every refresh rotates the refresh token, for confidential clients too (unless
    // oidc.rotate_refresh_tokens is off). oidc-provider keeps the used one as consumed:
    // presenting it again revokes the whole grant, every token issued under it, so a stolen
    // refresh token works at most until its owner's next refresh.
    rotateRefreshToken: () => config.oidc.rotate_refresh_tokens,
  };
}

/**
 * An authorization request whose writes failed is answered as oidc-provider answers an outage
 * there: back to the client's registered redirect URI with `temporarily_unavailable` (RFC 6749,
 * 4.1.2.1), in the query response mode. False where that cannot be done (the page answers).
 */
function redirectOutage(ctx: KoaContextWithOIDC, err: StoreTemporarilyUnavailable): boolean {
  const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined;
  if (!oidc || (oidc.route !== 'authorization' && oidc.route !== 'resume')) return false;
  const params = (oidc.params ?? {}) as Record<string, unknown>;
  const uri = params.redirect_uri;
  const mode = params.response_mode ?? 'query';
  if (!oidc.client || typeof uri !== 'string' || mode !== 'query' || !oidc.client.redirectUriAllowed(uri))
    return false;
  const to = new URL(uri);
  to.searchParams.set('error', err.message);
  const description = (err as { error_description?: string }).error_description;
  if (description) to.searchParams.set('error_description', description);
  if (typeof params.state === 'string') to.searchParams.set('state', params.state);
  to.searchParams.set('iss', oidc.provider.issuer);
  ctx.status = 303;
  ctx.redirect(to.href);
  return true;
}

/**
 * A token request whose final statement was refused: the code or refresh token it redeemed was
 * consumed by a concurrent request first (adapter.ts), so none of its tokens were stored.
 */
function refusedAtTokenEndpoint(ctx: Context, err: unknown): err is InstanceType<typeof errors.InvalidGrant> {
  const oidc = (ctx as unknown as KoaContextWithOIDC).oidc as KoaContextWithOIDC['oidc'] | undefined;
  return oidc?.route === 'token' && err instanceof errors.InvalidGrant;
}

/**
 * Answers `err` as oidc-provider's own error handler does at its endpoints: the error's status,
 * `{ error, error_description }` as JSON (the page for a caller that asks for HTML), the headers
 * its route already set (Cache-Control: no-store at the token endpoint), and its grant.error
 * event. The token answer prepared before is replaced entirely.
 */
async function answerAsProvider(
  ctx: Context,
  err: InstanceType<typeof errors.OIDCProviderError>,
  configuration: Configuration,
  event: 'grant.error' | undefined = 'grant.error',
): Promise<void> {
  const oidcCtx = ctx as unknown as KoaContextWithOIDC;
  const description = (err as { error_description?: string }).error_description;
  const out = {
    error: err.message,
    ...(description !== undefined ? { error_description: description } : {}),
  };
  ctx.status = err.statusCode;
  if (ctx.accepts('json', 'html') === 'html' && configuration.renderError) {
    await configuration.renderError(oidcCtx, out, err);
  } else {
    ctx.body = out;
  }
  if (event) oidcCtx.oidc.provider.emit(event, oidcCtx, err);
}

/** Whether a page or a redirect was on its way: a browser is waiting, and an error gets a page. */
function answersWithPage(ctx: Context): boolean {
  return (ctx.status >= 300 && ctx.status < 400) || Boolean(ctx.response.is('html')) || ctx.body == null;
}

/** Whether `client` may see what `token` (issued to token.clientId) carries. */
export function mayIntrospect(
  client: { clientId: string; metadata(): Record<string, unknown> },
  token: { clientId?: string | undefined },
): boolean {
  if (token.clientId === client.clientId) return true;
  const allowed = client.metadata().introspect_for;
  return Array.isArray(allowed) && (allowed.includes('*') || allowed.includes(token.clientId));
}

export function createProvider(deps: ProviderDeps): Provider {
  const { config, renderer, accounts, logger } = deps;
  const protocol = protocolConfiguration(config);
  // Hot reads on the token and userinfo paths; see oidc.read_cache_seconds.
  const cacheMs = config.oidc.read_cache_seconds * 1000;
  const clientCache = createTtlCache<Record<string, unknown>>(cacheMs, 1000);
  const accountCache = deps.accountCache ?? createTtlCache<AccountRow>(cacheMs);

  const configuration: Configuration = {
    adapter: createStoreAdapterClass(
      deps.db,
      (id) => clientCache.get(id, () => deps.clients.find(id)),
      deps.shortLived,
      tokenIdKey(config.key_encryption_key),
    ) as unknown as Configuration['adapter'],
    jwks: deps.keys.jwks as Configuration['jwks'],
    cookies: {
      keys: deps.keys.cookieKeys,
      long: { signed: true, sameSite: 'lax' },
      short: { signed: true, sameSite: 'lax' },
    },
    ...protocol,
    features: {
      ...protocol.features,
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          const params = (ctx as unknown as { oidc?: { params?: Record<string, unknown> } }).oidc?.params;
          await renderer.render(
            ctx as unknown as Context,
            'logout',
            { form },
            {
              formTarget: params?.post_logout_redirect_uri as string | undefined,
            },
          );
        },
        async postLogoutSuccessSource(ctx) {
          await renderer.render(ctx as unknown as Context, 'logged-out', {});
        },
      },
    },
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const oidc = ctx.oidc;
      const client = oidc.client!;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(client.clientId);
      if (grantId) {
        const grant = await oidc.provider.Grant.find(grantId);
        // Back from the consent page: what the user allowed is remembered for new sessions.
        if (grant && oidc.result?.consent && deps.consents) await rememberConsent(grant, deps.consents);
        if (grant) return grant;
      }
      if ((client as unknown as { first_party?: boolean }).first_party === true) {
        const grant = new oidc.provider.Grant({
          clientId: client.clientId,
          accountId: oidc.session!.accountId!,
        });
        grant.addOIDCScope(String(oidc.params!.scope ?? 'openid'));
        await grant.save();
        return grant;
      }
      return deps.consents ? grantFromConsent(ctx, deps.consents) : undefined;
    },
    async findAccount(_ctx, sub) {
      const account = await accountCache.get(sub, () => guardStore(() => accounts.findBySub(sub)));
      if (!account || account.disabled_at) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { ...account.claims, sub };
        },
      };
    },
    async renderError(ctx, out, error) {
      const koaCtx = ctx as unknown as Context;
      const r = errorResponse(error);
      if (r.status >= 500 && r.log) logger.error({ err: error }, 'provider error');
      const code = String(out.error ?? r.code);
      // The table decides for what it knows (expired interactions, outages); everything else
      // is oidc-provider's own answer, whose description is meant for the user.
      if (r.message) {
        await renderErrorResponse(koaCtx, renderer, { ...r, code: r.status >= 500 ? r.code : code });
        return;
      }
      const t = renderer.t(renderer.locale(koaCtx));
      const description =
        typeof out.error_description === 'string' ? out.error_description : t('error_generic');
      await renderer.render(koaCtx, 'error', { heading: t('error_title'), message: description, code });
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.security.trust_proxy;
  queueBackchannelLogouts(provider, deps.db);
  provider.on('server_error', (_ctx, err) => logger.error({ err }, 'oidc server error'));
  // An error thrown past a route's own error handler is answered as that handler would, never
  // as koa's bare text: an OAuth error as it is (the session oidc-provider writes when a route
  // is done, holding a parameter the store refuses), anything else, logged, as server_error
  // (a write the store refused for a reason that is no outage, in the request's last flush).
  const answerFailure = async (ctx: Context, err: unknown): Promise<void> => {
    // Sent already, or a 4xx of koa's own kind (http-errors), which koa answers as it is.
    const status = (err as { status?: unknown }).status;
    const httpClientError =
      !(err instanceof errors.OIDCProviderError) && typeof status === 'number' && status < 500;
    if (ctx.headerSent || httpClientError) throw err;
    const page = answersWithPage(ctx);
    ctx.remove('Location');
    ctx.res.removeHeader('Set-Cookie');
    if (err instanceof errors.OIDCProviderError && err.statusCode < 500) {
      await answerAsProvider(ctx, err, configuration, undefined);
      return;
    }
    logger.error({ err }, 'request failed');
    if (page) {
      await renderErrorResponse(ctx, renderer, errorResponse(err));
      return;
    }
    ctx.status = 500;
    ctx.body = {
      error: 'server_error',
      error_description: 'the request could not be completed; try again',
    };
  };
  provider.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      await answerFailure(ctx, err);
    }
    // An outage answer tells clients when to come back, on JSON endpoints as on pages.
    if (ctx.status === 503 && !ctx.response.get('Retry-After')) ctx.set('Retry-After', '5');
  });
  // A request's payload writes go to the store in one statement before its answer.
  provider.use(
    payloadScope(async (ctx, err) => {
      if (refusedAtTokenEndpoint(ctx, err)) return answerAsProvider(ctx, err, configuration);
      const fault = asStoreFault(err);
      if (!fault) throw err;
      const unavailable = new StoreTemporarilyUnavailable(fault);
      if (redirectOutage(ctx as unknown as KoaContextWithOIDC, unavailable)) return;
      if (answersWithPage(ctx)) {
        ctx.body = undefined;
        return renderErrorResponse(ctx, renderer, errorResponse(fault));
      }
      ctx.status = 503;
      ctx.body = {
        error: unavailable.message,
        error_description: (unavailable as { error_description?: string }).error_description,
      };
    }) as unknown as Parameters<Provider['use']>[0],
  );
  return provider;
}
