// The password reset pages (forgot form, "check your email", the link's new-password form
// and its spent, expired and superseded pages) and the new-password prompt that follows a
// login with a weak legacy password. Routes validate their input and call the reset library;
// the page after a request is one and the same whoever was asked for.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { LegacyUnavailableError, ThrottledError } from '../errors.ts';
import { hashBridgePassword } from '../hashing/bridge-hash.ts';
import type { Logger } from '../logger.ts';
import type { Accounts } from '../migration/accounts.ts';
import { enqueuePasswordChange } from '../migration/outbox.ts';
import type { PasswordReset } from '../reset/password-reset.ts';
import type { Audit } from '../security/audit.ts';
import type { PasswordPolicy, PolicyProblem } from '../security/password-policy.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { Store } from '../store/db.ts';
import type { TargetFormat } from '../target/types.ts';
import type { MessageKey, Translate } from '../ui/i18n.ts';
import type { Renderer } from '../ui/render.ts';
import { formParser, passwordFormLimit } from './form.ts';
import { csrfToken, csrfValid } from './routes.ts';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface PasswordResetRouteDeps {
  config: Config;
  provider: () => Provider;
  cookieKeys: () => string[];
  renderer: Renderer;
  logger: Logger;
  reset: PasswordReset | undefined;
  policy: PasswordPolicy;
  accounts: Accounts;
  store: Pick<Store, 'db'>;
  box: SecretBox;
  target: TargetFormat;
  audit: Audit;
  afterPassword?: (ctx: Context, interaction: Interaction, sub: string) => Promise<void>;
}

const MAX_IDENTIFIER = 320;
const NO_INTERACTION = 'none';

const LINK_PAGES: Record<string, { heading: MessageKey; message: MessageKey; code: string }> = {
  invalid: { heading: 'reset_invalid_title', message: 'reset_invalid', code: 'reset_link_invalid' },
  expired: { heading: 'reset_expired_title', message: 'reset_expired', code: 'reset_link_expired' },
  used: { heading: 'reset_used_title', message: 'reset_used', code: 'reset_link_used' },
  superseded: {
    heading: 'reset_superseded_title',
    message: 'reset_superseded',
    code: 'reset_link_superseded',
  },
};

const POLICY_TEXT: Record<PolicyProblem, MessageKey> = {
  too_short: 'policy_too_short',
  too_weak: 'policy_too_weak',
  breached: 'policy_breached',
};

/** The interaction result key that marks a sign-in waiting for a new password. */
const PROMPT_KEY = 'bridge_password_prompt';

export function createPasswordResetRouter(deps: PasswordResetRouteDeps) {
  const { config, renderer, reset, policy } = deps;
  const maxPassword = config.security.max_password_bytes;
  const router = new Router();
  // Two password fields: room for two of the longest allowed.
  const parseForm = formParser(passwordFormLimit(maxPassword * 2));
  const form = z.object({
    identifier: z.string().optional(),
    password: z.string().optional(),
    confirm: z.string().optional(),
    csrf: z.string().optional(),
    action: z.string().optional(),
    locale: z.string().max(16).optional(),
  });
  const minutes = Math.round(config.password_reset.token_ttl_seconds / 60);
  const promptMode = config.password_policy.prompt_weak_legacy;

  async function details(ctx: Context): Promise<Interaction | undefined> {
    try {
      return await deps.provider().interactionDetails(ctx.req, ctx.res);
    } catch {
      return undefined;
    }
  }

  function tr(ctx: Context, interaction?: Interaction): Translate {
    return renderer.t(renderer.locale(ctx, interaction?.params.ui_locales as string | undefined));
  }

  function page(interaction: Interaction | undefined) {
    return {
      uiLocales: interaction?.params.ui_locales as string | undefined,
      // A reset signs the user in and goes on to the client: form-action must allow it.
      formTarget: interaction?.params.redirect_uri as string | undefined,
    };
  }

  async function expired(ctx: Context) {
    const t = tr(ctx);
    ctx.status = 400;
    await renderer.render(ctx, 'error', {
      heading: t('session_expired_title'),
      message: t('session_expired'),
      code: 'interaction_expired',
    });
  }

  function clientIp(ctx: Context): string {
    return config.security.trust_proxy ? ctx.ip : (ctx.req.socket.remoteAddress ?? ctx.ip);
  }

  function body(ctx: Context) {
    const parsed = form.safeParse(ctx.request.body ?? {});
    return parsed.success ? parsed.data : {};
  }

  /** The problems of a new password typed twice, as field errors; none when it will do. */
  function passwordErrors(t: Translate, password: string, confirm: string, problems: PolicyProblem[] = []) {
    const fe: Record<string, string> = {};
    if (!password) fe.password = t('missing_password');
    else if (Buffer.byteLength(password, 'utf8') > maxPassword)
      fe.password = t('password_too_long', { max: maxPassword });
    else if (problems.length)
      fe.password = problems.map((p) => t(POLICY_TEXT[p], { min: policy.minLength })).join(' ');
    else if (password !== confirm) fe.confirm = t('reset_mismatch');
    return fe;
  }

  /** Where a link was opened from: its sign-in, when that still lives in this browser. */
  async function liveInteraction(ctx: Context, uid: string): Promise<Interaction | undefined> {
    if (uid === NO_INTERACTION) return undefined;
    const interaction = await details(ctx);
    return interaction && interaction.uid === uid && interaction.prompt.name === 'login'
      ? interaction
      : undefined;
  }

  async function signIn(ctx: Context, interaction: Interaction, sub: string): Promise<void> {
    if (deps.afterPassword) return deps.afterPassword(ctx, interaction, sub);
    const to = await deps
      .provider()
      .interactionResult(ctx.req, ctx.res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
  }

  if (reset) {
    router.get('/interaction/:uid/forgot', async (ctx) => {
      const interaction = await details(ctx);
      if (!interaction || interaction.uid !== ctx.params.uid) return expired(ctx);
      await renderer.render(
        ctx,
        'forgot',
        { uid: interaction.uid, csrf: csrfToken(deps.cookieKeys()[0]!, `forgot:${interaction.uid}`) },
        page(interaction),
      );
    });

    router.post('/interaction/:uid/forgot', parseForm, async (ctx) => {
      const interaction = await details(ctx);
      if (!interaction || interaction.uid !== ctx.params.uid) return expired(ctx);
      const t = tr(ctx, interaction);
      const { identifier = '', csrf } = body(ctx);
      const csrfNew = csrfToken(deps.cookieKeys()[0]!, `forgot:${interaction.uid}`);
      const again = async (status: number, extra: Record<string, unknown>) => {
        ctx.status = status;
        await renderer.render(
          ctx,
          'forgot',
          { uid: interaction.uid, csrf: csrfNew, ...extra },
          page(interaction),
        );
      };
      if (!csrfValid(deps.cookieKeys(), `forgot:${interaction.uid}`, csrf))
        return again(403, { error: t('csrf') });
      const shown = identifier.length <= MAX_IDENTIFIER && !identifier.includes('\0') ? identifier : '';
      if (!identifier.trim()) return again(400, { fieldErrors: { identifier: t('missing_identifier') } });
      if (identifier.length > MAX_IDENTIFIER)
        return again(400, {
          identifier: '',
          fieldErrors: { identifier: t('identifier_too_long', { max: MAX_IDENTIFIER }) },
        });
      try {
        if (!identifier.includes('\0')) {
          await reset.request({
            identifier: identifier.trim(),
            ip: clientIp(ctx),
            locale: renderer.locale(ctx, interaction.params.ui_locales as string | undefined),
            interactionUid: interaction.uid,
            returnTo: returnToOf(interaction),
          });
        }
      } catch (err) {
        if (err instanceof ThrottledError) {
          ctx.set('Retry-After', String(err.retryAfter));
          return again(429, {
            identifier: shown,
            error: t('forgot_throttled', { minutes: Math.max(1, Math.ceil(err.retryAfter / 60)) }),
          });
        }
        throw err;
      }
      await renderer.render(ctx, 'forgot-sent', { uid: interaction.uid, minutes }, page(interaction));
    });

    const linkPage = async (ctx: Context, uid: string, state: string, locale?: string) => {
      const t = renderer.t(renderer.locale(ctx, locale));
      const p = LINK_PAGES[state] ?? LINK_PAGES.invalid!;
      const interaction = await liveInteraction(ctx, uid);
      ctx.status = state === 'invalid' ? 400 : 410;
      await renderer.render(
        ctx,
        'reset-link',
        {
          heading: t(p.heading),
          message: t(p.message, { minutes }),
          code: p.code,
          forgotUrl: interaction ? `/interaction/${interaction.uid}/forgot` : undefined,
        },
        { uiLocales: locale },
      );
    };

    const renderResetForm = async (
      ctx: Context,
      uid: string,
      token: string,
      extra: {
        status?: number;
        error?: string;
        fieldErrors?: Record<string, string>;
        locale?: string | undefined;
      } = {},
    ) => {
      const t = renderer.t(renderer.locale(ctx, extra.locale));
      ctx.status = extra.status ?? 200;
      await renderer.render(
        ctx,
        'new-password',
        {
          heading: t('reset_title'),
          intro: t('reset_intro'),
          submit: t('reset_submit'),
          action: `/interaction/${encodeURIComponent(uid)}/reset/${token}`,
          csrf: csrfToken(deps.cookieKeys()[0]!, `reset:${token}`),
          minLength: policy.minLength,
          error: extra.error,
          fieldErrors: extra.fieldErrors,
          locale: extra.locale,
        },
        // The reset signs the user in and goes on to the client when the sign-in is still alive.
        { ...page(await liveInteraction(ctx, uid)), uiLocales: extra.locale },
      );
    };

    router.get('/interaction/:uid/reset/:token', async (ctx) => {
      const { uid, token } = ctx.params as { uid: string; token: string };
      const { state, locale } = await reset.state(token);
      if (state !== 'valid') return linkPage(ctx, uid, state, locale);
      await renderResetForm(ctx, uid, token, { locale });
    });

    router.post('/interaction/:uid/reset/:token', parseForm, async (ctx) => {
      const { uid, token } = ctx.params as { uid: string; token: string };
      const { password = '', confirm = '', csrf, locale } = body(ctx);
      const t = renderer.t(renderer.locale(ctx, locale));
      if (!csrfValid(deps.cookieKeys(), `reset:${token}`, csrf))
        return renderResetForm(ctx, uid, token, { status: 403, error: t('csrf'), locale });
      const early = passwordErrors(t, password, confirm);
      if (Object.keys(early).length)
        return renderResetForm(ctx, uid, token, { status: 400, fieldErrors: early, locale });
      let outcome: Awaited<ReturnType<PasswordReset['complete']>>;
      try {
        outcome = await reset.complete(token, password, clientIp(ctx));
      } catch (err) {
        if (err instanceof LegacyUnavailableError) {
          ctx.set('Retry-After', '60');
          return renderResetForm(ctx, uid, token, { status: 503, error: t('reset_unavailable'), locale });
        }
        throw err;
      }
      if (!outcome.ok) {
        if (outcome.state === 'policy')
          return renderResetForm(ctx, uid, token, {
            status: 400,
            fieldErrors: passwordErrors(t, password, confirm, outcome.problems),
            locale,
          });
        return linkPage(ctx, uid, outcome.state, locale);
      }
      const interaction = await liveInteraction(ctx, uid);
      if (interaction) return signIn(ctx, interaction, outcome.sub);
      await renderer.render(
        ctx,
        'reset-done',
        { returnTo: outcome.returnTo ?? undefined },
        { uiLocales: locale },
      );
    });
  }

  // The new-password prompt after a login whose legacy password failed the policy.
  async function promptPage(
    ctx: Context,
    interaction: Interaction,
    extra: { status?: number; error?: string; fieldErrors?: Record<string, string> } = {},
  ) {
    const t = tr(ctx, interaction);
    ctx.status = extra.status ?? 200;
    await renderer.render(
      ctx,
      'new-password',
      {
        heading: t('weak_title'),
        intro: t('weak_intro'),
        submit: t('weak_submit'),
        action: `/interaction/${interaction.uid}/new-password`,
        csrf: csrfToken(deps.cookieKeys()[0]!, `prompt:${interaction.uid}`),
        minLength: policy.minLength,
        skippable: promptMode === 'skippable',
        ...extra,
      },
      page(interaction),
    );
  }

  const promptedSub = (interaction: Interaction): string | undefined =>
    (interaction.result as Record<string, { sub?: string }> | undefined)?.[PROMPT_KEY]?.sub;

  router.get('/interaction/:uid/new-password', async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction || interaction.uid !== ctx.params.uid || !promptedSub(interaction)) return expired(ctx);
    await promptPage(ctx, interaction);
  });

  router.post('/interaction/:uid/new-password', parseForm, async (ctx) => {
    const interaction = await details(ctx);
    const sub = interaction && interaction.uid === ctx.params.uid ? promptedSub(interaction) : undefined;
    if (!interaction || !sub) return expired(ctx);
    const t = tr(ctx, interaction);
    const { password = '', confirm = '', csrf, action } = body(ctx);
    if (!csrfValid(deps.cookieKeys(), `prompt:${interaction.uid}`, csrf))
      return promptPage(ctx, interaction, { status: 403, error: t('csrf') });
    const account = await deps.accounts.findBySub(sub);
    if (!account) return expired(ctx);
    if (action === 'skip' && promptMode === 'skippable') {
      // Asked once: a skipped prompt is not shown again.
      await deps.store.db('accounts').where({ sub }).update({ password_change_prompt: false });
      return signIn(ctx, interaction, sub);
    }
    const early = passwordErrors(t, password, confirm);
    if (Object.keys(early).length) return promptPage(ctx, interaction, { status: 400, fieldErrors: early });
    const words = Object.values(account.claims).filter((v): v is string => typeof v === 'string');
    const problems = await policy.problems(password, words);
    if (problems.length)
      return promptPage(ctx, interaction, {
        status: 400,
        fieldErrors: passwordErrors(t, password, confirm, problems),
      });
    const passwordHash = await hashBridgePassword(password);
    const form = deps.target.updates ? await deps.target.passwordForm(password) : undefined;
    await deps.store.db.transaction(async (trx) => {
      await trx('accounts')
        .where({ sub })
        .update({ password_hash: passwordHash, password_change_prompt: false, updated_at: trx.fn.now() });
      if (form !== undefined) {
        await enqueuePasswordChange(trx, {
          sub,
          payload: { legacy_id: account.legacy_id },
          secret: form === null ? null : deps.box.seal(form),
        });
      }
      await deps.audit.record(
        { type: 'password_changed', outcome: 'success', reason: 'weak_legacy', sub },
        trx,
      );
    });
    return signIn(ctx, interaction, sub);
  });

  return {
    router,
    /** The login page's "Forgot password?" link, when the bridge runs the reset itself. */
    forgotUrl(uid: string): string | undefined {
      return reset ? `/interaction/${uid}/forgot` : undefined;
    },
    /**
     * After a right password: when the account must be asked for a new one, keeps the sub in
     * the interaction and sends the browser to the prompt; true when it did.
     */
    async promptIfNeeded(
      ctx: Context,
      interaction: Interaction,
      sub: string,
      prompt: boolean,
    ): Promise<boolean> {
      if (!prompt || promptMode === 'off') return false;
      interaction.result = { [PROMPT_KEY]: { sub } };
      await interaction.persist();
      ctx.status = 303;
      ctx.redirect(`/interaction/${interaction.uid}/new-password`);
      return true;
    },
  };
}

/** Where "back to the application" points once the sign-in is gone: the redirect URI's origin. */
function returnToOf(interaction: Interaction): string | undefined {
  const uri = interaction.params.redirect_uri;
  if (typeof uri !== 'string' || !URL.canParse(uri)) return undefined;
  const origin = new URL(uri).origin;
  return origin.startsWith('http') ? origin : undefined;
}

export type PasswordResetRoutes = ReturnType<typeof createPasswordResetRouter>;
