// Requests per second and latency (p50, p99) of discovery, JWKS, the refresh grant, userinfo
// and introspection, hammered with autocannon, against the bridge, bare oidc-provider on the
// bridge's knex adapter (PostgreSQL) and bare oidc-provider on its memory adapter. One real
// login per server first provides the refresh and access tokens.
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
}

export interface EndpointResult {
  rps: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  requests: number;
  /** Non-2xx answers and socket errors: any of them makes the figure suspect. */
  failures: number;
}

export interface EndpointsReport {
  connections: number;
  durationSec: number | undefined;
  /** Whether a refresh token still works after it was used (it does unless rotated). */
  refreshTokenRotates: Partial<Record<ServerKind, boolean>>;
  results: Partial<Record<ServerKind, Partial<Record<Endpoint, EndpointResult>>>>;
  /** bridge rps / bare rps, per endpoint. */
  ratioToBareKnex: Partial<Record<Endpoint, number>>;
  ratioToBareMemory: Partial<Record<Endpoint, number>>;
  /** The bridge with store.redis_url: rps / bare oidc-provider on its memory adapter. */
  redisRatioToBareMemory: Partial<Record<Endpoint, number>>;
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

/** Two half runs as one: requests over time, the worse of the two latencies. */
function combine(rs: EndpointResult[]): EndpointResult {
  const requests = rs.reduce((n, r) => n + r.requests, 0);
  const weighted = rs.reduce((n, r) => n + (r.rps > 0 ? r.requests / r.rps : 0), 0);
  return {
    rps: round(weighted > 0 ? requests / weighted : 0, 1),
    latencyP50Ms: Math.max(...rs.map((r) => r.latencyP50Ms)),
    latencyP99Ms: Math.max(...rs.map((r) => r.latencyP99Ms)),
    requests,
    failures: rs.reduce((n, r) => n + r.failures, 0),
  };
}

async function freshAccess(
  agent: ReturnType<typeof keepAliveAgent>,
  server: RunningServer,
  t: Tokens,
): Promise<Tokens> {
  const reply = await refresh(agent, server.url, server.client, t.refresh_token!);
  if (reply.status !== 200) throw new Error(`${server.kind}: refresh failed with ${reply.status}`);
  return { ...t, access_token: (JSON.parse(reply.body) as Tokens).access_token };
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
      results: {},
      ratioToBareKnex: {},
      ratioToBareMemory: {},
      redisRatioToBareMemory: {},
    };
    const tokens = new Map<ServerKind, Tokens>();
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
            ? { ...redisFixture!.bridgeConfig, store: { redis_url: redis!.url, redis_prefix: redis!.prefix } }
            : fixture?.bridgeConfig,
      });
      servers.push(server);
      const t = await loginFlow(agent, server.url, server.client, 'bench-user-0', BENCH_PASSWORD);
      if (!t.refresh_token) throw new Error(`${kind} issued no refresh token`);
      // Two uses of one refresh token: the second fails only if the first rotated it.
      await refresh(agent, server.url, server.client, t.refresh_token);
      const second = await refresh(agent, server.url, server.client, t.refresh_token);
      report.refreshTokenRotates[kind] = second.status !== 200;
      if (second.status !== 200) {
        throw new Error(`${kind} rotates refresh tokens: the refresh figure would measure errors`);
      }
      tokens.set(kind, t);
      if (warmupSec > 0 && !opts.amount) {
        for (const endpoint of endpoints) {
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
      const runs = new Map<ServerKind, EndpointResult[]>();
      for (const server of [...servers, ...[...servers].reverse()]) {
        let t = tokens.get(server.kind)!;
        if (endpoint === 'userinfo' || endpoint === 'introspection') {
          // A fresh access token: the memory adapter's LRU has long evicted the first one
          // after the refresh run stored thousands of others.
          t = await freshAccess(agent, server, t);
        }
        const r = await hammer({
          ...requestFor(server, t, endpoint),
          connections,
          ...(opts.amount ? { amount: Math.ceil(opts.amount / 2) } : { duration: half }),
        });
        if (endpoint === 'introspection') await assertActive(agent, server, t);
        runs.set(server.kind, [...(runs.get(server.kind) ?? []), r]);
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
