// Assembles one bridge: store, keys, clients, accounts, legacy source, login library,
// oidc-provider and the koa app around it (health, readiness, metrics, interaction routes,
// one error mapper). `start()` listens; `stop()` drains requests in flight and closes pools.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Knex } from 'knex';
import Koa, { type Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Config } from './config/schema.ts';
import { type AdminListener, startAdminListener } from './console/admin-server.ts';
import { LegacyUnavailableError } from './errors.ts';
import { createPasswordResetRouter } from './interactions/password-reset.ts';
import { createInteractionRouter } from './interactions/routes.ts';
import { createLegacySource, type LegacySource } from './legacy/source.ts';
import { createLogger, type Logger } from './logger.ts';
import { type MailDispatcher, startMailDispatcher } from './mail/dispatcher.ts';
import { createMailTemplates } from './mail/templates.ts';
import type { MailTransport } from './mail/transport.ts';
import type { Metrics } from './metrics.ts';
import { createAccountFeatures } from './mfa/features.ts';
import { type AccountRow, createAccounts } from './migration/accounts.ts';
import { createLogin, type LoginGuard } from './migration/login.ts';
import { sweepExpired } from './oidc/adapter.ts';
import { createClientStore } from './oidc/clients.ts';
import { createKeyStore, type ProviderKeys } from './oidc/keys.ts';
import { payloadScope } from './oidc/payload-scope.ts';
import { createProvider, maxSignedTokenLifetime } from './oidc/provider.ts';
import { createStaticDocuments } from './oidc/static-documents.ts';
import { createPasswordReset, type PasswordReset } from './reset/password-reset.ts';
import { createLoginGuard } from './security/guard.ts';
import { loadPasswordPolicy } from './security/password-policy.ts';
import { createServices, type Services } from './services.ts';
import { createStore, type Store, storeOptions } from './store/db.ts';
import { noTracing, startTracing, type Tracing } from './tracing.ts';
import { errorResponse } from './ui/error-responses.ts';
import { createRenderer, renderErrorResponse, securityHeaders } from './ui/render.ts';
import { createTtlCache } from './util/ttl-cache.ts';

export interface BridgeOptions {
  logger?: Logger;
  /** Use an existing store (tests, the demo). */
  store?: Store;
  /** An existing knex instance for the legacy database (the demo's embedded one). */
  legacyDb?: Knex;
  /** How often replicas look for rotated keys. Milliseconds. */
  keyRefreshMs?: number;
  guard?: LoginGuard;
  metrics?: Metrics;
  /** Tracing started by the caller (whose logger carries its trace ids); else from config. */
  tracing?: Tracing;
  /** Sends the e-mails (the demo's in-process sink); else SMTP from `mail`. */
  mailTransport?: MailTransport;
}

export interface Bridge extends Services {
  config: Config;
  app: Koa;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  legacy: LegacySource | undefined;
  /** Password reset by e-mail, when `mail` is configured and password_reset.enabled. */
  passwordReset: PasswordReset | undefined;
  /** Sends queued e-mails, when `mail` is configured. */
  mail: MailDispatcher | undefined;
  provider(): Provider;
  /** Re-reads keys from the store and rebuilds the provider when they changed. */
  refreshKeys(): Promise<boolean>;
  listen(port?: number, host?: string): Promise<{ url: string; server: Server }>;
  /** The admin listener (console, /metrics), after listen(); closed by stop(). */
  listenAdmin(port?: number, host?: string): Promise<AdminListener>;
  stop(): Promise<void>;
  /** Runs at stop(), alongside the drain of requests in flight and before the store closes. */
  onStop(fn: () => Promise<void> | void): void;
}

export async function createBridge(config: Config, opts: BridgeOptions = {}): Promise<Bridge> {
  const store = opts.store ?? createStore({ ...storeOptions(config), logger: opts.logger });
  try {
    return await assemble(config, { ...opts, store }, !opts.store);
  } catch (err) {
    // A start that fails (a wrong key, a store that went away) leaves no pool open behind it.
    if (!opts.store) await store.close().catch(() => {});
    throw err;
  }
}

async function assemble(
  config: Config,
  opts: BridgeOptions & { store: Store },
  ownsStore: boolean,
): Promise<Bridge> {
  const ownTracing = opts.tracing ? undefined : await startTracing(config.tracing);
  const tracing = opts.tracing ?? ownTracing ?? noTracing;
  const logger =
    opts.logger ??
    createLogger({ level: config.log_level, mixin: tracing.enabled ? tracing.logFields : undefined });
  const store = opts.store;
  await store.migrate();
  const db = store.db;
  const services = createServices(config, { store, logger, metrics: opts.metrics });
  const { box, audit, metrics, target } = services;
  if (!box.enabled) {
    logger.warn(
      'no key_encryption_key is set: private signing keys are stored unencrypted. Set OIDC_BRIDGE_KEY (openssl rand -base64 32) to encrypt them.',
    );
  }
  const keyStore = createKeyStore(db, box);
  if (await keyStore.ensure()) logger.info('generated signing keys (RS256, ES256) and a cookie key');
  let keys: ProviderKeys = await keyStore.load();

  const clients = createClientStore(db, box);
  const accounts = createAccounts(db);
  const features = createAccountFeatures({ config, store, box, audit, logger });
  const legacy = config.legacy
    ? createLegacySource(config.legacy, { logger, knex: opts.legacyDb })
    : undefined;
  if (legacy) await checkLegacyAtStart(legacy, logger);
  const ownGuard = opts.guard ? undefined : createLoginGuard({ config, store, metrics, audit, logger });
  const policy = await loadPasswordPolicy(config.password_policy);
  // Accounts by sub for findAccount (oidc.read_cache_seconds): a login leaves the row it read
  // or wrote, so that the return to /auth right after it does not read it again.
  const accountCache = createTtlCache<AccountRow>(config.oidc.read_cache_seconds * 1000);
  const login = createLogin({
    accountSeen: (row) => accountCache.set(row.sub, row),
    config,
    db,
    accounts,
    legacy,
    audit,
    metrics,
    logger,
    guard: opts.guard ?? ownGuard,
    box,
    target,
    totpCarryOver: features.totpCarryOver,
    secondFactorSummary: features.factors.summaryOnLogin,
    tracing,
    policy,
  });
  const renderer = createRenderer(config);
  const passwordReset =
    config.mail && config.password_reset.enabled
      ? createPasswordReset({
          config,
          store,
          accounts,
          legacy,
          audit,
          logger,
          box,
          target,
          policy,
          templates: createMailTemplates(config),
          keys: () => keys.cookieKeys,
          revokeAll: (sub) => features.sessions.revokeAll(sub),
          legacySlot: (fn) => (opts.guard ?? ownGuard!).legacySlot(fn),
        })
      : undefined;

  const build = (k: ProviderKeys) =>
    createProvider({
      config,
      db,
      keys: k,
      clients,
      accounts,
      renderer,
      logger,
      consents: features.consents,
      shortLived: store.shortLived,
      accountCache,
    });
  const documentsOf = (p: Provider) =>
    createStaticDocuments(['/.well-known/openid-configuration', p.pathFor('jwks')]);
  let provider = build(keys);
  let providerHandler = provider.callback();
  let documents = documentsOf(provider);

  async function refreshKeys(): Promise<boolean> {
    await keyStore.prune();
    const next = await keyStore.load();
    if (next.fingerprint === keys.fingerprint) return false;
    keys = next;
    provider = build(keys);
    providerHandler = provider.callback();
    documents = documentsOf(provider);
    logger.info({ keys: next.jwks.keys.map((k) => k.kid) }, 'keys changed in the store; provider reloaded');
    return true;
  }

  const app = new Koa();
  app.proxy = config.security.trust_proxy;
  const https = config.issuer.startsWith('https:');

  // The one place errors become responses (through the table in ui/error-responses.ts):
  // bad input gets its message, an outage a 503 with Retry-After, anything else a plain
  // page, and nothing ever shows a stack trace.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const r = errorResponse(err);
      if (r.status >= 500) {
        if (r.log) logger.error({ err }, 'request failed');
        else
          logger.warn({ code: r.code, path: ctx.path }, 'request answered 503: a dependency is unavailable');
      }
      await renderErrorResponse(ctx, renderer, r);
    }
  });

  // The interaction routes' payload writes (the interaction's result) go out before the page.
  app.use(
    payloadScope(async (_ctx, err) => {
      throw err;
    }),
  );

  // Set by stop(). A load balancer still holding a keep-alive connection learns from
  // /readyz that this replica is going away, and every answer closes its connection.
  let stopping = false;

  // A parameter given twice arrives as an array, which no page of ours takes: a clear 400.
  app.use(async (ctx, next) => {
    const repeated = Object.entries(ctx.query).find(([, v]) => Array.isArray(v));
    if (repeated) {
      const t = renderer.t(renderer.locale(ctx));
      ctx.status = 400;
      await renderer.render(ctx, 'error', {
        heading: t('error_title'),
        message: `${t('repeated_parameter')} (${repeated[0].slice(0, 40)})`,
        code: 'repeated_parameter',
      });
      return;
    }
    await next();
  });

  app.use(async (ctx, next) => {
    if (stopping) ctx.set('Connection', 'close');
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path === '/readyz') {
      if (stopping) {
        ctx.status = 503;
        ctx.body = { status: 'stopping', checks: {} };
        return;
      }
      // Both checks at once, each bounded: a stalled store or legacy database makes the
      // answer "not ready" within READY_CHECK_MS, never a probe that hangs.
      const [storeCheck, legacyCheck] = await Promise.all([
        readinessCheck(() => store.ping()),
        legacy ? readinessCheck(() => legacy.ping()) : undefined,
      ]);
      const checks: Record<string, string> = { store: storeCheck };
      if (legacyCheck) checks.legacy = legacyCheck;
      const ready = storeCheck === 'ok' && (legacyCheck === undefined || legacyCheck === 'ok');
      checks.target = config.target.type === 'none' ? 'none' : 'not checked';
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'not ready', checks };
      return;
    }
    await next();
  });

  const secondFactor = features.routes({
    provider: () => provider,
    cookieKeys: () => keys.cookieKeys,
    renderer,
    accounts,
  });
  const resetRoutes = createPasswordResetRouter({
    config,
    provider: () => provider,
    cookieKeys: () => keys.cookieKeys,
    renderer,
    logger,
    reset: passwordReset,
    policy,
    accounts,
    store,
    box,
    target,
    audit,
    afterPassword: secondFactor.afterPassword,
  });
  const interactions = createInteractionRouter({
    config,
    provider: () => provider,
    cookieKeys: () => keys.cookieKeys,
    login,
    renderer,
    logger,
    afterPassword: secondFactor.afterPassword,
    passkeys: config.mfa.passkeys.enabled,
    reset: resetRoutes,
    async accountLabel(sub) {
      const claims = (await accounts.findBySub(sub))?.claims as Record<string, unknown> | undefined;
      const label = claims?.email ?? claims?.preferred_username;
      return typeof label === 'string' ? label : undefined;
    },
  });
  app.use(secondFactor.router.routes());
  app.use(resetRoutes.router.routes());
  app.use(interactions.routes());
  app.use(interactions.allowedMethods());

  app.use(async (ctx: Context) => {
    if (ctx.path === '/' && ctx.method === 'GET') {
      ctx.redirect('/.well-known/openid-configuration');
      return;
    }
    ctx.status = 404;
    ctx.body = { error: 'not_found', error_description: 'No such endpoint.' };
  });

  // Everything that is not ours is oidc-provider's, handed its request straight from the
  // HTTP server: it is a koa app of its own (its own cookie keys), and a second koa
  // context per request would cost the token and discovery endpoints for nothing.
  const koaHandler = app.callback();
  const OWN_PATHS = /^\/(interaction(\/|$)|healthz$|readyz$|$)/;
  const issuerUrl = new URL(config.issuer);
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    // Every URL the bridge writes (discovery, redirects, form actions) comes from the issuer:
    // whatever Host or X-Forwarded-Host a request names is never reflected, and a malformed
    // one (a port out of range) cannot break the URL a handler builds from it.
    req.headers.host = issuerUrl.host;
    // Deleted only when sent: a delete turns the headers object into a slow dictionary that
    // every later header read (koa, oidc-provider) then pays for.
    if (req.headers['x-forwarded-host'] !== undefined) delete req.headers['x-forwarded-host'];
    if (config.security.trust_proxy) req.headers['x-forwarded-proto'] = issuerUrl.protocol.slice(0, -1);
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (OWN_PATHS.test(path)) {
      void koaHandler(req, res);
      return;
    }
    if (stopping) res.setHeader('Connection', 'close');
    securityHeadersForProvider(res, https);
    if (documents.answer(req, res)) return;
    void providerHandler(req, res);
  };

  const logoutDelivery = features.startLogoutDelivery(() => provider);
  const mail = config.mail
    ? startMailDispatcher({ config: config.mail, db, box, logger, transport: opts.mailTransport })
    : undefined;
  const stopHooks: Array<() => Promise<void> | void> = [
    () => logoutDelivery.stop(),
    async () => {
      await passwordReset?.settled();
      await mail?.stop();
    },
  ];
  let server: Server | undefined;
  let mainUrl: string | undefined;
  const sockets = new Set<Socket>();
  const responses = new Set<ServerResponse>();
  const timers: NodeJS.Timeout[] = [];

  timers.push(
    setInterval(() => {
      sweepExpired(db).catch((err) =>
        logger.warn({ err: { message: err.message } }, 'sweep of expired rows failed'),
      );
    }, 60_000).unref(),
    setInterval(
      () => {
        refreshKeys().catch((err) => logger.warn({ err: { message: err.message } }, 'key refresh failed'));
      },
      opts.keyRefreshMs ?? config.oidc.key_refresh_seconds * 1000,
    ).unref(),
  );

  return {
    ...services,
    app,
    legacy,
    passwordReset,
    mail,
    provider: () => provider,
    refreshKeys,
    onStop(fn) {
      stopHooks.push(fn);
    },
    async listen(port = config.port, host = config.host) {
      server = createServer(
        { headersTimeout: config.http.headers_timeout_ms, requestTimeout: config.http.request_timeout_ms },
        handle,
      );
      server.keepAliveTimeout = config.http.keep_alive_timeout_ms;
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      server.on('request', (_req, res: ServerResponse) => {
        responses.add(res);
        res.on('close', () => responses.delete(res));
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => resolve());
      });
      const address = server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      mainUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actualPort}`;
      return { url: mainUrl, server };
    },
    async listenAdmin(port, host) {
      if (!mainUrl) throw new Error('listenAdmin() needs listen() first');
      const admin = await startAdminListener(
        { config, store, metrics, audit, logger, legacy, mainUrl, cookieKeys: () => keys.cookieKeys },
        port,
        host,
      );
      stopHooks.push(() => admin.close());
      return admin;
    },
    async stop() {
      stopping = true;
      for (const t of timers) clearInterval(t);
      const drain = async () => {
        if (!server) return;
        const s = server;
        const closed = new Promise<void>((resolve) => s.close(() => resolve()));
        // Answers still being worked on close their connection when sent, so clients do
        // not reuse a socket that is about to go; connections that turn idle are closed
        // as they do, instead of waiting for the client's keep-alive timeout.
        for (const res of responses) if (!res.headersSent) res.setHeader('Connection', 'close');
        s.closeIdleConnections();
        const sweep = setInterval(() => s.closeIdleConnections(), 100);
        const deadline = setTimeout(() => {
          logger.warn({ open: sockets.size }, 'shutdown timeout: closing remaining connections');
          for (const sock of sockets) sock.destroy();
        }, config.shutdown_timeout_ms);
        deadline.unref();
        await closed;
        clearInterval(sweep);
        clearTimeout(deadline);
      };
      // The hooks (the delivery worker) drain at the same time, so that the whole stop
      // stays within shutdown_timeout_ms; pools and the store close only after both.
      await Promise.all([drain(), ...stopHooks.map(async (fn) => fn())]);
      await ownGuard?.close();
      await legacy?.close();
      await ownTracing?.shutdown();
      if (ownsStore) await store.close();
    },
  };
}

/**
 * A configuration that does not fit the legacy table stops the start (the key and the fix);
 * a legacy database that is down only warns: logins answer 503 until it is back.
 */
async function checkLegacyAtStart(legacy: LegacySource, logger: Logger): Promise<void> {
  try {
    await legacy.checkSchema();
  } catch (err) {
    if (err instanceof LegacyUnavailableError) {
      logger.warn(
        { code: err.code },
        'legacy database unavailable at start; logins answer 503 until it is back',
      );
      return;
    }
    throw err;
  }
}

const READY_CHECK_MS = 1000;

/** ok, timeout, missing (a table or grant the configuration names is gone) or unreachable. */
async function readinessCheck(fn: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), READY_CHECK_MS);
  });
  try {
    return await Promise.race([fn().then(() => 'ok'), timeout]);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return code === 'legacy_schema_missing' || code === 'legacy_config_invalid' ? 'missing' : 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

function securityHeadersForProvider(res: ServerResponse, https: boolean): void {
  // oidc-provider renders no inline script or style of its own except on pages we
  // replaced; these headers protect its JSON and redirect responses as well.
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (https) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
}

export { maxSignedTokenLifetime, securityHeaders };
