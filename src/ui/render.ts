// Renders the pages in views/ with Eta (auto-escaping on), in the user's language and the
// configured branding, with a fresh CSP nonce per response. Pages that carry a login form
// or tokens are never cached.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { Context } from 'koa';
import type { Config } from '../config/schema.ts';
import type { ErrorResponse } from './error-responses.ts';
import { type Locale, pickLocale, type Translate, translator } from './i18n.ts';
import { themeFor } from './theme.ts';

// views/ sits at the package root: two folders up from src/ui/, three from dist/src/ui/.
const HERE = dirname(fileURLToPath(import.meta.url));
export const VIEWS_DIR = [join(HERE, '../../views'), join(HERE, '../../../views')].find((d) =>
  existsSync(join(d, 'layout.eta')),
) as string;

export interface PageContext {
  uiLocales?: unknown;
}

export interface Renderer {
  render(ctx: Context, view: string, data: Record<string, unknown>, page?: PageContext): Promise<void>;
  /** ui_locales as given (a repeated parameter arrives as an array and is ignored). */
  locale(ctx: Context, uiLocales?: unknown): Locale;
  t(locale: Locale): Translate;
}

export function securityHeaders(ctx: Context, nonce: string, https: boolean): void {
  ctx.set(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
      "img-src 'self' data: https:",
      "connect-src 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  if (https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
}

export function createRenderer(config: Pick<Config, 'ui' | 'issuer'>): Renderer {
  const eta = new Eta({ views: VIEWS_DIR, autoEscape: true, cache: true, useWith: false });
  const https = config.issuer.startsWith('https:');
  const theme = themeFor(config.ui.primary_color);
  // The schema's default product name is a placeholder, not a name to show above the form.
  const brandName = config.ui.product_name === 'Sign in' ? undefined : config.ui.product_name;
  const locale = (ctx: Context, uiLocales?: unknown) => {
    const given = uiLocales ?? ctx.query.ui_locales;
    return pickLocale(
      typeof given === 'string' ? given : undefined,
      ctx.get('accept-language'),
      config.ui.default_locale,
    );
  };
  return {
    locale,
    t: translator,
    async render(ctx, view, data, page) {
      const loc = locale(ctx, page?.uiLocales);
      const nonce = randomBytes(16).toString('base64');
      securityHeaders(ctx, nonce, https);
      ctx.type = 'html';
      ctx.body = await eta.renderAsync(view, {
        ...data,
        ui: config.ui,
        identifierLabel: labelFor(config.ui.identifier_label, loc),
        theme,
        brandName,
        locale: loc,
        t: translator(loc),
        nonce,
      });
    },
  };
}

function labelFor(label: Config['ui']['identifier_label'], locale: Locale): string | undefined {
  return typeof label === 'string' ? label : label?.[locale];
}

/** An error page (HTML) or `{ error, error_description }` (JSON), as the table describes it. */
export async function renderErrorResponse(
  ctx: Context,
  renderer: Renderer,
  r: ErrorResponse,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const t = renderer.t(renderer.locale(ctx));
  const message = r.message ? t(r.message) : (r.text ?? t('error_generic'));
  ctx.status = r.status;
  if (r.retryAfter !== undefined) ctx.set('Retry-After', String(r.retryAfter));
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.body = { error: r.code, error_description: message };
    return;
  }
  await renderer.render(ctx, 'error', { heading: t(r.heading), message, code: r.code, ...extra });
}
