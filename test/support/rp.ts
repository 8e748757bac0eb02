// A real relying party: openid-client v6 (not our code) configured against a running
// bridge, plus the browser steps of a login (authorize, post the form, consent, return).
import * as oidc from 'openid-client';
import { Browser, formOf, type Page } from './browser.ts';

export const REDIRECT_URI = 'http://127.0.0.1:8080/cb';

export async function relyingParty(
  issuer: string,
  clientId: string,
  secret?: string,
): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(issuer),
    clientId,
    secret ? { client_secret: secret } : { token_endpoint_auth_method: 'none' },
    secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
}

export interface LoginRun {
  browser: Browser;
  verifier: string;
  state: string;
  nonce: string;
  authorizationUrl: URL;
  loginPage: Page;
}

/** An authorization request with PKCE, state and nonce, for any browser to open. */
export async function authorizationRequest(config: oidc.Configuration, params: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { verifier, state, nonce, authorizationUrl };
}

export async function beginLogin(
  config: oidc.Configuration,
  params: Record<string, string> = {},
): Promise<LoginRun> {
  const { verifier, state, nonce, authorizationUrl } = await authorizationRequest(config, params);
  const browser = new Browser(REDIRECT_URI);
  const loginPage = await browser.get(authorizationUrl.toString());
  return { browser, verifier, state, nonce, authorizationUrl, loginPage };
}

export async function submitLogin(run: LoginRun, identifier: string, password: string): Promise<Page> {
  const form = formOf(run.loginPage, /\/login$/);
  return run.browser.post(form.action, { ...form.fields, identifier, password });
}

/** Accepts the consent page when one is shown; returns the page at the redirect_uri. */
export async function consentIfAsked(run: LoginRun, page: Page): Promise<Page> {
  if (page.url.startsWith(REDIRECT_URI)) return page;
  const form = formOf(page, /\/confirm$/);
  return run.browser.post(form.action, form.fields);
}

/** The whole browser part: login, consent if asked, and the callback URL with the code. */
export async function loginThroughBrowser(
  config: oidc.Configuration,
  identifier: string,
  password: string,
  params: Record<string, string> = {},
) {
  const run = await beginLogin(config, params);
  const afterLogin = await submitLogin(run, identifier, password);
  const callback = await consentIfAsked(run, afterLogin);
  if (!callback.url.startsWith(REDIRECT_URI))
    throw new Error(`login did not return to the client: ${callback.status} ${callback.url}`);
  return { run, callbackUrl: new URL(callback.url) };
}

export async function exchange(config: oidc.Configuration, run: LoginRun, callbackUrl: URL) {
  return oidc.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: run.verifier,
    expectedState: run.state,
    expectedNonce: run.nonce,
    idTokenExpected: true,
  });
}
