// `migration report --html FILE`: the Progress and Delivery pages as one self-contained file,
// from a store with thirty days of history; it opens in a browser with nothing to fetch and
// no script, and a path that cannot be written is a clear error with nothing left behind.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationCommands } from '../../src/cli/commands/migration.ts';
import { type Io, runCli } from '../../src/cli/framework.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { hasChromium, launchChromium, screenshot } from '../support/chromium.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { seedHistory } from './support.ts';

let database: TestDatabase;
let store: Store;
let dir: string;
let config: string;

beforeAll(async () => {
  database = await createPgDatabase('obt_report');
  store = createStore({ database: database.url });
  await store.migrate();
  await seedHistory(store.db);
  dir = mkdtempSync(join(tmpdir(), 'oidc-bridge-report-'));
  config = join(dir, 'oidc-bridge.yaml');
  writeFileSync(config, JSON.stringify({ database: database.url, log_level: 'silent' }));
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdin: Readable.from([]),
    isTTY: false,
    env: {},
  };
  const code = await runCli(migrationCommands, argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('migration report --html', () => {
  it('writes one self-contained file with the progress and delivery pages', async () => {
    const file = join(dir, 'report.html');
    const r = await cli(['migration', 'report', '--html', file, '--config', config]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<h1>Migration progress</h1>');
    expect(html).toContain('<h1>Delivery to the target</h1>');
    expect(html).toContain('phone must be 5XXXXXXXXX or null');
    expect((html.match(/<svg viewBox/g) ?? []).length).toBe(4);
    expect(html).not.toMatch(/<script|<form|<link |(src|href)="(https?:|\/)/);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('opens in a browser with JavaScript off and nothing to fetch', async () => {
    if (!hasChromium) return;
    const file = join(dir, 'report.html');
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({
        javaScriptEnabled: false,
        viewport: { width: 1200, height: 900 },
      });
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(pathToFileURL(file).href);
      await screenshot(page, 'console-report');
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(await page.locator('svg[role=img]').count()).toBe(4);
    } finally {
      await browser.close();
    }
  });

  it('needs --html, and names a path it cannot write, leaving nothing behind', async () => {
    const missing = await cli(['migration', 'report', '--config', config]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--html is required.');
    const bad = join(dir, 'no-such-folder', 'report.html');
    const r = await cli(['migration', 'report', '--html', bad, '--config', config]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`Cannot write ${bad} (ENOENT)`);
    expect(existsSync(bad)).toBe(false);
  });
});
