// Renders the console's pages from views/console/ with the login pages' engine and CSP
// (Eta with auto-escaping, a fresh nonce per response, no external asset), and the same
// pages to a string for `migration report --html`. Formatting helpers live here so that
// every page writes numbers, dates and shares the same way.
import { randomBytes } from 'node:crypto';
import { Eta } from 'eta';
import type { Context } from 'koa';
import type { Config } from '../config/schema.ts';
import { securityHeaders, VIEWS_DIR } from '../ui/render.ts';
import { themeFor } from '../ui/theme.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const asDate = (d: Date | string | null | undefined) =>
  d === null || d === undefined ? undefined : new Date(d);

export const fmt = {
  n: (v: number | null | undefined) =>
    v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en-US'),
  pct: (v: number | null | undefined) =>
    v === null || v === undefined ? '–' : `${(v * 100).toFixed(v < 0.1 ? 1 : 0).replace(/\.0$/, '')}%`,
  /** 3 Dec 2026 */
  date: (d: Date | string | null | undefined) => {
    const t = asDate(d);
    return t ? `${t.getUTCDate()} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()}` : '–';
  },
  /** 2026-12-03 14:05 UTC */
  time: (d: Date | string | null | undefined) => {
    const t = asDate(d);
    return t ? `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '–';
  },
  hour: (d: Date | string | null | undefined) => {
    const t = asDate(d);
    return t ? `${t.toISOString().slice(0, 13).replace('T', ' ')}:00 UTC` : '–';
  },
};

export interface ConsoleRenderer {
  page(ctx: Context, view: string, data: Record<string, unknown>, status?: number): Promise<void>;
  /** The same page as a string, with the nonce given (the report writes its own CSP). */
  renderToString(view: string, data: Record<string, unknown>, nonce: string): Promise<string>;
}

export function createConsoleRenderer(
  config: Pick<Config, 'ui' | 'issuer'>,
  opts: { https: boolean },
): ConsoleRenderer {
  const eta = new Eta({ views: VIEWS_DIR, autoEscape: true, cache: true, useWith: false });
  const theme = themeFor(config.ui.primary_color);
  const productName = config.ui.product_name === 'Sign in' ? 'oidc-bridge' : config.ui.product_name;
  const renderToString = (view: string, data: Record<string, unknown>, nonce: string) =>
    eta.renderAsync(`console/${view}`, { ...data, theme, productName, fmt, nonce });
  return {
    renderToString,
    async page(ctx, view, data, status = 200) {
      const nonce = randomBytes(16).toString('base64');
      securityHeaders(ctx, nonce, opts.https);
      ctx.status = status;
      ctx.type = 'html';
      ctx.body = await renderToString(view, data, nonce);
    },
  };
}
