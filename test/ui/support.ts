// What the page tests share: the whole demo (bridge, legacy users, target, relying party)
// started in this process with the branding under test, and the steps that bring a browser
// to each of the bridge's pages.
import type { Page } from 'playwright-core';
import type { Config } from '../../src/config/schema.ts';
import { type RunningDemo, startDemo } from '../../src/demo/start-demo.ts';
import { createLogger } from '../../src/logger.ts';
import { freePort } from '../support/bridge.ts';

export async function startUiDemo(ui: Partial<Config['ui']>): Promise<RunningDemo> {
  return startDemo({
    port: await freePort(),
    rpPort: await freePort(),
    targetPort: await freePort(),
    host: '127.0.0.1',
    logger: createLogger({ level: 'warn' }),
    logLevel: 'warn',
    env: {},
    ui,
  });
}

/** Opens the bridge's login page through the demo application. */
export async function openLogin(page: Page, demo: RunningDemo, query = ''): Promise<void> {
  await page.goto(`${demo.rpUrl}/login${query}`);
  await page.waitForURL(`${demo.bridgeUrl}/interaction/**`);
}

export async function submitLogin(page: Page, identifier: string, password: string): Promise<void> {
  await page.locator('#identifier').fill(identifier);
  await page.locator('#password').fill(password);
  await page.locator('form[action$="/login"] button[type=submit]').click();
}

/** Signs in through the demo application and waits for its result page. */
export async function signInThroughDemo(page: Page, demo: RunningDemo, identifier: string, password: string) {
  await openLogin(page, demo);
  await submitLogin(page, identifier, password);
  await page.waitForURL(`${demo.rpUrl}/me`);
}

/** The bridge's error page for an authorization request from a client it does not know. */
export function unknownClientUrl(demo: RunningDemo): string {
  const url = new URL(`${demo.bridgeUrl}/auth`);
  url.search = new URLSearchParams({
    client_id: 'no-such-app',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${demo.rpUrl}/callback`,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}
