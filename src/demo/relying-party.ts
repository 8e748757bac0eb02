// The demo application: a relying party built on openid-client v6, as a real one would be.
// The code flow with PKCE, state and nonce kept in a signed, short-lived cookie; tokens
// exchanged server-side with the client secret; userinfo read with the access token.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import * as oidc from 'openid-client';
import type { Logger } from '../logger.ts';
import { securityHeaders } from '../ui/render.ts';
import type { Inspector } from './inspect.ts';
import type { DemoUser } from './legacy-db.ts';
import {
  type MailboxEntry,
  mailboxPage,
  messagePage,
  type PageLinks,
  resultPage,
  startPage,
} from './rp-pages.ts';

export interface RpClient {
  id: string;
  secret: string;
  name: string;
}

export type AppKey = 'main' | 'partner';

export interface DemoRelyingPartyOptions {
  /** Where browsers reach this application, without a trailing slash. */
  publicUrl: string;
  issuer: string;
  clients: Record<AppKey, RpClient>;
  users: DemoUser[];
  /** Which legacy store the demo runs, e.g. "an embedded PostgreSQL, table be_users". */
  legacySource: string;
  /** The demo's mail sink: its e-mails are shown at /mailbox. */
  mailbox?: { received: MailboxEntry[] } | undefined;
  inspector: Inspector;
  links: PageLinks;
  logger: Logger;
}

interface Session {
  app: AppKey;
  idToken: string;
  claims: Record<string, unknown>;
  userinfo: Record<string, unknown>;
  csrf: string;
}

interface Transaction {
  app: AppKey;
  state: string;
  nonce: string;
  verifier: string;
}

const TX_COOKIE = 'demo_rp_tx';
const SESSION_COOKIE = 'demo_rp_session';
const MAX_SESSIONS = 1000;
// The result page waits this long for a delivery in flight, so it usually shows the outcome.
const DELIVERY_WAIT_MS = 3000;

export const CALLBACK_PATH = '/callback';
export const SIGNED_OUT_PATH = '/signed-out';

export interface DemoRelyingParty {
  listen(port: number, host: string): Promise<{ close(): Promise<void> }>;
}

export async function createDemoRelyingParty(opts: DemoRelyingPartyOptions): Promise<DemoRelyingParty> {
  const { publicUrl, links, logger } = opts;
  const redirectUri = `${publicUrl}${CALLBACK_PATH}`;
  const configs = {} as Record<AppKey, oidc.Configuration>;
  for (const key of ['main', 'partner'] as const) {
    const c = opts.clients[key];
    configs[key] = await oidc.discovery(
      new URL(opts.issuer),
      c.id,
      c.secret,
      oidc.ClientSecretBasic(c.secret),
      {
        // The demo runs on plain http://localhost; a real relying party talks https only.
        execute: [oidc.allowInsecureRequests],
      },
    );
  }
  const sessions = new Map<string, Session>();

  const app = new Koa();
  app.keys = [randomBytes(32).toString('base64url')];
  app.silent = true;
  const router = new Router();

  function page(ctx: Context, status: number, render: (nonce: string) => string): void {
    const nonce = randomBytes(16).toString('base64');
    securityHeaders(ctx, nonce, false);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render(nonce);
  }

  function message(ctx: Context, status: number, title: string, text: string, detail?: string): void {
    page(ctx, status, (nonce) =>
      messagePage(nonce, { title, message: text, detail, links, bad: status >= 400 }),
    );
  }

  function sessionOf(ctx: Context): { id: string; session: Session } | undefined {
    const id = ctx.cookies.get(SESSION_COOKIE, { signed: true });
    const session = id ? sessions.get(id) : undefined;
    return id && session ? { id, session } : undefined;
  }

  const cookie = { signed: true, httpOnly: true, sameSite: 'lax' as const, overwrite: true, path: '/' };

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      logger.error({ err: { message: (err as Error).message } }, 'demo application: request failed');
      message(ctx, 500, 'Something went wrong', 'The demo application could not complete the request.');
    }
  });

  router.get('/', (ctx) => {
    const current = sessionOf(ctx);
    page(ctx, 200, (nonce) =>
      startPage(nonce, {
        users: opts.users,
        legacySource: opts.legacySource,
        links,
        signedInAs: current ? String(current.session.claims.email ?? current.session.claims.sub) : undefined,
        mails: opts.mailbox?.received.length,
      }),
    );
  });

  router.get(SIGNED_OUT_PATH, (ctx) => {
    page(ctx, 200, (nonce) =>
      startPage(nonce, {
        users: opts.users,
        legacySource: opts.legacySource,
        links,
        notice: 'You are signed out of the bridge and of this application.',
      }),
    );
  });

  router.get('/login', async (ctx) => {
    const appKey: AppKey = ctx.query.app === 'partner' ? 'partner' : 'main';
    const lang =
      typeof ctx.query.lang === 'string' && /^(en|tr)$/.test(ctx.query.lang) ? ctx.query.lang : undefined;
    const tx: Transaction = {
      app: appKey,
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
    };
    const url = oidc.buildAuthorizationUrl(configs[appKey], {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(tx.verifier),
      code_challenge_method: 'S256',
      state: tx.state,
      nonce: tx.nonce,
      ...(lang ? { ui_locales: lang } : {}),
    });
    ctx.cookies.set(TX_COOKIE, Buffer.from(JSON.stringify(tx)).toString('base64url'), {
      ...cookie,
      maxAge: 10 * 60 * 1000,
    });
    ctx.redirect(url.href);
  });

  router.get(CALLBACK_PATH, async (ctx) => {
    const raw = ctx.cookies.get(TX_COOKIE, { signed: true });
    ctx.cookies.set(TX_COOKIE, null, cookie);
    let tx: Transaction | undefined;
    try {
      tx = raw ? (JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Transaction) : undefined;
    } catch {
      tx = undefined;
    }
    if (!tx || !(tx.app in configs)) {
      return message(
        ctx,
        400,
        'This sign-in cannot be finished',
        'The browser came back without the sign-in cookie this application set (it expired, or the sign-in was started elsewhere). Start again.',
      );
    }
    if (typeof ctx.query.error === 'string') {
      const cancelled = ctx.query.error === 'access_denied';
      return message(
        ctx,
        cancelled ? 200 : 400,
        cancelled ? 'Sign-in cancelled' : 'Sign-in failed',
        cancelled ? 'You cancelled the sign-in. Nothing was changed.' : 'The bridge answered with an error.',
        `${ctx.query.error}${typeof ctx.query.error_description === 'string' ? `: ${ctx.query.error_description}` : ''}`,
      );
    }
    const config = configs[tx.app];
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, new URL(ctx.originalUrl, publicUrl), {
        pkceCodeVerifier: tx.verifier,
        expectedState: tx.state,
        expectedNonce: tx.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      return message(
        ctx,
        400,
        'Sign-in failed',
        'The code could not be exchanged for tokens.',
        (err as Error).message,
      );
    }
    const claims = tokens.claims()!;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    const id = randomBytes(24).toString('base64url');
    sessions.set(id, {
      app: tx.app,
      idToken: tokens.id_token!,
      claims: { ...claims },
      userinfo: { ...userinfo },
      csrf: randomBytes(24).toString('base64url'),
    });
    ctx.cookies.set(SESSION_COOKIE, id, cookie);
    ctx.status = 303;
    ctx.redirect('/me');
  });

  router.get('/me', async (ctx) => {
    const current = sessionOf(ctx);
    if (!current) {
      ctx.redirect('/');
      return;
    }
    const { session } = current;
    const sub = String(session.claims.sub);
    const inspection = await opts.inspector.settled(sub, DELIVERY_WAIT_MS);
    page(ctx, 200, (nonce) =>
      resultPage(nonce, {
        claims: session.claims,
        userinfo: session.userinfo,
        inspection,
        csrf: session.csrf,
        clientName: opts.clients[session.app].name,
        links,
      }),
    );
  });

  router.post('/logout', bodyParser({ enableTypes: ['form'] }), (ctx) => {
    const current = sessionOf(ctx);
    if (!current) {
      ctx.status = 303;
      ctx.redirect('/');
      return;
    }
    const given = Buffer.from(String((ctx.request.body as Record<string, unknown> | undefined)?.csrf ?? ''));
    const expected = Buffer.from(current.session.csrf);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return message(
        ctx,
        403,
        'Sign-out refused',
        'The sign-out form has expired. Reload the page and try again.',
      );
    }
    sessions.delete(current.id);
    ctx.cookies.set(SESSION_COOKIE, null, cookie);
    const url = oidc.buildEndSessionUrl(configs[current.session.app], {
      id_token_hint: current.session.idToken,
      post_logout_redirect_uri: `${publicUrl}${SIGNED_OUT_PATH}`,
    });
    ctx.status = 303;
    ctx.redirect(url.href);
  });

  router.get('/mailbox', (ctx) => {
    if (!opts.mailbox) return message(ctx, 404, 'No mailbox', 'This demo runs without a mail server.');
    const mails = opts.mailbox.received;
    page(ctx, 200, (nonce) => mailboxPage(nonce, { mails, links }));
  });

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use((ctx) => {
    message(ctx, 404, 'Page not found', 'There is no such page in the demo application.');
  });

  return {
    async listen(port, host) {
      const server = createServer(app.callback());
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      logger.debug({ port: (server.address() as AddressInfo).port }, 'demo application listening');
      return {
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      };
    },
  };
}
