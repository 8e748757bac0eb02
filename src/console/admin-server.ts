// The admin listener: /metrics for Prometheus and the operator console, on a port of its
// own (admin.port, loopback by default) so that neither is reachable where users log in.
// It also runs the console's rollups once a minute. Built from what the bridge already
// has (store, metrics, audit, logger, legacy source), passed in by the composition root.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import Koa from 'koa';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { LegacySource } from '../legacy/source.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { createAccountStatus } from '../migration/account-status.ts';
import { createAccounts } from '../migration/accounts.ts';
import { createDeliveryQueries } from '../migration/delivery-queries.ts';
import type { Audit } from '../security/audit.ts';
import { createPayloads } from '../sessions/payloads.ts';
import { createSessions as createAccountSessions } from '../sessions/sessions.ts';
import type { Store } from '../store/db.ts';
import { errorResponse } from '../ui/error-responses.ts';
import { CALLBACK_PATH, createConsoleOidc, ensureConsoleClient } from './oidc-login.ts';
import { createConsoleRenderer } from './render.ts';
import { createRollups } from './rollups.ts';
import { createConsoleRouter } from './routes.ts';
import { createSessions } from './session.ts';
import { createConsoleTick } from './tick.ts';

export interface AdminDeps {
  config: Config;
  store: Store;
  metrics: Metrics;
  audit: Audit;
  logger: Logger;
  legacy?: LegacySource | undefined;
  /** The login listener's own address (http://127.0.0.1:PORT): readiness and token calls go there. */
  mainUrl: string;
  cookieKeys: () => string[];
  /** How often the rollups run. Milliseconds; default one minute. */
  tickMs?: number;
}

export interface AdminListener {
  url: string;
  server: Server;
  /** One pass of the rollups now (tests, the bench). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export async function startAdminListener(
  deps: AdminDeps,
  port = deps.config.admin.port,
  host = deps.config.admin.host,
): Promise<AdminListener> {
  const { config, store, metrics, audit, logger } = deps;
  const log = logger.child({ component: 'admin' });
  if (port !== 0 && port === config.port) {
    throw new ConfigError([
      `admin.port: ${port} is the login port too. Fix: give the admin listener a port of its own (default 9464).`,
    ]);
  }
  if (!LOOPBACK.test(host) && !config.admin.metrics_token) {
    log.warn(
      { host },
      'the admin listener is not on loopback and /metrics has no token: set admin.metrics_token',
    );
  }
  const db = store.db;
  const rollups = createRollups(db);
  const tick = createConsoleTick({ config, db, rollups, metrics, logger: log, legacy: deps.legacy });

  const server = createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL'
          ? new ConfigError([
              `admin.port: ${host}:${port} cannot be used (${err.code}). Fix: give the admin listener a free port and an address of this machine (admin.port, admin.host), or set admin.enabled: false.`,
            ])
          : err,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = (config.admin.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`).replace(
    /\/$/,
    '',
  );
  const https = url.startsWith('https:');

  const renderer = createConsoleRenderer(config, { https });
  const sessions = createSessions({
    cookieKeys: deps.cookieKeys,
    secure: https,
    maxAgeSeconds: config.admin.session_seconds,
  });
  const router = createConsoleRouter({
    config,
    db,
    accounts: createAccounts(db),
    accountStatus: createAccountStatus({
      db,
      audit,
      sessions: createAccountSessions(db, createPayloads(db, store.shortLived)),
    }),
    deliveries: createDeliveryQueries(db),
    rollups,
    audit,
    logger: log,
    sessions,
    oidc: createConsoleOidc({ config, mainUrl: deps.mainUrl, redirectUri: `${url}${CALLBACK_PATH}` }),
    renderer,
    baseUrl: url,
  });

  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    // The cookie keys come from the store and rotate: koa signs with whatever they are now.
    app.keys = deps.cookieKeys();
    try {
      await next();
    } catch (err) {
      // A store outage is a 503 with Retry-After here too, through the same table.
      const r = errorResponse(err);
      const status = r.status;
      if (r.log) log.error({ err }, 'admin request failed');
      if (r.retryAfter !== undefined) ctx.set('Retry-After', String(r.retryAfter));
      await renderer.page(
        ctx,
        'message',
        {
          heading:
            status === 503
              ? 'The bridge store is unavailable'
              : status >= 500
                ? 'Something went wrong'
                : 'The request could not be completed',
          message:
            status === 503
              ? 'The console will answer again once the store is back.'
              : status >= 500
                ? 'The console could not complete the request.'
                : (r.text ?? (err as Error).message ?? 'The request could not be completed.'),
          bad: true,
        },
        status,
      );
    }
  });
  app.use(async (ctx, next) => {
    if (ctx.path === '/metrics' && ctx.method === 'GET') {
      if (!metricsAllowed(config.admin.metrics_token, ctx.get('authorization'))) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
        ctx.body = {
          error: 'unauthorized',
          error_description: 'Send Authorization: Bearer <admin.metrics_token>.',
        };
        return;
      }
      await refreshGauges(deps);
      ctx.type = metrics.registry.contentType;
      ctx.body = await metrics.registry.metrics();
      return;
    }
    if (ctx.path === '/' && ctx.method === 'GET') {
      ctx.redirect('/console/progress');
      return;
    }
    await next();
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { error: 'not_found', error_description: 'No such endpoint.' };
  });
  server.on('request', app.callback());

  await ensureConsoleClient(db, config, `${url}${CALLBACK_PATH}`);
  void tick.run();
  const timer = setInterval(() => void tick.run(), deps.tickMs ?? 60_000);
  timer.unref();
  log.info({ url }, 'admin listener (console, metrics) listening');

  return {
    url,
    server,
    tick: () => tick.run(),
    async close() {
      clearInterval(timer);
      await tick.settle();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, 2000);
      deadline.unref();
      await closed;
      clearTimeout(deadline);
    },
  };
}

function metricsAllowed(token: string | undefined, header: string): boolean {
  if (!token) return true;
  const given = Buffer.from(header.replace(/^Bearer\s+/i, ''));
  const expected = Buffer.from(token);
  return (
    header.toLowerCase().startsWith('bearer ') &&
    given.length === expected.length &&
    timingSafeEqual(given, expected)
  );
}

/** Gauges read at scrape time: readiness as the login port answers it, and the key ages. */
async function refreshGauges(deps: AdminDeps): Promise<void> {
  const { metrics, store } = deps;
  try {
    const res = await fetch(`${deps.mainUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
    metrics.ready.set(res.ok ? 1 : 0);
    const body = (await res.json().catch(() => ({}))) as { checks?: Record<string, string> };
    metrics.readinessChecks.reset();
    for (const [check, state] of Object.entries(body.checks ?? {})) {
      if (state === 'none' || state === 'not checked') continue;
      metrics.readinessChecks.set({ check }, state === 'ok' ? 1 : 0);
    }
  } catch {
    metrics.ready.set(0);
  }
  try {
    const rows = (await store
      .db('keys')
      .where({ use: 'sig', status: 'active' })
      .select('alg')
      .max({ created: 'created_at' })
      .groupBy('alg')) as Array<{ alg: string; created: Date | string }>;
    metrics.signingKeyCreated.reset();
    for (const r of rows) metrics.signingKeyCreated.set({ alg: r.alg }, new Date(r.created).getTime() / 1000);
  } catch {
    // The store being down shows as readiness; the key gauge keeps its last value.
  }
}
