// The e-mails' templates: views/mail/NAME.text.eta and NAME.html.eta, rendered in the
// user's language with the branding of the pages (product name, logo, brand colour). The
// HTML one escapes everything it is given; the text one is plain text and needs none.
import { join } from 'node:path';
import { Eta } from 'eta';
import type { Config } from '../config/schema.ts';
import { type Locale, type MessageKey, translator } from '../ui/i18n.ts';
import { VIEWS_DIR } from '../ui/render.ts';
import { themeFor } from '../ui/theme.ts';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface MailTemplates {
  render(
    name: string,
    locale: Locale,
    subjectKey: MessageKey,
    data: Record<string, unknown>,
  ): Promise<RenderedMail>;
}

export function createMailTemplates(config: Pick<Config, 'ui' | 'issuer'>): MailTemplates {
  const views = join(VIEWS_DIR, 'mail');
  const html = new Eta({ views, autoEscape: true, cache: true, useWith: false });
  // Plain text keeps its blank lines: no trimming after tags.
  const text = new Eta({ views, autoEscape: false, autoTrim: false, cache: true, useWith: false });
  const theme = themeFor(config.ui.primary_color);
  // The schema's default product name is a page heading, not a name: the issuer's host then.
  const product = config.ui.product_name === 'Sign in' ? new URL(config.issuer).host : config.ui.product_name;
  // A relative logo cannot be fetched by a mail client; only an absolute https one is used.
  const logo = config.ui.logo_url?.startsWith('https://') ? config.ui.logo_url : undefined;
  return {
    async render(name, locale, subjectKey, data) {
      const t = translator(locale);
      const all = {
        ...data,
        t,
        locale,
        product,
        logo,
        brand: theme.brand,
        onBrand: theme.onBrand,
        linkColor: theme.link,
      };
      return {
        subject: t(subjectKey, { product }),
        text: await text.renderAsync(`${name}.text.eta`, all),
        html: await html.renderAsync(`${name}.html.eta`, all),
      };
    },
  };
}
