// Requests per second and latency (p50, p99) of discovery, JWKS, the refresh grant, userinfo
// and introspection, hammered with autocannon, against the bridge, bare oidc-provider on the
// bridge's knex adapter (PostgreSQL) and bare oidc-provider on its memory adapter, and the
// bridge with store.redis_url when asked for. One real login per server first provides the
// access token. Refresh tokens rotate by default, as the bridge's do: each connection then
// keeps a token chain of its own (one login each) and sends the newest token every time.
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createPgDatabase, type TestDatabase } from '../test/support/databases.ts';
import { createRedisPrefix } from '../test/support/redis.ts';
import { basicAuth, keepAliveAgent, loginFlow, refresh, send, type Tokens } from './support/http-client.ts';
import {
  BENCH_PASSWORD,
  legacyFixture,
  type RunningServer,
  type ServerKind,
  startServer,
} from './support/servers.ts';
import { round } from './support/stats.ts';

export const ENDPOINTS = ['discovery', 'jwks', 'refresh', 'userinfo', 'introspection'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface EndpointsOptions {
  /** Seconds per autocannon run. Default 5. */
  durationSec?: number;
  /** Requests per run instead of a duration (the smoke test). */
  amount?: number;
  /** Connections autocannon keeps open. Default 10. */
  connections?: number;
  /** Unmeasured seconds against each server first. Default 1. */
  warmupSec?: number;
  kinds?: ServerKind[];
  endpoints?: readonly Endpoint[];
  /** oidc.rotate_refresh_tokens on every server. Default true, the bridge's default. */
  rotateRefreshTokens?: boolean;
}

/** The headers the bridge adds to oidc-provider's answers; the ratios are taken with them. */
export const BRIDGE_HEADERS = ['x-content-type-options', 'x-frame-options', 'referrer-policy'] as const;

export interface EndpointResult {
  rps: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  requests: number;
  /** Non-2xx answers and socket errors: any of them makes the figure suspect. */
  failures: number;
  /**
   * The server process's CPU per request over the run (main thread and every other thread),
   * and of it the main thread's (its event loop), where the machine has /proc. A server whose
   * main thread is busy through the run answers at the rate its CPU per request allows.
   */
  serverCpuMsPerRequest?: number;
  mainThreadCpuMsPerRequest?: number;
  /** The main thread's CPU over the run's wall time: near 1 when it was the bound. */
  mainThreadBusy?: number;
  /** With BENCH_COUNT_PROMISES=1: promises made and young-generation collections per request. */
  promisesPerRequest?: number;
  scavengesPer1000Requests?: number;
}

/** A run's server-side totals, kept to combine the halves of one figure. */
interface MeasuredRun extends EndpointResult {
  cpuMs: number;
  mainThreadCpuMs?: number;
  wallMs: number;
  promises?: number;
  scavenges?: number;
}

export interface EndpointsReport {
  connections: number;
  durationSec: number | undefined;
  /** Whether a refresh token still works after it was used (it does unless rotated). */
  refreshTokenRotates: Partial<Record<ServerKind, boolean>>;
  /** What the servers were configured with; the refresh figure is measured under it. */
  rotateRefreshTokens: boolean;
  /** Header names of one discovery and one JWKS answer of each server. */
  headers: Partial<Record<ServerKind, Partial<Record<'discovery' | 'jwks', string[]>>>>;
  /** Whether a bridge's discovery and JWKS answers carry every header of BRIDGE_HEADERS. */
  headersKept: Partial<Record<ServerKind, boolean>>;
  results: Partial<Record<ServerKind, Partial<Record<Endpoint, EndpointResult>>>>;
  /** bridge rps / bare rps, per endpoint. */
  ratioToBareKnex: Partial<Record<Endpoint, number>>;
  ratioToBareMemory: Partial<Record<Endpoint, number>>;
  /** The bridge with store.redis_url: rps / bare oidc-provider on its memory adapter. */
  redisRatioToBareMemory: Partial<Record<Endpoint, number>>;
  redisRatioToBareKnex: Partial<Record<Endpoint, number>>;
}

const FORM = 'application/x-www-form-urlencoded';

function requestFor(server: RunningServer, tokens: Tokens, endpoint: Endpoint): autocannon.Options {
  const base = server.url;
  const auth = basicAuth(server.client);
  switch (endpoint) {
    case 'discovery':
      return { url: `${base}/.well-known/openid-configuration` };
    case 'jwks':
      return { url: `${base}/jwks` };
    case 'refresh':
      return {
        url: `${base}/token`,
        method: 'POST',
        headers: { 'content-type': FORM, authorization: auth },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token!,
        }).toString(),
      };
    case 'userinfo':
      return { url: `${base}/me`, headers: { authorization: `Bearer ${tokens.access_token}` } };
    case 'introspection':
      return {
        url: `${base}/token/introspection`,
        method: 'POST',
        headers: { 'content-type': FORM, authorization: auth },
        body: new URLSearchParams({ token: tokens.access_token }).toString(),
      };
  }
}

async function hammer(options: autocannon.Options): Promise<EndpointResult> {
  const result = await autocannon(options);
  return {
    rps: round(result.requests.average, 1),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * The refresh grant with rotation: one lane per connection, each sending the newest refresh
 * token of its own chain, on the bench's keep-alive client (autocannon repeats one body).
 */
async function hammerChains(
  agent: ReturnType<typeof keepAliveAgent>,
  server: RunningServer,
  chains: string[],
  limit: { amount?: number; durationSec?: number },
): Promise<EndpointResult> {
  const latencies: number[] = [];
  let failures = 0;
  let started = 0;
  let completed = 0;
  const begin = process.hrtime.bigint();
  const deadline = Date.now() + (limit.durationSec ?? 1) * 1000;
  const more = () => (limit.amount ? started < limit.amount : Date.now() < deadline);
  // A lane per chain: two requests of one chain in flight at once would be a replay.
  await Promise.all(
    chains.map(async (_, lane) => {
      while (more()) {
        started++;
        const t0 = process.hrtime.bigint();
        const reply = await refresh(agent, server.url, server.client, chains[lane]!);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        const next = reply.status === 200 ? (JSON.parse(reply.body) as Tokens).refresh_token : undefined;
        if (next) chains[lane] = next;
        else failures++;
        completed++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0, 1);
  return {
    rps: round(completed / seconds, 1),
    latencyP50Ms: at(0.5),
    latencyP99Ms: at(0.99),
    requests: completed,
    failures,
  };
}

/** Two half runs as one: requests over time, the worse of the two latencies. */
function combine(rs: MeasuredRun[]): EndpointResult {
  const requests = rs.reduce((n, r) => n + r.requests, 0);
  const weighted = rs.reduce((n, r) => n + (r.rps > 0 ? r.requests / r.rps : 0), 0);
  const sum = (f: (r: MeasuredRun) => number | undefined) =>
    rs.every((r) => f(r) !== undefined) ? rs.reduce((n, r) => n + f(r)!, 0) : undefined;
  const cpuMs = sum((r) => r.cpuMs);
  const mainMs = sum((r) => r.mainThreadCpuMs);
  const wallMs = sum((r) => r.wallMs);
  const promises = sum((r) => r.promises);
  const scavenges = sum((r) => r.scavenges);
  return {
    rps: round(weighted > 0 ? requests / weighted : 0, 1),
    latencyP50Ms: Math.max(...rs.map((r) => r.latencyP50Ms)),
    latencyP99Ms: Math.max(...rs.map((r) => r.latencyP99Ms)),
    requests,
    failures: rs.reduce((n, r) => n + r.failures, 0),
    ...(requests > 0 && cpuMs !== undefined ? { serverCpuMsPerRequest: round(cpuMs / requests, 3) } : {}),
    ...(requests > 0 && mainMs !== undefined
      ? { mainThreadCpuMsPerRequest: round(mainMs / requests, 3) }
      : {}),
    ...(mainMs !== undefined && wallMs ? { mainThreadBusy: round(mainMs / wallMs, 2) } : {}),
    ...(requests > 0 && promises !== undefined ? { promisesPerRequest: round(promises / requests, 1) } : {}),
    ...(requests > 0 && scavenges !== undefined
      ? { scavengesPer1000Requests: round((scavenges * 1000) / requests, 2) }
      : {}),
  };
}

async function freshAccess(
  agent: ReturnType<typeof keepAliveAgent>,
  server: RunningServer,
  t: Tokens,
): Promise<Tokens> {
  const reply = await refresh(agent, server.url, server.client, t.refresh_token!);
  if (reply.status !== 200) throw new Error(`${server.kind}: refresh failed with ${reply.status}`);
  const next = JSON.parse(reply.body) as Tokens;
  // With rotation the used refresh token is spent: the next refresh needs the new one.
  return { ...t, access_token: next.access_token, refresh_token: next.refresh_token ?? t.refresh_token };
}

/** Introspection answers 200 for a dead token too; the figure only counts if it was alive. */
async function assertActive(agent: ReturnType<typeof keepAliveAgent>, server: RunningServer, t: Tokens) {
  const reply = await send(agent, `${server.url}/token/introspection`, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basicAuth(server.client) },
    body: new URLSearchParams({ token: t.access_token }).toString(),
  });
  if (!(JSON.parse(reply.body) as { active?: boolean }).active) {
    throw new Error(`${server.kind}: the introspected token was not active`);
  }
}

export async function benchEndpoints(opts: EndpointsOptions = {}): Promise<EndpointsReport> {
  const durationSec = opts.amount ? undefined : (opts.durationSec ?? 5);
  const connections = opts.connections ?? 10;
  const warmupSec = opts.warmupSec ?? 1;
  const kinds = opts.kinds ?? ['bridge', 'bare-knex', 'bare-memory'];
  const endpoints = opts.endpoints ?? ENDPOINTS;
  const rotate = opts.rotateRefreshTokens ?? true;
  const oidc = { rotate_refresh_tokens: rotate };
  const fixture = kinds.includes('bridge') ? await legacyFixture(1) : undefined;
  // A store of its own: each server seals its keys with a key encryption key of its own.
  const redisFixture = kinds.includes('bridge-redis') ? await legacyFixture(1) : undefined;
  const redis = redisFixture ? createRedisPrefix('bench') : undefined;
  const knexStore: TestDatabase | undefined = kinds.includes('bare-knex')
    ? await createPgDatabase('obb')
    : undefined;
  const servers: RunningServer[] = [];
  const agent = keepAliveAgent();
  try {
    const report: EndpointsReport = {
      connections,
      durationSec,
      refreshTokenRotates: {},
      rotateRefreshTokens: rotate,
      headers: {},
      headersKept: {},
      results: {},
      ratioToBareKnex: {},
      ratioToBareMemory: {},
      redisRatioToBareMemory: {},
      redisRatioToBareKnex: {},
    };
    const tokens = new Map<ServerKind, Tokens>();
    const chains = new Map<ServerKind, string[]>();
    const login = async (server: RunningServer) => {
      const t = await loginFlow(agent, server.url, server.client, 'bench-user-0', BENCH_PASSWORD);
      if (!t.refresh_token) throw new Error(`${server.kind} issued no refresh token`);
      return t;
    };
    for (const kind of kinds) {
      const server = await startServer(kind, {
        storeUrl:
          kind === 'bridge'
            ? fixture!.store.url
            : kind === 'bridge-redis'
              ? redisFixture!.store.url
              : knexStore?.url,
        bridgeConfig:
          kind === 'bridge-redis'
            ? {
                ...redisFixture!.bridgeConfig,
                oidc,
                store: { redis_url: redis!.url, redis_prefix: redis!.prefix },
              }
            : { ...fixture?.bridgeConfig, oidc },
      });
      servers.push(server);
      const probe = await login(server);
      // Two uses of one refresh token: the second fails only if the first rotated it.
      await refresh(agent, server.url, server.client, probe.refresh_token!);
      const second = await refresh(agent, server.url, server.client, probe.refresh_token!);
      report.refreshTokenRotates[kind] = second.status !== 200;
      if (report.refreshTokenRotates[kind] !== rotate) {
        throw new Error(
          `${kind}: refresh tokens ${rotate ? 'do not rotate' : 'rotate'} although oidc.rotate_refresh_tokens is ${rotate}; the refresh figure would measure the wrong thing`,
        );
      }
      // A replayed token revoked its grant: the figures use logins of their own.
      const t = rotate ? await login(server) : probe;
      tokens.set(kind, t);
      if (rotate && endpoints.includes('refresh')) {
        const own: string[] = [];
        for (let i = 0; i < connections; i++) own.push((await login(server)).refresh_token!);
        chains.set(kind, own);
      }
      const seen: Partial<Record<'discovery' | 'jwks', string[]>> = {};
      for (const [name, path] of [
        ['discovery', '/.well-known/openid-configuration'],
        ['jwks', '/jwks'],
      ] as const) {
        seen[name] = Object.keys((await send(agent, `${server.url}${path}`)).headers).sort();
      }
      report.headers[kind] = seen;
      if (kind === 'bridge' || kind === 'bridge-redis') {
        report.headersKept[kind] = BRIDGE_HEADERS.every(
          (h) => seen.discovery?.includes(h) && seen.jwks?.includes(h),
        );
      }
      if (warmupSec > 0 && !opts.amount) {
        for (const endpoint of endpoints) {
          // Warming the rotating refresh up would spend the chains; its first requests warm it.
          if (endpoint === 'refresh' && rotate) continue;
          await autocannon({
            ...requestFor(server, t, endpoint),
            connections,
            duration: warmupSec / endpoints.length,
          });
        }
      }
    }
    // Endpoint by endpoint, the servers in turn and then in reverse order, half the time
    // each: drift on a noisy machine then falls on every server alike.
    const half = durationSec === undefined ? undefined : durationSec / 2;
    for (const endpoint of endpoints) {
      const runs = new Map<ServerKind, MeasuredRun[]>();
      for (const server of [...servers, ...[...servers].reverse()]) {
        let t = tokens.get(server.kind)!;
        if (endpoint === 'userinfo' || endpoint === 'introspection') {
          // A fresh access token: the memory adapter's LRU has long evicted the first one
          // after the refresh run stored thousands of others, and on a quiet machine the
          // refresh token too; a login of its own then gives one.
          t = await freshAccess(agent, server, t).catch(() => login(server));
        }
        await server.measureStart();
        const r =
          endpoint === 'refresh' && rotate
            ? await hammerChains(agent, server, chains.get(server.kind)!, {
                amount: opts.amount ? Math.ceil(opts.amount / 2) : undefined,
                durationSec: half,
              })
            : await hammer({
                ...requestFor(server, t, endpoint),
                connections,
                ...(opts.amount ? { amount: Math.ceil(opts.amount / 2) } : { duration: half }),
              });
        const m = await server.measureStop();
        tokens.set(server.kind, t);
        if (endpoint === 'introspection') await assertActive(agent, server, t);
        const run: MeasuredRun = {
          ...r,
          cpuMs: m.cpuMs,
          mainThreadCpuMs: m.mainThreadCpuMs,
          wallMs: m.wallMs,
          promises: m.promises,
          scavenges: m.scavenges,
        };
        runs.set(server.kind, [...(runs.get(server.kind) ?? []), run]);
      }
      for (const [kind, rs] of runs) {
        report.results[kind] = { ...report.results[kind], [endpoint]: combine(rs) };
      }
      const bridge = report.results.bridge?.[endpoint]?.rps;
      const knex = report.results['bare-knex']?.[endpoint]?.rps;
      const memory = report.results['bare-memory']?.[endpoint]?.rps;
      if (bridge && knex) report.ratioToBareKnex[endpoint] = round(bridge / knex, 3);
      if (bridge && memory) report.ratioToBareMemory[endpoint] = round(bridge / memory, 3);
      const onRedis = report.results['bridge-redis']?.[endpoint]?.rps;
      if (onRedis && memory) report.redisRatioToBareMemory[endpoint] = round(onRedis / memory, 3);
      if (onRedis && knex) report.redisRatioToBareKnex[endpoint] = round(onRedis / knex, 3);
    }
    return report;
  } finally {
    agent.destroy();
    for (const s of servers) await s.stop();
    await fixture?.drop();
    await knexStore?.drop();
    await redisFixture?.drop();
    await redis?.drop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [duration] = process.argv.slice(2).map(Number);
  process.stdout.write(`${JSON.stringify(await benchEndpoints({ durationSec: duration || 5 }), null, 2)}\n`);
}
