// The interaction routes oidc-provider sends a browser to: the login form, consent and
// abort. Routes validate their input with zod, call the login library and render a page;
// every failure is a page with a clear message and the right status, never a 500.
import { createHmac, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors as oidcErrors } from 'oidc-provider';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { LegacyUnavailableError, ThrottledError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { FactorSummary } from '../mfa/second-factors.ts';
import type { Login } from '../migration/login.ts';
import { errorResponse } from '../ui/error-responses.ts';
import { type MessageKey, retryWait } from '../ui/i18n.ts';
import { type Renderer, renderErrorResponse } from '../ui/render.ts';
import { formParser, passwordFormLimit } from './form.ts';
import type { PasswordResetRoutes } from './password-reset.ts';

export interface InteractionDeps {
  config: Config;
  provider: () => Provider;
  cookieKeys: () => string[];
  login: Login;
  renderer: Renderer;
  logger: Logger;
  /**
   * Takes over once the password is right: second factors, the passkey offer, the result.
   * `factors`: the second-factor summary the login read or knew, handed on as it came.
   */
  afterPassword?: (
    ctx: Context,
    interaction: Awaited<ReturnType<Provider['interactionDetails']>>,
    sub: string,
    factors?: FactorSummary,
  ) => Promise<void>;
  /** The login page offers passkey sign-in. */
  passkeys?: boolean;
  /** The password reset pages: the forgot link and the prompt after a weak legacy password. */
  reset?: Pick<PasswordResetRoutes, 'forgotUrl' | 'promptIfNeeded'>;
  /** What the consent page calls the signed-in account (its e-mail or user name). */
  accountLabel?: (sub: string) => Promise<string | undefined>;
}

const MAX_IDENTIFIER = 320;

export function csrfToken(key: string, uid: string): string {
  return createHmac('sha256', key).update(`csrf:${uid}`).digest('base64url');
}

export function csrfValid(keys: string[], uid: string, token: unknown): boolean {
  if (typeof token !== 'string' || token.length > 100) return false;
  const given = Buffer.from(token);
  return keys.some((k) => {
    const expected = Buffer.from(csrfToken(k, uid));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

const hasNul = (s: string) => s.includes('\0');

/**
 * "Not you?": the same authorization request again with prompt=login, so that another
 * account signs in and the client still gets its answer.
 */
function switchAccountUrl(params: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === 'string' && key !== 'prompt') query.set(key, value);
  }
  query.set('prompt', 'login');
  return `/auth?${query.toString()}`;
}

export function createInteractionRouter(deps: InteractionDeps): Router {
  const { config, renderer, login, logger } = deps;
  const maxPassword = config.security.max_password_bytes;
  const router = new Router();
  // The form limit sits above the password maximum so that an over-long password gets the
  // page that says so rather than a bare 413.
  const parseForm = formParser(passwordFormLimit(maxPassword));

  const loginForm = z.object({
    identifier: z.string().optional(),
    password: z.string().optional(),
    csrf: z.string().optional(),
  });

  async function details(ctx: Context) {
    try {
      return await deps.provider().interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (err instanceof oidcErrors.SessionNotFound) {
        await renderErrorResponse(ctx, renderer, errorResponse(err), await backLink(ctx));
        return undefined;
      }
      throw err;
    }
  }

  /**
   * Where an expired login form sends the person back to: the client the form was for (its
   * client_uri, else the origin of its first redirect URI). Only a registered client's own
   * address is ever linked, whatever the form says.
   */
  async function backLink(ctx: Context): Promise<{ backUrl: string; backName: string } | undefined> {
    const id = (ctx.request.body as Record<string, unknown> | undefined)?.client_id;
    if (typeof id !== 'string' || id.length > 200) return undefined;
    const client = await deps
      .provider()
      .Client.find(id)
      .catch(() => undefined);
    if (!client) return undefined;
    const uri = (client.clientUri as string | undefined) ?? client.redirectUris?.[0];
    if (!uri || !URL.canParse(uri)) return undefined;
    const url = new URL(uri);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return {
      backUrl: client.clientUri ? url.toString() : url.origin,
      backName: (client.clientName as string | undefined) ?? id,
    };
  }

  async function pageError(
    ctx: Context,
    status: number,
    heading: MessageKey,
    message: MessageKey,
    code: string,
  ) {
    const t = renderer.t(renderer.locale(ctx));
    ctx.status = status;
    await renderer.render(ctx, 'error', { heading: t(heading), message: t(message), code });
  }

  async function clientName(clientId: string | undefined): Promise<string | undefined> {
    if (!clientId) return undefined;
    const client = await deps.provider().Client.find(clientId);
    return (client?.clientName as string | undefined) ?? clientId;
  }

  async function renderLogin(
    ctx: Context,
    interaction: Awaited<ReturnType<Provider['interactionDetails']>>,
    extra: {
      status?: number;
      error?: string;
      identifier?: string;
      fieldErrors?: Record<string, string>;
    } = {},
  ) {
    ctx.status = extra.status ?? 200;
    await renderer.render(
      ctx,
      'login',
      {
        uid: interaction.uid,
        csrf: csrfToken(deps.cookieKeys()[0]!, interaction.uid),
        clientName: await clientName(interaction.params.client_id as string | undefined),
        clientId: interaction.params.client_id,
        identifier: extra.identifier,
        error: extra.error,
        fieldErrors: extra.fieldErrors,
        passkeys: deps.passkeys === true,
        forgotUrl: config.ui.forgot_password_url ?? deps.reset?.forgotUrl(interaction.uid),
      },
      {
        uiLocales: interaction.params.ui_locales as string | undefined,
        formTarget: interaction.params.redirect_uri as string | undefined,
      },
    );
  }

  /** Hands the interaction's result back to oidc-provider and follows it with a 303. */
  async function finish(ctx: Context, result: Record<string, unknown>, merge: boolean): Promise<void> {
    const redirectTo = await deps
      .provider()
      .interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  }

  function formCsrfValid(ctx: Context, uid: string): boolean {
    return csrfValid(deps.cookieKeys(), uid, (ctx.request.body as Record<string, unknown> | undefined)?.csrf);
  }

  function clientIp(ctx: Context): string {
    return config.security.trust_proxy ? ctx.ip : (ctx.req.socket.remoteAddress ?? ctx.ip);
  }

  router.get('/interaction/:uid', async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    if (interaction.uid !== ctx.params.uid)
      return pageError(ctx, 400, 'session_expired_title', 'session_expired', 'interaction_mismatch');
    if (interaction.prompt.name === 'login') return renderLogin(ctx, interaction);
    if (interaction.prompt.name === 'consent') {
      const t = renderer.t(renderer.locale(ctx, interaction.params.ui_locales as string | undefined));
      // Only what the account has not allowed this client before (consent is remembered).
      const missing = (interaction.prompt.details as { missingOIDCScope?: string[] }).missingOIDCScope;
      const scopes = (missing ?? String(interaction.params.scope ?? 'openid').split(' '))
        .filter(Boolean)
        .map((s) => ({
          name: s,
          label: ['openid', 'email', 'profile', 'offline_access'].includes(s)
            ? t(`scope_${s}` as MessageKey)
            : s,
        }));
      return renderer.render(
        ctx,
        'consent',
        {
          uid: interaction.uid,
          csrf: csrfToken(deps.cookieKeys()[0]!, interaction.uid),
          clientName: await clientName(interaction.params.client_id as string | undefined),
          scopes,
          signedInAs: interaction.session?.accountId
            ? ((await deps.accountLabel?.(interaction.session.accountId)) ?? interaction.session.accountId)
            : undefined,
          switchUrl: switchAccountUrl(interaction.params),
        },
        {
          uiLocales: interaction.params.ui_locales as string | undefined,
          formTarget: interaction.params.redirect_uri as string | undefined,
        },
      );
    }
    return pageError(ctx, 400, 'error_title', 'error_generic', 'unsupported_prompt');
  });

  router.post('/interaction/:uid/login', parseForm, async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'login') {
      return pageError(ctx, 400, 'session_expired_title', 'session_expired', 'interaction_mismatch');
    }
    const t = renderer.t(renderer.locale(ctx, interaction.params.ui_locales as string | undefined));
    const parsed = loginForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success)
      return renderLogin(ctx, interaction, { status: 400, error: t('invalid_credentials') });
    const { identifier = '', password = '', csrf } = parsed.data;
    if (!csrfValid(deps.cookieKeys(), interaction.uid, csrf)) {
      return renderLogin(ctx, interaction, { status: 403, error: t('csrf') });
    }
    const shownIdentifier = identifier.length <= MAX_IDENTIFIER && !hasNul(identifier) ? identifier : '';
    const fieldErrors: Record<string, string> = {};
    if (!identifier.trim()) fieldErrors.identifier = t('missing_identifier');
    else if (identifier.length > MAX_IDENTIFIER)
      fieldErrors.identifier = t('identifier_too_long', { max: MAX_IDENTIFIER });
    if (!password) fieldErrors.password = t('missing_password');
    else if (Buffer.byteLength(password, 'utf8') > maxPassword)
      fieldErrors.password = t('password_too_long', { max: maxPassword });
    if (Object.keys(fieldErrors).length) {
      return renderLogin(ctx, interaction, { status: 400, identifier: shownIdentifier, fieldErrors });
    }
    if (hasNul(identifier) || hasNul(password)) {
      return renderLogin(ctx, interaction, {
        status: 401,
        identifier: shownIdentifier,
        error: t('invalid_credentials'),
      });
    }
    let outcome: Awaited<ReturnType<Login['authenticate']>>;
    try {
      outcome = await login.authenticate({
        identifier: identifier.trim(),
        password,
        ip: clientIp(ctx),
        clientId: interaction.params.client_id as string | undefined,
      });
    } catch (err) {
      if (err instanceof ThrottledError) {
        ctx.set('Retry-After', String(err.retryAfter));
        return renderLogin(ctx, interaction, {
          status: 429,
          identifier: shownIdentifier,
          error: t(
            'throttled',
            retryWait(renderer.locale(ctx, interaction.params.ui_locales), err.retryAfter),
          ),
        });
      }
      if (err instanceof LegacyUnavailableError) {
        // The login page again, with the table's status, sentence and Retry-After.
        const r = errorResponse(err);
        logger.warn({ code: err.code }, 'login unavailable: legacy database');
        if (r.retryAfter !== undefined) ctx.set('Retry-After', String(r.retryAfter));
        return renderLogin(ctx, interaction, {
          status: r.status,
          identifier: shownIdentifier,
          error: t(r.message ?? 'legacy_unavailable'),
        });
      }
      throw err;
    }
    if (!outcome.ok) {
      return renderLogin(ctx, interaction, {
        status: 401,
        identifier: shownIdentifier,
        error: t('invalid_credentials'),
      });
    }
    if (await deps.reset?.promptIfNeeded(ctx, interaction, outcome.sub, outcome.prompt === true)) return;
    if (deps.afterPassword) return deps.afterPassword(ctx, interaction, outcome.sub, outcome.factors);
    await finish(ctx, { login: { accountId: outcome.sub } }, false);
  });

  router.post('/interaction/:uid/confirm', parseForm, async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'consent') {
      return pageError(ctx, 400, 'session_expired_title', 'session_expired', 'interaction_mismatch');
    }
    if (!formCsrfValid(ctx, interaction.uid)) {
      return pageError(ctx, 403, 'error_title', 'csrf', 'csrf');
    }
    const provider = deps.provider();
    const { prompt, params, session } = interaction;
    const grant = interaction.grantId
      ? ((await provider.Grant.find(interaction.grantId)) ??
        new provider.Grant({ accountId: session!.accountId, clientId: params.client_id as string }))
      : new provider.Grant({ accountId: session!.accountId, clientId: params.client_id as string });
    const d = prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    if (d.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes))
        grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await finish(ctx, { consent: interaction.grantId ? {} : { grantId } }, true);
  });

  router.post('/interaction/:uid/abort', parseForm, async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    if (!formCsrfValid(ctx, interaction.uid)) {
      return pageError(ctx, 403, 'error_title', 'csrf', 'csrf');
    }
    await finish(
      ctx,
      { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
      false,
    );
  });

  return router;
}
