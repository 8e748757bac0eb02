// The operator console's routes: sign-in through the bridge, the four pages, and the
// actions (re-queue, give up, disable, enable), each behind a confirmation or a deliberate
// form, a CSRF token and an audit event. Routes validate their input with zod, call a
// library and render; everything an operator cannot fix is a page that says so.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { isBridgeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { AccountStatus } from '../migration/account-status.ts';
import type { Accounts } from '../migration/accounts.ts';
import type { DeliveryQueries } from '../migration/delivery-queries.ts';
import type { Audit } from '../security/audit.ts';
import { createAccountsView } from './accounts-view.ts';
import { type ConsoleOidc, inGroups } from './oidc-login.ts';
import { deliveryPage, progressPage, securityPage } from './pages.ts';
import type { ConsoleRenderer } from './render.ts';
import type { Rollups } from './rollups.ts';
import type { ConsoleSession, Sessions } from './session.ts';

export interface ConsoleRouteDeps {
  config: Config;
  db: Knex;
  accounts: Accounts;
  accountStatus: AccountStatus;
  deliveries: DeliveryQueries;
  rollups: Rollups;
  audit: Audit;
  logger: Logger;
  sessions: Sessions;
  oidc: ConsoleOidc;
  renderer: ConsoleRenderer;
  /** The admin listener's public base URL. */
  baseUrl: string;
}

interface AdminState {
  session: ConsoleSession;
  csrf: string;
}

const PAGES = [
  { href: '/console/progress', label: 'Progress' },
  { href: '/console/delivery', label: 'Delivery' },
  { href: '/console/security', label: 'Security' },
  { href: '/console/accounts', label: 'Accounts' },
];

const SOURCE_LABEL: Record<string, string> = {
  legacy: 'first login (lazy migration)',
  import: 'bulk import',
  local: 'created in the bridge',
};

const reasonField = z
  .string()
  .max(32)
  .regex(/^[a-z0-9_]*$/);
const retryForm = z.object({
  csrf: z.string().optional(),
  id: z.coerce.number().int().positive().optional(),
  status: z.enum(['failed', 'dead']).default('failed'),
  reason: reasonField.optional(),
});
const deadForm = z.object({
  csrf: z.string().optional(),
  id: z.coerce.number().int().positive().optional(),
  reason: reasonField.optional(),
});
const disableForm = z.object({ csrf: z.string().optional(), reason: z.string().trim().min(1).max(200) });

/** The line shown after an action, from a fixed set: a link cannot make the console say anything else. */
function flashOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(requeued|dead):(\d{1,9})$/.exec(value);
  if (m) {
    const n = Number(m[2]);
    const jobs = `${n} job${n === 1 ? '' : 's'}`;
    return m[1] === 'requeued' ? `Re-queued ${jobs}.` : `Moved ${jobs} to the dead letters.`;
  }
  if (value === 'disabled')
    return 'The account is disabled: it cannot log in, and its sessions no longer work.';
  if (value === 'enabled') return 'The account is enabled again.';
  return undefined;
}

/** A local path to come back to after sign-in; anything else goes to the Progress page. */
function safeNext(value: unknown): string {
  return typeof value === 'string' &&
    /^\/console(\/[A-Za-z0-9/_.%?=&-]*)?$/.test(value) &&
    !value.includes('//')
    ? value
    : '/console/progress';
}

export function createConsoleRouter(deps: ConsoleRouteDeps): Router {
  const { config, audit, logger, sessions, renderer } = deps;
  const view = createAccountsView(deps.db);
  const router = new Router({ prefix: '/console' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

  const actor = (s: ConsoleSession) => `console:${s.sub}`.slice(0, 64);
  const ip = (ctx: Context) => ctx.req.socket.remoteAddress;

  function common(ctx: Context, current?: string) {
    const admin = ctx.state.admin as AdminState | undefined;
    return {
      nav: admin ? PAGES.map((p) => ({ ...p, current: p.href === current })) : undefined,
      admin: admin ? { sub: admin.session.sub } : undefined,
      csrf: admin?.csrf,
      actions: true,
    };
  }

  async function message(
    ctx: Context,
    status: number,
    heading: string,
    text: string,
    extra: { detail?: string; link?: { href: string; label: string } } = {},
  ) {
    await renderer.page(
      ctx,
      'message',
      { ...common(ctx), heading, message: text, bad: status >= 400, ...extra },
      status,
    );
  }

  /** Still an admin: listed by sub or in an admin group, with an account that is not disabled. */
  async function isAdmin(sub: string): Promise<boolean> {
    const account = await deps.accounts.findBySub(sub);
    if (account?.disabled_at) return false;
    if (config.admin.admins.includes(sub)) return true;
    return account ? inGroups(account.claims, config.admin.group_claim, config.admin.admin_groups) : false;
  }

  async function requireAdmin(ctx: Context, next: Next) {
    const session = sessions.read(ctx);
    if (!session || !(await isAdmin(session.sub))) {
      if (session) sessions.end(ctx);
      if (ctx.method === 'GET') {
        ctx.redirect(`/console/login?next=${encodeURIComponent(ctx.originalUrl)}`);
        return;
      }
      await message(ctx, 403, 'Sign in first', 'This action needs an operator signed in to the console.', {
        link: { href: '/console/login', label: 'Sign in' },
      });
      return;
    }
    ctx.state.admin = { session, csrf: sessions.csrf(session) } satisfies AdminState;
    await next();
  }

  /** Every POST: a valid CSRF token for this session, or nothing happens (and that is audited). */
  async function requireCsrf(ctx: Context, next: Next) {
    const admin = ctx.state.admin as AdminState;
    const token = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
    if (!sessions.csrfValid(admin.session, token)) {
      await audit.record({
        type: 'admin.console_refused',
        outcome: 'failure',
        reason: 'csrf',
        actor: actor(admin.session),
        ip: ip(ctx),
        details: { path: ctx.path },
      });
      await message(
        ctx,
        403,
        'This form has expired',
        'The form was not sent from this console session, so nothing was changed.',
        { link: { href: '/console/progress', label: 'Back to the console' } },
      );
      return;
    }
    await next();
  }

  router.get('/', (ctx) => ctx.redirect('/console/progress'));

  router.get('/login', async (ctx) => {
    try {
      const { url, state, nonce, verifier } = await deps.oidc.authorizationUrl();
      sessions.saveLogin(ctx, { state, nonce, verifier, next: safeNext(ctx.query.next) });
      ctx.redirect(url.href);
    } catch (err) {
      logger.error({ err: { message: (err as Error).message } }, 'console sign-in: provider unreachable');
      await message(
        ctx,
        503,
        'Sign-in is unavailable',
        "The console could not reach the bridge's provider on the login port. Try again in a moment.",
      );
    }
  });

  router.get('/callback', async (ctx) => {
    const tx = sessions.takeLogin(ctx);
    if (!tx) {
      await message(ctx, 400, 'This sign-in has expired', 'The sign-in took too long or was already used.', {
        link: { href: '/console/login', label: 'Sign in again' },
      });
      return;
    }
    if (typeof ctx.query.error === 'string') {
      await message(
        ctx,
        403,
        'Sign-in was cancelled',
        'The bridge did not sign you in, so the console stays closed.',
        {
          link: { href: '/console/login', label: 'Sign in again' },
        },
      );
      return;
    }
    let sub: string;
    try {
      ({ sub } = await deps.oidc.finish(new URL(ctx.originalUrl, deps.baseUrl), tx));
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message } }, 'console sign-in failed');
      await audit.record({
        type: 'admin.console_login',
        outcome: 'failure',
        reason: 'invalid_response',
        ip: ip(ctx),
      });
      await message(ctx, 400, 'Sign-in failed', 'The answer from the bridge could not be verified.', {
        link: { href: '/console/login', label: 'Sign in again' },
      });
      return;
    }
    if (!(await isAdmin(sub))) {
      await audit.record({
        type: 'admin.console_login',
        outcome: 'failure',
        reason: 'not_admin',
        sub,
        actor: `console:${sub}`.slice(0, 64),
        ip: ip(ctx),
      });
      await message(
        ctx,
        403,
        'Not an operator',
        `You signed in as ${sub}, who may not use the operator console.`,
        {
          detail: 'An operator is named by sub in admin.admins, or by a group in admin.admin_groups.',
        },
      );
      return;
    }
    const session = sessions.start(ctx, sub);
    await audit.record({
      type: 'admin.console_login',
      outcome: 'success',
      sub,
      actor: actor(session),
      ip: ip(ctx),
    });
    ctx.redirect(tx.next);
  });

  router.post('/logout', requireAdmin, form, requireCsrf, async (ctx) => {
    const admin = ctx.state.admin as AdminState;
    sessions.end(ctx);
    await audit.record({
      type: 'admin.console_logout',
      outcome: 'success',
      sub: admin.session.sub,
      actor: actor(admin.session),
      ip: ip(ctx),
    });
    ctx.state.admin = undefined;
    await message(ctx, 200, 'Signed out', 'You have left the operator console.', {
      link: { href: '/console/login', label: 'Sign in again' },
    });
  });

  router.get('/progress', requireAdmin, async (ctx) => {
    const data = await progressPage(deps.rollups);
    await renderer.page(ctx, 'progress', {
      ...common(ctx, '/console/progress'),
      ...data,
      legacyConfigured: Boolean(config.legacy),
    });
  });

  router.get('/delivery', requireAdmin, async (ctx) => {
    const data = await deliveryPage(deps.db, deps.rollups);
    const flash = flashOf(ctx.query.done);
    await renderer.page(ctx, 'delivery', {
      ...common(ctx, '/console/delivery'),
      ...data,
      targetType: config.target.type,
      flash,
    });
  });

  router.get('/delivery/confirm', requireAdmin, async (ctx) => {
    const parsed = z
      .object({
        action: z.enum(['retry', 'dead']),
        status: z.enum(['failed', 'dead']).default('failed'),
        reason: reasonField.optional(),
        id: z.coerce.number().int().positive().optional(),
      })
      .safeParse(ctx.query);
    if (!parsed.success) {
      await message(
        ctx,
        400,
        'Nothing to confirm',
        'The link names no job or group of jobs the console knows.',
        {
          link: { href: '/console/delivery', label: 'Back to Delivery' },
        },
      );
      return;
    }
    const { action, status, reason, id } = parsed.data;
    const which =
      id !== undefined ? `job ${id}` : `every ${status} job${reason ? ` with reason "${reason}"` : ''}`;
    const fields: Record<string, string> = {
      ...(id !== undefined ? { id: String(id) } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(action === 'retry' ? { status } : {}),
    };
    await renderer.page(ctx, 'confirm', {
      ...common(ctx, '/console/delivery'),
      heading: action === 'retry' ? 'Re-queue deliveries' : 'Give up on deliveries',
      question:
        action === 'retry'
          ? `Put ${which} back in the queue, due now, with a fresh attempt budget?`
          : `Move ${which} to the dead letters? Their password forms are erased; a later login of the user delivers again.`,
      warning:
        action === 'retry' && status === 'dead'
          ? 'Dead jobs keep their row copy but no longer hold a password form: where the target takes one they wait, saying so, until the user logs in once more.'
          : undefined,
      action: action === 'retry' ? '/console/delivery/retry' : '/console/delivery/dead',
      fields,
      confirmLabel: action === 'retry' ? 'Re-queue' : 'Give up on them',
      danger: action === 'dead',
      cancelHref: '/console/delivery',
    });
  });

  router.post('/delivery/retry', requireAdmin, form, requireCsrf, async (ctx) => {
    const admin = ctx.state.admin as AdminState;
    const parsed = retryForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) {
      await message(
        ctx,
        400,
        'Nothing was re-queued',
        'The form named no job or group of jobs the console knows.',
      );
      return;
    }
    const { id, status, reason } = parsed.data;
    const ids = await deps.deliveries.requeue([status], id, reason);
    if (ids.length) await deps.deliveries.notify();
    await audit.record({
      type: 'admin.delivery_retry',
      outcome: 'success',
      actor: actor(admin.session),
      ip: ip(ctx),
      details: {
        jobs: ids.length,
        statuses: [status],
        ...(id !== undefined ? { id } : {}),
        ...(reason ? { reason } : {}),
      },
    });
    ctx.status = 303;
    ctx.redirect(`/console/delivery?done=requeued:${ids.length}`);
  });

  router.post('/delivery/dead', requireAdmin, form, requireCsrf, async (ctx) => {
    const admin = ctx.state.admin as AdminState;
    const parsed = deadForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) {
      await message(
        ctx,
        400,
        'Nothing was changed',
        'The form named no job or group of jobs the console knows.',
      );
      return;
    }
    const { id, reason } = parsed.data;
    const ids = await deps.deliveries.deadLetter(id, reason);
    await audit.record({
      type: 'admin.delivery_dead_lettered',
      outcome: 'success',
      actor: actor(admin.session),
      ip: ip(ctx),
      details: { jobs: ids.length, ...(id !== undefined ? { id } : {}), ...(reason ? { reason } : {}) },
    });
    ctx.status = 303;
    ctx.redirect(`/console/delivery?done=dead:${ids.length}`);
  });

  router.get('/security', requireAdmin, async (ctx) => {
    const data = await securityPage(deps.rollups);
    await renderer.page(ctx, 'security', { ...common(ctx, '/console/security'), ...data });
  });

  router.get('/accounts', requireAdmin, async (ctx) => {
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.slice(0, 320) : '';
    const results = q ? await view.search(q) : [];
    if (results.length === 1 && q) {
      // One match: its page is what the operator was looking for.
      ctx.redirect(`/console/accounts/${encodeURIComponent(results[0]!.sub)}`);
      return;
    }
    await renderer.page(ctx, 'accounts', { ...common(ctx, '/console/accounts'), q, results });
  });

  router.get('/accounts/:sub', requireAdmin, async (ctx) => {
    const sub = ctx.params.sub!;
    const account = await view.find(sub);
    if (!account) {
      await message(ctx, 404, 'No such account', `No bridge account has the sub ${sub}.`, {
        link: { href: '/console/accounts', label: 'Search the accounts' },
      });
      return;
    }
    const [identifiers, deliveries, trail] = await Promise.all([
      view.identifiers(sub),
      view.deliveries(sub),
      view.audit(sub),
    ]);
    const flash = flashOf(ctx.query.done);
    await renderer.page(ctx, 'account', {
      ...common(ctx, '/console/accounts'),
      account,
      identifiers,
      deliveries,
      audit: trail,
      sourceLabel: SOURCE_LABEL,
      flash,
    });
  });

  for (const action of ['disable', 'enable'] as const) {
    router.post(`/accounts/:sub/${action}`, requireAdmin, form, requireCsrf, async (ctx) => {
      const admin = ctx.state.admin as AdminState;
      const sub = ctx.params.sub!;
      let reason: string | undefined;
      if (action === 'disable') {
        const parsed = disableForm.safeParse(ctx.request.body ?? {});
        if (!parsed.success) {
          await message(
            ctx,
            400,
            'The account was not disabled',
            'Give a reason (up to 200 characters): it is kept in the audit trail.',
            {
              link: { href: `/console/accounts/${encodeURIComponent(sub)}`, label: 'Back to the account' },
            },
          );
          return;
        }
        reason = parsed.data.reason;
      }
      try {
        await deps.accountStatus[action](sub, { actor: actor(admin.session), reason });
      } catch (err) {
        if (isBridgeError(err) && err.status === 404) {
          await message(ctx, 404, 'No such account', `No bridge account has the sub ${sub}.`);
          return;
        }
        throw err;
      }
      ctx.status = 303;
      ctx.redirect(`/console/accounts/${encodeURIComponent(sub)}?done=${action}d`);
    });
  }

  return router;
}
