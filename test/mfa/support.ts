// What the second-factor, passkey, consent and logout tests share: a bridge whose issuer is
// http://localhost:PORT (WebAuthn refuses an IP address as relying party id), a relying
// party on openid-client with a redirect_uri served by a small local server, and Chromium
// steps that run an authorization request and wait for it to come back there.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { type Bridge, createBridge } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createClientStore, type NewClient } from '../../src/oidc/clients.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { freePort, logLines } from '../support/bridge.ts';
import { axeViolations, describeViolations, screenshot } from '../support/chromium.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { captureLogLine, registerSecret } from '../support/secrets.ts';

/** The redirect_uri: a page of its own, so the browser really arrives back at the client. */
let callbackServer: Server | undefined;
export let CALLBACK = '';

async function ensureCallbackServer(): Promise<void> {
  if (callbackServer) return;
  const port = await freePort();
  callbackServer = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><html lang="en"><title>Back at the application</title><p>Back</p></html>');
  });
  await new Promise<void>((resolve) => callbackServer!.listen(port, '127.0.0.1', resolve));
  callbackServer.unref();
  CALLBACK = `http://127.0.0.1:${port}/cb`;
}
export const CLIENT_SECRET = registerSecret('client_secret', 'second-factor-tests-client-secret');

export interface LocalBridge {
  bridge: Bridge;
  config: Config;
  url: string;
  database: TestDatabase;
  addClient(
    c: Omit<NewClient, 'redirectUris' | 'secret'> & { redirectUris?: string[] },
  ): Promise<oidc.Configuration>;
  close(): Promise<void>;
}

export async function startLocalBridge(raw: Record<string, unknown>): Promise<LocalBridge> {
  await ensureCallbackServer();
  const database = await createPgDatabase();
  const port = await freePort();
  const config = parseConfig({
    issuer: `http://localhost:${port}`,
    port,
    host: '127.0.0.1',
    database: database.url,
    log_level: 'debug',
    ...raw,
  });
  const destination = new Writable({
    write(chunk, _enc, cb) {
      const line = chunk.toString();
      logLines.push(line);
      captureLogLine(line);
      cb();
    },
  });
  const bridge = await createBridge(config, { logger: createLogger({ level: 'debug', destination }) });
  await bridge.listen(port, '127.0.0.1');
  const url = `http://localhost:${port}`;
  return {
    bridge,
    config,
    url,
    database,
    async addClient(c) {
      await createClientStore(bridge.store.db, createSecretBox(config.key_encryption_key)).add({
        redirectUris: [CALLBACK],
        secret: CLIENT_SECRET,
        ...c,
      });
      return oidc.discovery(new URL(url), c.id, CLIENT_SECRET, oidc.ClientSecretBasic(CLIENT_SECRET), {
        execute: [oidc.allowInsecureRequests],
      });
    },
    async close() {
      await bridge.stop();
      await database.drop();
    },
  };
}

export interface Authorization {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function authorization(
  rp: oidc.Configuration,
  params: Record<string, string> = {},
): Promise<Authorization> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: CALLBACK,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

export async function waitForCallback(page: Page): Promise<URL> {
  await page.waitForURL(`${CALLBACK}**`);
  return new URL(page.url());
}

/** The code exchange by openid-client, which checks the ID token (signature, nonce, state). */
export async function exchange(rp: oidc.Configuration, auth: Authorization, callback: URL) {
  return oidc.authorizationCodeGrant(rp, callback, {
    pkceCodeVerifier: auth.verifier,
    expectedState: auth.state,
    expectedNonce: auth.nonce,
    idTokenExpected: true,
  });
}

export async function fillPassword(page: Page, identifier: string, password: string): Promise<void> {
  await page.locator('#identifier').fill(identifier);
  await page.locator('#password').fill(password);
  await page.locator('form[action$="/login"] button[type=submit]').click();
}

/** axe-core finds nothing serious on the page; the page is also kept as a screenshot. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const violations = await axeViolations(page);
  await screenshot(page, name);
  expect(violations, describeViolations(violations)).toEqual([]);
}

/**
 * A virtual authenticator in the page (DevTools WebAuthn domain): a platform authenticator
 * with user verification, as a phone or laptop with a fingerprint reader is.
 */
export async function addVirtualAuthenticator(page: Page): Promise<{ credentials(): Promise<number> }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials.length;
    },
  };
}

/** A configuration file that points the command line at this bridge's store. */
export function cliConfig(t: LocalBridge): string[] {
  const path = join(mkdtempSync(join(tmpdir(), 'oidc-bridge-cli-')), 'oidc-bridge.yaml');
  writeFileSync(path, `issuer: ${t.url}\ndatabase: ${t.database.url}\nlog_level: silent\n`);
  return ['--config', path];
}
