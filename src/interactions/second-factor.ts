// The interaction steps after the first factor: the code page (authenticator app or
// recovery code), TOTP enrolment with recovery codes shown once, the passkey offer, and
// passkey sign-in instead of the password. What a sign-in has proved so far lives in the
// interaction itself (bound to the browser by oidc-provider's cookie) until the login is
// handed back to oidc-provider with its amr and acr.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { errors as oidcErrors } from 'oidc-provider';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { ThrottledError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import {
  AMR,
  type Amr,
  acrFor,
  isMultiFactor,
  needsMore,
  needsPasskey,
  requestedAcrs,
  withSecondFactor,
} from '../mfa/acr.ts';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '../mfa/passkeys.ts';
import type { FactorStatus, FactorSummary, SecondFactors } from '../mfa/second-factors.ts';
import { enrolmentPicture, groupedSecret, newTotpSecret } from '../mfa/totp.ts';
import type { Accounts } from '../migration/accounts.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { errorResponse } from '../ui/error-responses.ts';
import type { MessageKey } from '../ui/i18n.ts';
import { retryWait } from '../ui/i18n.ts';
import { type Renderer, renderErrorResponse } from '../ui/render.ts';
import { formParser } from './form.ts';
import { csrfToken, csrfValid } from './routes.ts';

export interface SecondFactorDeps {
  config: Config;
  provider: () => Provider;
  cookieKeys: () => string[];
  factors: SecondFactors;
  accounts: Pick<Accounts, 'findBySub'>;
  box: SecretBox;
  renderer: Renderer;
  logger: Logger;
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Where a sign-in stands between its first factor and the login result. */
interface Pending {
  sub?: string;
  amr?: Amr;
  stage: 'passkey-login' | 'code' | 'enrol' | 'codes' | 'offer';
  requested?: string[];
  /** The secret being enrolled, sealed. */
  enrolSecret?: string;
  /** The WebAuthn challenge given to the browser, once. */
  challenge?: string;
  /** The login page found that this device can hold a passkey. */
  capable?: boolean;
  passkeyOnly?: boolean;
}

const REASON = 'second_factor';
// Checks of the login prompt that need the whole sign-in again, not only a second step.
const FULL_LOGIN_REASONS = new Set(['no_session', 'max_age', 'id_token_hint', 'claims_id_token_sub_value']);

const codeForm = z.object({ code: z.string().max(64).optional(), csrf: z.string().optional() });
const jsonBody = z.object({ csrf: z.string().max(100), response: z.unknown().optional() });

let browserBundle: string | undefined;
function passkeysScript(): string {
  if (browserBundle === undefined) {
    const require = createRequire(import.meta.url);
    // The package exports only its modules; its browser bundle sits beside them.
    const main = require.resolve('@simplewebauthn/browser');
    const lib = readFileSync(join(dirname(main), '../dist/bundle/index.umd.min.js'), 'utf8');
    const glue = readFileSync(new URL('../../public/passkeys.js', import.meta.url), 'utf8');
    browserBundle = `${lib}\n${glue}`;
  }
  return browserBundle;
}

/** The requested acr values of an interaction: acr_values (or the client's default_acr_values) and claims. */
function requestedOf(interaction: Interaction): string[] {
  const params = interaction.params as Record<string, unknown>;
  const fromValues = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
  let fromClaims: { value?: unknown; values?: unknown } | undefined;
  if (typeof params.claims === 'string') {
    try {
      fromClaims = (JSON.parse(params.claims) as { id_token?: { acr?: typeof fromClaims } }).id_token?.acr;
    } catch {
      fromClaims = undefined;
    }
  }
  return [...new Set([...requestedAcrs({ values: fromValues }), ...requestedAcrs(fromClaims)])];
}

export function createSecondFactorRouter(deps: SecondFactorDeps) {
  const { config, factors, renderer, box, logger } = deps;
  const router = new Router();
  const parseForm = formParser(16 * 1024);
  const parseJson = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', encoding: 'utf-8' });
  const passkeysOn = config.mfa.passkeys.enabled;

  async function details(ctx: Context): Promise<Interaction | undefined> {
    try {
      const interaction = await deps.provider().interactionDetails(ctx.req, ctx.res);
      if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'login') {
        await pageError(ctx, 400, 'session_expired_title', 'session_expired', 'interaction_mismatch');
        return undefined;
      }
      return interaction;
    } catch (err) {
      if (err instanceof oidcErrors.SessionNotFound) {
        await renderErrorResponse(ctx, renderer, errorResponse(err));
        return undefined;
      }
      throw err;
    }
  }

  function pendingOf(interaction: Interaction): Pending | undefined {
    return (interaction.result as { bridge?: Pending } | undefined)?.bridge;
  }

  async function keep(interaction: Interaction, pending: Pending): Promise<void> {
    interaction.result = { bridge: pending };
    await interaction.persist();
  }

  function t(ctx: Context, interaction?: Interaction) {
    return renderer.t(renderer.locale(ctx, interaction?.params.ui_locales as string | undefined));
  }

  async function pageError(
    ctx: Context,
    status: number,
    heading: MessageKey,
    message: MessageKey,
    code: string,
  ) {
    const tr = renderer.t(renderer.locale(ctx));
    ctx.status = status;
    await renderer.render(ctx, 'error', { heading: tr(heading), message: tr(message), code });
  }

  function jsonError(ctx: Context, status: number, error: string, message: string) {
    ctx.status = status;
    ctx.body = { error, message };
  }

  function csrfOk(ctx: Context, interaction: Interaction): boolean {
    return csrfValid(
      deps.cookieKeys(),
      interaction.uid,
      (ctx.request.body as { csrf?: unknown } | undefined)?.csrf,
    );
  }

  async function page(ctx: Context, interaction: Interaction, view: string, data: Record<string, unknown>) {
    await renderer.render(
      ctx,
      view,
      { uid: interaction.uid, csrf: csrfToken(deps.cookieKeys()[0]!, interaction.uid), ...data },
      {
        uiLocales: interaction.params.ui_locales as string | undefined,
        formTarget: interaction.params.redirect_uri as string | undefined,
      },
    );
  }

  async function userLabel(sub: string): Promise<string | undefined> {
    const claims = (await deps.accounts.findBySub(sub))?.claims ?? {};
    const label = claims.email ?? claims.preferred_username;
    return typeof label === 'string' ? label : undefined;
  }

  async function clientName(interaction: Interaction): Promise<string | undefined> {
    const id = interaction.params.client_id as string | undefined;
    if (!id) return undefined;
    const client = await deps.provider().Client.find(id);
    return (client?.clientName as string | undefined) ?? id;
  }

  /** Hands the login to oidc-provider with what was proved; the URL to continue at. */
  async function finishLogin(ctx: Context, pending: Pending): Promise<string> {
    const amr = pending.amr ?? AMR.password;
    const login = { accountId: pending.sub!, amr, acr: acrFor(pending.requested ?? [], amr) };
    return deps.provider().interactionResult(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false });
  }

  async function unmet(ctx: Context): Promise<string> {
    return deps.provider().interactionResult(
      ctx.req,
      ctx.res,
      {
        error: 'unmet_authentication_requirements',
        error_description: 'A second factor is required and the account has none that can be used here.',
      },
      { mergeWithLastSubmission: false },
    );
  }

  /**
   * After the factors: the passkey offer when it makes sense, else the login result. `known`:
   * the status this request has already read, when no factor was added since.
   */
  async function offerOrFinish(
    ctx: Context,
    interaction: Interaction,
    pending: Pending,
    known?: FactorStatus,
  ): Promise<string> {
    const sub = pending.sub!;
    if (passkeysOn && config.mfa.passkeys.offer && pending.capable && pending.amr?.includes('pwd')) {
      const status = known ?? (await factors.status(sub));
      if (status.passkeys === 0 && !status.passkeyDeclined) {
        await keep(interaction, { ...pending, stage: 'offer', challenge: undefined });
        return `/interaction/${interaction.uid}/passkey`;
      }
    }
    return finishLogin(ctx, pending);
  }

  /**
   * Decides what follows a first factor (a password, a passkey, or a session that needs more):
   * the code page, enrolment, the passkey offer or the login result. Returns where to go.
   * `known`: the account's summary as the password login read it; else the store is asked.
   */
  async function afterFirstFactor(
    ctx: Context,
    interaction: Interaction,
    sub: string,
    amr: Amr,
    capable: boolean,
    known?: FactorSummary,
  ): Promise<string> {
    const requested = requestedOf(interaction);
    const pending: Pending = { sub, amr, requested, capable, stage: 'code' };
    const status = await factors.status(sub, known);
    const passkeyOnly = needsPasskey(requested) && !amr.includes('hwk');
    // A user who has an authenticator app is asked for it at every sign-in.
    const more = needsMore(config, requested, amr) || (status.totp && !isMultiFactor(amr));
    if (!more) return offerOrFinish(ctx, interaction, pending, status);
    if (passkeyOnly) {
      if (!passkeysOn || status.passkeys === 0) return unmet(ctx);
      await keep(interaction, { ...pending, passkeyOnly: true });
      return `/interaction/${interaction.uid}/second-factor`;
    }
    if (status.totp || (passkeysOn && status.passkeys > 0)) {
      await keep(interaction, pending);
      return `/interaction/${interaction.uid}/second-factor`;
    }
    if (!config.mfa.totp_enrolment) return unmet(ctx);
    await keep(interaction, { ...pending, stage: 'enrol', enrolSecret: box.seal(newTotpSecret()) });
    return `/interaction/${interaction.uid}/totp-setup`;
  }

  async function renderCodePage(ctx: Context, interaction: Interaction, pending: Pending, error?: string) {
    const status = await factors.status(pending.sub!);
    await page(ctx, interaction, 'second-factor', {
      user: await userLabel(pending.sub!),
      error,
      passkeys: passkeysOn && status.passkeys > 0,
      passkeyOnly: pending.passkeyOnly === true || !status.totp,
    });
  }

  async function renderSetupPage(ctx: Context, interaction: Interaction, pending: Pending, error?: string) {
    const secret = box.open(pending.enrolSecret!);
    const user = await userLabel(pending.sub!);
    const issuer =
      config.ui.product_name === 'Sign in' ? new URL(config.issuer).host : config.ui.product_name;
    const picture = await enrolmentPicture(
      { secret, digits: 6, period: 30, algorithm: 'SHA1' },
      user ?? pending.sub!,
      issuer,
    );
    await page(ctx, interaction, 'totp-setup', {
      user,
      error,
      clientName: await clientName(interaction),
      qrSvg: picture.svg,
      secretGrouped: groupedSecret(secret),
    });
  }

  function throttledMessage(ctx: Context, interaction: Interaction, err: ThrottledError): string {
    ctx.set('Retry-After', String(err.retryAfter));
    const locale = renderer.locale(ctx, interaction.params.ui_locales);
    return renderer.t(locale)('mfa_throttled', retryWait(locale, err.retryAfter));
  }

  /** A session that has signed in but must prove more: straight to the second step. */
  async function stepUp(ctx: Context, next: Next) {
    let interaction: Interaction;
    try {
      interaction = await deps.provider().interactionDetails(ctx.req, ctx.res);
    } catch {
      return next();
    }
    const reasons = interaction.prompt.reasons as string[];
    const session = interaction.session as { accountId?: string; amr?: Amr } | undefined;
    if (
      interaction.uid !== ctx.params.uid ||
      interaction.prompt.name !== 'login' ||
      !reasons.includes(REASON) ||
      reasons.some((r) => FULL_LOGIN_REASONS.has(r)) ||
      !session?.accountId ||
      pendingOf(interaction)
    ) {
      return next();
    }
    const to = await afterFirstFactor(
      ctx,
      interaction,
      session.accountId,
      session.amr ?? AMR.password,
      false,
    );
    ctx.status = 303;
    ctx.redirect(to);
  }

  router.get('/interaction/assets/passkeys.js', async (ctx) => {
    ctx.type = 'application/javascript';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = passkeysScript();
  });

  router.get('/interaction/:uid', stepUp);

  router.get('/interaction/:uid/second-factor', async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    const pending = pendingOf(interaction);
    if (pending?.stage !== 'code')
      return pageError(ctx, 400, 'session_expired_title', 'session_expired', 'interaction_mismatch');
    await renderCodePage(ctx, interaction, pending);
  });

  router.post('/interaction/:uid/second-factor', parseForm, async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    const pending = pendingOf(interaction);
    if (pending?.stage !== 'code' || pending.passkeyOnly)
      return pageError(ctx, 400, 'session_expired_title', 'session_expired', 'interaction_mismatch');
    const tr = t(ctx, interaction);
    if (!csrfOk(ctx, interaction)) {
      ctx.status = 403;
      return renderCodePage(ctx, interaction, pending, tr('csrf'));
    }
    const parsed = codeForm.safeParse(ctx.request.body ?? {});
    const code = parsed.success ? (parsed.data.code ?? '').trim() : '';
    if (!code) {
      ctx.status = 400;
      return renderCodePage(ctx, interaction, pending, tr('mfa_missing_code'));
    }
    let outcome: Awaited<ReturnType<SecondFactors['checkCode']>>;
    try {
      outcome = await factors.checkCode(pending.sub!, code, ctx.ip);
    } catch (err) {
      if (!(err instanceof ThrottledError)) throw err;
      ctx.status = 429;
      return renderCodePage(ctx, interaction, pending, throttledMessage(ctx, interaction, err));
    }
    if (!outcome.ok) {
      ctx.status = 401;
      return renderCodePage(
        ctx,
        interaction,
        pending,
        tr(outcome.reason === 'replayed' ? 'mfa_replayed_code' : 'mfa_wrong_code'),
      );
    }
    const to = await offerOrFinish(ctx, interaction, {
      ...pending,
      amr: withSecondFactor(pending.amr ?? AMR.password, 'otp'),
    });
    ctx.status = 303;
    ctx.redirect(to);
  });

  router.get('/interaction/:uid/totp-setup', async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    const pending = pendingOf(interaction);
    if (pending?.stage !== 'enrol')
      return pageError(ctx, 400, 'session_expired_title', 'session_expired', 'interaction_mismatch');
    await renderSetupPage(ctx, interaction, pending);
  });

  router.post('/interaction/:uid/totp-setup', parseForm, async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    const pending = pendingOf(interaction);
    if (pending?.stage !== 'enrol')
      return pageError(ctx, 400, 'session_expired_title', 'session_expired', 'interaction_mismatch');
    const tr = t(ctx, interaction);
    if (!csrfOk(ctx, interaction)) {
      ctx.status = 403;
      return renderSetupPage(ctx, interaction, pending, tr('csrf'));
    }
    const parsed = codeForm.safeParse(ctx.request.body ?? {});
    const code = parsed.success ? (parsed.data.code ?? '').trim() : '';
    if (!code) {
      ctx.status = 400;
      return renderSetupPage(ctx, interaction, pending, tr('mfa_missing_code'));
    }
    let codes: string[] | undefined;
    try {
      codes = await factors.enrolTotp(pending.sub!, box.open(pending.enrolSecret!), code, ctx.ip);
    } catch (err) {
      if (!(err instanceof ThrottledError)) throw err;
      ctx.status = 429;
      return renderSetupPage(ctx, interaction, pending, throttledMessage(ctx, interaction, err));
    }
    if (!codes) {
      ctx.status = 401;
      return renderSetupPage(ctx, interaction, pending, tr('mfa_wrong_code'));
    }
    await keep(interaction, {
      ...pending,
      stage: 'codes',
      enrolSecret: undefined,
      amr: withSecondFactor(pending.amr ?? AMR.password, 'otp'),
    });
    // Shown in this answer only: the codes are stored as digests and never again readable.
    await page(ctx, interaction, 'recovery-codes', {
      codes,
      productName:
        config.ui.product_name === 'Sign in' ? new URL(config.issuer).host : config.ui.product_name,
    });
  });

  router.post('/interaction/:uid/continue', parseForm, async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    const pending = pendingOf(interaction);
    if (pending?.stage !== 'codes')
      return pageError(ctx, 400, 'session_expired_title', 'session_expired', 'interaction_mismatch');
    if (!csrfOk(ctx, interaction)) return pageError(ctx, 403, 'error_title', 'csrf', 'csrf');
    ctx.status = 303;
    ctx.redirect(await offerOrFinish(ctx, interaction, pending));
  });

  router.get('/interaction/:uid/passkey', async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    if (pendingOf(interaction)?.stage !== 'offer')
      return pageError(ctx, 400, 'session_expired_title', 'session_expired', 'interaction_mismatch');
    await page(ctx, interaction, 'passkey-offer', {});
  });

  router.post('/interaction/:uid/passkey/skip', parseForm, async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    const pending = pendingOf(interaction);
    if (pending?.stage !== 'offer')
      return pageError(ctx, 400, 'session_expired_title', 'session_expired', 'interaction_mismatch');
    if (!csrfOk(ctx, interaction)) return pageError(ctx, 403, 'error_title', 'csrf', 'csrf');
    await factors.declinePasskey(pending.sub!);
    ctx.status = 303;
    ctx.redirect(await finishLogin(ctx, pending));
  });

  /** The JSON endpoints: the interaction, its CSRF token and the step they belong to. */
  async function jsonStep(ctx: Context, stages: Pending['stage'][] | 'login') {
    const interaction = await details(ctx);
    if (!interaction) {
      jsonError(ctx, 400, 'interaction_expired', t(ctx)('session_expired'));
      return undefined;
    }
    if (!passkeysOn) {
      jsonError(ctx, 404, 'passkeys_disabled', t(ctx, interaction)('passkey_login_failed'));
      return undefined;
    }
    if (!jsonBody.safeParse(ctx.request.body ?? {}).success || !csrfOk(ctx, interaction)) {
      jsonError(ctx, 403, 'csrf', t(ctx, interaction)('csrf'));
      return undefined;
    }
    const pending = pendingOf(interaction);
    // From the login page (no step yet), a passkey is the first factor.
    const ok =
      stages === 'login'
        ? pending === undefined || pending.stage === 'passkey-login' || pending.stage === 'code'
        : pending !== undefined && stages.includes(pending.stage);
    if (!ok) {
      jsonError(ctx, 409, 'interaction_mismatch', t(ctx, interaction)('session_expired'));
      return undefined;
    }
    return { interaction, pending };
  }

  router.post('/interaction/:uid/passkey/registration-options', parseJson, async (ctx) => {
    const step = await jsonStep(ctx, ['offer']);
    if (!step) return;
    const { interaction, pending } = step;
    const account = await deps.accounts.findBySub(pending!.sub!);
    const name = String(account?.claims.email ?? account?.claims.preferred_username ?? pending!.sub);
    const display = String(account?.claims.name ?? name);
    const options = await factors.passkeys.registrationOptions(pending!.sub!, name, display);
    await keep(interaction, { ...pending!, challenge: options.challenge });
    ctx.body = options;
  });

  router.post('/interaction/:uid/passkey/register', parseJson, async (ctx) => {
    const step = await jsonStep(ctx, ['offer']);
    if (!step) return;
    const { interaction, pending } = step;
    const challenge = pending!.challenge;
    // A challenge answers once, whatever the outcome.
    await keep(interaction, { ...pending!, challenge: undefined });
    const response = (ctx.request.body as { response?: unknown }).response as RegistrationResponseJSON;
    if (!challenge || !(await factors.passkeys.register(pending!.sub!, response, challenge))) {
      return jsonError(ctx, 400, 'passkey_invalid', t(ctx, interaction)('passkey_failed'));
    }
    logger.info({ sub: pending!.sub }, 'passkey created');
    ctx.body = { redirect: await finishLogin(ctx, pending!) };
  });

  router.post('/interaction/:uid/passkey/authentication-options', parseJson, async (ctx) => {
    const step = await jsonStep(ctx, 'login');
    if (!step) return;
    const { interaction, pending } = step;
    const asSecond = pending?.stage === 'code';
    const options = await factors.passkeys.authenticationOptions(asSecond ? pending!.sub : undefined);
    await keep(interaction, { ...(pending ?? { stage: 'passkey-login' }), challenge: options.challenge });
    ctx.body = options;
  });

  router.post('/interaction/:uid/passkey/authenticate', parseJson, async (ctx) => {
    const step = await jsonStep(ctx, 'login');
    if (!step) return;
    const { interaction, pending } = step;
    const challenge = pending?.challenge;
    if (pending) await keep(interaction, { ...pending, challenge: undefined });
    const response = (ctx.request.body as { response?: unknown }).response as AuthenticationResponseJSON;
    const result = challenge ? await factors.passkeys.authenticate(response, challenge, ctx.ip) : undefined;
    const asSecond = pending?.stage === 'code';
    if (!result || (asSecond && result.sub !== pending!.sub)) {
      return jsonError(ctx, 401, 'passkey_invalid', t(ctx, interaction)('passkey_login_failed'));
    }
    // The bridge's own account is all a passkey sign-in reads: never the legacy database.
    const to = asSecond
      ? await offerOrFinish(ctx, interaction, {
          ...pending!,
          amr: withSecondFactor(pending!.amr ?? AMR.password, 'passkey'),
        })
      : await afterFirstFactor(ctx, interaction, result.sub, AMR.passkey(result.userVerified), false);
    ctx.body = { redirect: to };
  });

  return {
    router,
    /**
     * Called by the login route once the password is right (see routes.ts), with the
     * second-factor summary the login read or knew, if it did.
     */
    async afterPassword(
      ctx: Context,
      interaction: Interaction,
      sub: string,
      known?: FactorSummary,
    ): Promise<void> {
      const capable =
        (ctx.request.body as { passkey_capable?: unknown } | undefined)?.passkey_capable === '1';
      const to = await afterFirstFactor(ctx, interaction, sub, AMR.password, capable, known);
      ctx.status = 303;
      ctx.redirect(to);
    },
  };
}

export type SecondFactorRoutes = ReturnType<typeof createSecondFactorRouter>;
