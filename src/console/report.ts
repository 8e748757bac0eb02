// `migration report --html`: the console's Progress and Delivery pages as one self-contained
// HTML file (inline styles and SVG, its own CSP, no script, no link out), for a weekly e-mail
// to the business. Runs one rollup pass first, so the file says what the store says now.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { LegacySource } from '../legacy/source.ts';
import type { Store } from '../store/db.ts';
import { deliveryPage, progressPage } from './pages.ts';
import { createConsoleRenderer } from './render.ts';
import { rollUpNow } from './tick.ts';

export async function migrationReport(deps: {
  config: Config;
  store: Store;
  legacy?: LegacySource | undefined;
  now?: Date;
}): Promise<string> {
  const { config, store } = deps;
  const db = store.db;
  const rollups = await rollUpNow({ config, db, legacy: deps.legacy, now: deps.now });
  const renderer = createConsoleRenderer(config, { https: false });
  const nonce = randomBytes(16).toString('base64');
  const now = deps.now ?? new Date();
  const [progress, delivery] = await Promise.all([
    progressPage(rollups, { now }),
    deliveryPage(db, rollups, { now }),
  ]);
  const bare = { bare: true, report: true, actions: false, legacyConfigured: Boolean(config.legacy) };
  return renderer.renderToString(
    'report',
    {
      metaCsp: true,
      generatedAt: now,
      issuer: config.issuer,
      progress: await renderer.renderToString('progress', { ...bare, ...progress }, nonce),
      delivery: await renderer.renderToString(
        'delivery',
        { ...bare, ...delivery, targetType: config.target.type },
        nonce,
      ),
    },
    nonce,
  );
}
