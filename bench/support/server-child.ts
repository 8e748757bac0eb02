// The server under load, in a process of its own so that its event-loop delay and CPU time
// are its own and not the load generator's: the bridge, or bare oidc-provider on the
// bridge's knex adapter, or bare oidc-provider on its memory adapter. Driven over IPC by
// servers.ts; run with `--cpu-prof` (BENCH_CPU_PROF=dir) to profile what it spends.
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import knexPkg, { type Knex } from 'knex';
import Provider, { type Configuration } from 'oidc-provider';
import { createBridge } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { legacyKnexConfig } from '../../src/legacy/sql/connection.ts';
import { createLogger } from '../../src/logger.ts';
import { startDeliveryWorker } from '../../src/migration/worker.ts';
import { createAdapterClass } from '../../src/oidc/adapter.ts';
import { createClientStore } from '../../src/oidc/clients.ts';
import { protocolConfiguration } from '../../src/oidc/provider.ts';
import { RATE_LIMIT_TABLE } from '../../src/security/guard.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { createStore } from '../../src/store/db.ts';
import { STORE_STATEMENT_NAME } from '../../src/store/prepared-statements.ts';
import type { Sample, ServerSpec, StatementCounts, ToChild, ToParent } from './servers.ts';

/** The parts of knex's tarn pool the soak reads. */
interface TarnPool {
  max: number;
  numFree(): number;
  numUsed(): number;
  numPendingCreates(): number;
  numPendingAcquires(): number;
  on(event: 'acquireRequest' | 'acquireSuccess' | 'acquireFail', fn: (id: number) => void): void;
}

const spec = JSON.parse(process.env.BENCH_SERVER_SPEC ?? '{}') as ServerSpec;
const send = (m: ToParent) => process.send?.(m);

async function signingKeys(): Promise<{ keys: JWK[] }> {
  // The same two algorithms and sizes the bridge's key store generates.
  const keys: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    });
    keys.push({ ...(await exportJWK(privateKey)), kid: `bench-${alg}`, alg, use: 'sig' });
  }
  return { keys };
}

async function startBare(): Promise<{ server: Server; close: () => Promise<void> }> {
  // Refresh tokens rotate as the bridge's do: its default, unless the bench turned it off.
  const oidcSection = (spec.bridgeConfig?.oidc ?? {}) as { rotate_refresh_tokens?: boolean };
  const defaults = parseConfig({
    oidc: { rotate_refresh_tokens: oidcSection.rotate_refresh_tokens ?? true },
  });
  const { client } = spec;
  const store = spec.kind === 'bare-knex' ? createStore({ database: spec.storeUrl }) : undefined;
  let adapter: Configuration['adapter'];
  let staticClients: Configuration['clients'] = [];
  if (store) {
    await store.migrate();
    const clients = createClientStore(store.db, createSecretBox(spec.keyEncryptionKey));
    await clients.add({ id: client.id, secret: client.secret, redirectUris: [client.redirectUri] });
    adapter = createAdapterClass(store.db, clients.find) as unknown as Configuration['adapter'];
  } else {
    staticClients = [
      {
        client_id: client.id,
        client_secret: client.secret,
        redirect_uris: [client.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ];
  }
  const claims = { sub: 'bench-user', email: 'bench-user@example.com', preferred_username: 'bench-user' };
  const provider = new Provider(spec.issuer, {
    ...(adapter ? { adapter } : {}),
    clients: staticClients,
    jwks: (await signingKeys()) as Configuration['jwks'],
    cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
    // The bridge's own protocol settings and defaults, so that only the bridge's parts differ.
    ...protocolConfiguration(defaults),
    async findAccount(_ctx, sub) {
      return { accountId: sub, claims: async () => ({ ...claims, sub }) };
    },
  });
  // No login page: one real login per server is all the endpoint bench needs, so the
  // interaction finishes at once with a fixed account and a grant of what was asked.
  provider.use(async (ctx, next) => {
    if (!/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const grant = new provider.Grant({ accountId: claims.sub, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    const to = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: claims.sub }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(to);
  });
  const server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(spec.port, '127.0.0.1', resolve));
  return {
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store?.close();
    },
  };
}

/** The request a statement is sent for, by its step in a login. */
function phaseOf(req: IncomingMessage): string {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/auth') return 'authorize';
  if (/^\/interaction\/[^/]+$/.test(path)) return 'login page';
  if (/^\/interaction\/[^/]+\/login$/.test(path)) return 'login post';
  if (/^\/interaction\/[^/]+\/confirm$/.test(path)) return 'consent';
  if (/^\/auth\/[^/]+$/.test(path)) return 'resume';
  if (path === '/token') return 'token';
  if (path === '/me') return 'userinfo';
  if (path === '/token/introspection') return 'introspection';
  return `${req.method} ${path.split('/').slice(0, 2).join('/')}`;
}

type PoolFigures = Pick<Sample, 'poolWaits' | 'poolAcquireMaxMs' | 'poolPendingAcquires'>;

/**
 * The store pool's waits, from tarn's events: an acquire that finds every connection in use
 * at the pool's maximum has to wait for a release. read() returns the window and starts the next.
 */
function watchPool(db: Knex): { read(): PoolFigures } {
  const pool = db.client.pool as TarnPool;
  const started = new Map<number, number>();
  let waits = 0;
  let maxMs = 0;
  pool.on('acquireRequest', (id: number) => {
    started.set(id, performance.now());
    if (pool.numFree() === 0 && pool.numUsed() + pool.numPendingCreates() >= pool.max) waits++;
  });
  const settled = (id: number) => {
    const t = started.get(id);
    started.delete(id);
    if (t !== undefined) maxMs = Math.max(maxMs, performance.now() - t);
  };
  pool.on('acquireSuccess', settled);
  pool.on('acquireFail', settled);
  return {
    read() {
      const figures = {
        poolWaits: waits,
        poolAcquireMaxMs: Math.round(maxMs * 100) / 100,
        poolPendingAcquires: pool.numPendingAcquires(),
      };
      waits = 0;
      maxMs = 0;
      return figures;
    },
  };
}

const requestPhase = new AsyncLocalStorage<string>();
const PAYLOAD_MODELS = new Set([
  'Session',
  'Interaction',
  'Grant',
  'AuthorizationCode',
  'AccessToken',
  'RefreshToken',
  'ReplayDetection',
  'PushedAuthorizationRequest',
]);
let counts: StatementCounts = { store: {}, background: 0, legacy: 0 };
let legacyAtReset = 0;

/**
 * Every statement the store is sent, under the request it serves: the listener runs first
 * in the request's synchronous dispatch, so the handler's work inherits the phase.
 */
/** The reads behind the read caches of clients and accounts (src/oidc/clients.ts, the account cache). */
const CACHE_READ = /^select (\* from "accounts" where "sub"|"metadata" from "clients")/;

function countStatements(server: Server, db: Knex): void {
  server.prependListener('request', (req: IncomingMessage) => requestPhase.enterWith(phaseOf(req)));
  const keepSql = process.env.BENCH_STATEMENTS_SQL === '1';
  db.on('query', (q: { sql: string; bindings?: unknown[] }) => {
    const phase = requestPhase.getStore();
    if (keepSql) {
      const sql = counts.sql ?? {};
      counts.sql = sql;
      const key = phase ?? 'background';
      // The model a payload statement is about (a binding that names one; never a value).
      const model = q.bindings?.find((b): b is string => typeof b === 'string' && PAYLOAD_MODELS.has(b));
      const text = q.sql.replace(/\s+/g, ' ').slice(0, 160);
      sql[key] = [...(sql[key] ?? []), model ? `[${model}] ${text}` : text];
    }
    if (phase === undefined) counts.background++;
    else {
      counts.store[phase] = (counts.store[phase] ?? 0) + 1;
      if (CACHE_READ.test(q.sql)) counts.cacheReads = (counts.cacheReads ?? 0) + 1;
    }
  });
  // Counters kept by rate-limiter-flexible (the second-factor throttle, the reset limits) take
  // a connection from the pool and query it themselves, past knex's query events: counted
  // apart, at the driver (their statements carry rate-limiter-flexible's names; knex's carry the
  // store's, src/store/prepared-statements.ts, or none). The login guard's
  // counters go through knex and are counted with the rest.
  const driver = db.client as { acquireConnection(): Promise<unknown> };
  const acquire = driver.acquireConnection.bind(driver);
  const wrapped = new WeakSet<object>();
  driver.acquireConnection = async () => {
    const conn = (await acquire()) as { query: (q: unknown, ...rest: unknown[]) => unknown };
    if (!wrapped.has(conn)) {
      wrapped.add(conn);
      const query = conn.query.bind(conn);
      conn.query = (q: unknown, ...rest: unknown[]) => {
        const text = typeof q === 'string' ? q : (q as { text?: string } | undefined)?.text;
        const phase = requestPhase.getStore();
        const name = typeof q === 'object' && q !== null ? (q as { name?: unknown }).name : undefined;
        const named = typeof name === 'string' && !STORE_STATEMENT_NAME.test(name);
        if (phase !== undefined && named && text?.includes(RATE_LIMIT_TABLE)) {
          counts.rateLimits = (counts.rateLimits ?? 0) + 1;
        }
        return query(q, ...rest);
      };
    }
    return conn;
  };
}

async function startBridge(): Promise<{
  close: () => Promise<void>;
  legacyQueries: () => number;
  storeFigures: () => Promise<PoolFigures & { outboxDepth: number }>;
}> {
  const config = parseConfig({
    issuer: spec.issuer,
    port: spec.port,
    host: '127.0.0.1',
    database: spec.storeUrl,
    key_encryption_key: spec.keyEncryptionKey,
    log_level: 'error',
    ...spec.bridgeConfig,
  });
  const logger = createLogger({ level: 'error', pretty: false });
  // The legacy pool is made here, as the source would make it, so its statements can be counted.
  const legacyDb =
    config.legacy?.kind === 'sql' ? knexPkg.knex(legacyKnexConfig(config.legacy, logger).config) : undefined;
  let legacyStatements = 0;
  legacyDb?.on('query', () => {
    legacyStatements++;
  });
  const bridge = await createBridge(config, { logger, legacyDb });
  const { client } = spec;
  if (spec.registerClient !== false)
    await createClientStore(bridge.store.db, bridge.box).add({
      id: client.id,
      secret: client.secret,
      redirectUris: [client.redirectUri],
      firstParty: true,
    });
  const { server } = await bridge.listen(spec.port, '127.0.0.1');
  if (spec.worker) {
    const worker = startDeliveryWorker(bridge);
    bridge.onStop(() => worker.stop());
  }
  const pool = watchPool(bridge.store.db);
  if (spec.countStatements) countStatements(server, bridge.store.db);
  return {
    legacyQueries: () => legacyStatements,
    async storeFigures() {
      const row = await bridge.store.db('outbox').where({ status: 'pending' }).count({ n: '*' }).first();
      return { ...pool.read(), outboxDepth: Number(row?.n ?? 0) };
    },
    close: async () => {
      server.closeAllConnections();
      await bridge.stop();
      await legacyDb?.destroy();
    },
  };
}

const running =
  spec.kind === 'bridge' || spec.kind === 'bridge-redis' ? await startBridge() : await startBare();
let histogram: ReturnType<typeof monitorEventLoopDelay> | undefined;
// The soak's window: reset at every sample, apart from the measure-start/stop histogram.
const soakWindow = monitorEventLoopDelay({ resolution: 1 });
soakWindow.enable();
let cpuAtStart = process.cpuUsage();
let wallAtStart = process.hrtime.bigint();

/** The main thread's CPU milliseconds (user + system), from /proc; undefined without it. */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 1/100 s
  } catch {
    return undefined;
  }
}
let mainAtStart = mainThreadCpuMs();

// BENCH_COUNT_PROMISES=1: promises made and young-generation collections over a measured run,
// counts that the machine's noise does not move (the hook costs time of its own, so the rates
// of such a run are not the figures).
const allocations = { promises: 0, scavenges: 0 };
if (process.env.BENCH_COUNT_PROMISES === '1') {
  createHook({
    init(_id, type) {
      if (type === 'PROMISE') allocations.promises++;
    },
  }).enable();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if (
        ((e as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind ===
        constants.NODE_PERFORMANCE_GC_MINOR
      )
        allocations.scavenges++;
  }).observe({ entryTypes: ['gc'] });
}
let allocationsAtStart = { ...allocations };

process.on('message', async (m: ToChild) => {
  if (m.type === 'sample') {
    const memory = process.memoryUsage();
    const store = 'storeFigures' in running ? await running.storeFigures() : undefined;
    const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
    send({
      type: 'sampled',
      rssMb: mb(memory.rss),
      heapUsedMb: mb(memory.heapUsed),
      eventLoopP99Ms: Math.round(soakWindow.percentile(99) / 1e4) / 100,
      activeResources: process.getActiveResourcesInfo().length,
      poolWaits: store?.poolWaits ?? 0,
      poolAcquireMaxMs: store?.poolAcquireMaxMs ?? 0,
      poolPendingAcquires: store?.poolPendingAcquires ?? 0,
      outboxDepth: store?.outboxDepth,
    });
    soakWindow.reset();
  } else if (m.type === 'measure-start') {
    histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    cpuAtStart = process.cpuUsage();
    mainAtStart = mainThreadCpuMs();
    wallAtStart = process.hrtime.bigint();
    allocationsAtStart = { ...allocations };
    send({ type: 'measure-started' });
  } else if (m.type === 'measure-stop') {
    histogram?.disable();
    const cpu = process.cpuUsage(cpuAtStart);
    const mainNow = mainThreadCpuMs();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    send({
      type: 'measured',
      eventLoop: {
        p50Ms: ms(histogram?.percentile(50) ?? 0),
        p99Ms: ms(histogram?.percentile(99) ?? 0),
        maxMs: ms(histogram?.max ?? 0),
      },
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      mainThreadCpuMs: mainNow !== undefined && mainAtStart !== undefined ? mainNow - mainAtStart : undefined,
      wallMs: Math.round(Number(process.hrtime.bigint() - wallAtStart) / 1e6),
      ...(process.env.BENCH_COUNT_PROMISES === '1'
        ? {
            promises: allocations.promises - allocationsAtStart.promises,
            scavenges: allocations.scavenges - allocationsAtStart.scavenges,
          }
        : {}),
    });
  } else if (m.type === 'statements-reset') {
    counts = { store: {}, background: 0, legacy: 0 };
    legacyAtReset = 'legacyQueries' in running ? running.legacyQueries() : 0;
    send({ type: 'statements-were-reset' });
  } else if (m.type === 'statements-read') {
    const legacy = ('legacyQueries' in running ? running.legacyQueries() : 0) - legacyAtReset;
    send({ type: 'statements', ...counts, legacy });
  } else if (m.type === 'stop') {
    await running.close();
    // The hash worker pool and the pools' timers keep the process alive otherwise.
    process.exit(0);
  }
});

send({ type: 'ready', url: spec.issuer });
