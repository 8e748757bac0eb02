// The rows of the performance goals' report that `npm run bench` prints (bench/run.ts) and
// BENCH_PHASES prints (bench/phases.ts): each figure with its goal and whether it was met.
// The goals are the project's performance goals; BENCHMARKS.md says how each is measured.
import type { CeilingReport } from './ceiling.ts';
import type { ConsoleBenchResult } from './console.ts';
import { ENDPOINTS, type EndpointResult, type EndpointsReport } from './endpoints.ts';
import type { FailureFloorReport, SecondFactorReport } from './hot-path.ts';
import type { LoginPhase, LoginThroughputReport } from './login-throughput.ts';
import type { benchRecheck } from './recheck.ts';
import type { StatementsPerLogin, StatementsReport } from './statements.ts';
import type { ServerKind } from './support/servers.ts';
import { round } from './support/stats.ts';

export interface Row {
  figure: string;
  value: string;
  /** The goal, as printed beside the verdict; empty for a figure without one. */
  target: string;
  /** undefined: no goal, or not measured. */
  met: boolean | undefined;
}

export const GOALS = {
  firstLoginToCeiling: 0.85,
  repeatLoginToCeiling: 0.75,
  cpuOutsideHashingMs: 6,
  statementsPerLogin: 12,
  tokenPathToBareMemory: 0.6,
  metadataToBareKnex: 0.9,
  /** Success logins per second with the failure floor, as a share of those without it. */
  successWithFloor: 0.95,
} as const;

export function rowsBuilder(): {
  rows: Row[];
  add: (figure: string, value: string, target?: string, met?: boolean) => void;
} {
  const rows: Row[] = [];
  return { rows, add: (figure, value, target = '', met) => rows.push({ figure, value, target, met }) };
}

/** Hashing CPU per login at the ceiling's cost per hash, in this run. */
export function hashCpuPerLogin(c: CeilingReport): { first: number; repeat: number } {
  return {
    first: round(c.verify.bcrypt10.cpuMsPerOp + c.argon2idHash.cpuMsPerOp, 1),
    repeat: round(c.verify.argon2id.cpuMsPerOp, 1),
  };
}

export function loginRows(ceiling: CeilingReport, login: LoginThroughputReport): Row[] {
  const { rows, add } = rowsBuilder();
  const hashing = hashCpuPerLogin(ceiling);
  const phases: [string, LoginPhase, number, number, string][] = [
    [
      'first login (bcrypt, migrates)',
      login.firstLogin,
      GOALS.firstLoginToCeiling,
      hashing.first,
      `bcrypt verify ${ceiling.verify.bcrypt10.cpuMsPerOp} + argon2id hash ${ceiling.argon2idHash.cpuMsPerOp}`,
    ],
    [
      'repeat login (argon2id)',
      login.repeatLogin,
      GOALS.repeatLoginToCeiling,
      hashing.repeat,
      `argon2id verify ${ceiling.verify.argon2id.cpuMsPerOp}`,
    ],
  ];
  for (const [name, p, goal, hashMs, hashParts] of phases) {
    add(`${name}, ${login.concurrency} clients`, `${p.perSec}/s (ceiling ${p.ceilingPerSec}/s)`);
    const ratio = p.ratioToCeiling;
    add(
      `${name} / hash ceiling`,
      String(ratio ?? '-'),
      `>= ${goal}`,
      ratio === undefined ? undefined : ratio >= goal,
    );
    add(`${name}: latency p50 / p99`, `${p.latencyP50Ms} / ${p.latencyP99Ms} ms`);
    add(
      `${name}: bridge event-loop delay p99 (max)`,
      `${p.bridge.eventLoop.p99Ms} ms (${p.bridge.eventLoop.maxMs})`,
      '< 20 ms',
      p.bridge.eventLoop.p99Ms < 20,
    );
    add(
      `${name}: bridge CPU per login, all of it; share of 2 cores`,
      `${p.bridgeCpuMsPerLogin} ms; ${p.bridgeCpuShare}`,
    );
    const outside = round(p.bridgeCpuMsPerLogin - hashMs, 1);
    add(
      `${name}: bridge CPU per login outside hashing`,
      `${outside} ms (${p.bridgeCpuMsPerLogin} - hashing ${hashMs}: ${hashParts})`,
      `<= ${GOALS.cpuOutsideHashingMs} ms`,
      outside <= GOALS.cpuOutsideHashingMs,
    );
    if (p.bridgeMainThreadCpuMsPerLogin !== undefined) {
      // Hashing runs on the thread pool: the main thread's CPU is the part no hashing is in.
      add(
        `${name}: of it, on the main thread (event loop; no hashing there)`,
        `${p.bridgeMainThreadCpuMsPerLogin} ms; the other threads (hash pool, strength estimate, V8's helpers) ${round(p.bridgeCpuMsPerLogin - p.bridgeMainThreadCpuMsPerLogin, 1)} ms`,
      );
    }
    if (p.machine) {
      const m = p.machine.perLoginMs;
      add(
        `${name}: every process's CPU per login; cores busy`,
        `${m.all} ms: bridge ${m.bridge} (hashing ${hashMs}), bench clients ${m['bench clients']}, PostgreSQL ${m.PostgreSQL}, MariaDB ${m.MariaDB}, Redis ${m.Redis}, other ${m.other}; ${p.machine.busyShare}`,
      );
      // On saturated cores the rate is the cores' time over every process's CPU per login,
      // so hashing's share of that CPU is about the ratio to the ceiling.
      add(
        `${name}: hashing's share of every process's CPU x cores busy (what bounds the ratio)`,
        String(round((hashMs / m.all) * p.machine.busyShare, 3)),
      );
    }
    for (const [kind, f] of Object.entries(login.floor ?? {})) {
      const all = f.machine?.perLoginMs.all;
      if (all === undefined) continue;
      add(
        `${name} / hash ceiling at most, were the bridge only bare oidc-provider (${kind})`,
        `${round(hashMs / (hashMs + all), 3)} (hashing ${hashMs} ms + that flow's ${all} ms of every process)`,
      );
    }
  }
  for (const [kind, f] of Object.entries(login.floor ?? {})) {
    const m = f.machine?.perLoginMs;
    add(
      `bare oidc-provider (${kind}), the same flow with no login form or password, ${login.concurrency} clients`,
      `${f.perSec}/s; its CPU per login ${f.serverCpuMsPerLogin} ms${m ? `; every process ${m.all} ms (bench clients ${m['bench clients']}, PostgreSQL ${m.PostgreSQL})` : ''}`,
    );
  }
  return rows;
}

const STORE_OF: Partial<Record<ServerKind, string>> = {
  bridge: 'PostgreSQL store',
  'bridge-redis': 'Redis store',
};

export function statementRows(r: StatementsReport | { skipped: string }, redisSkipped?: string): Row[] {
  const { rows, add } = rowsBuilder();
  const goal = `<= ${GOALS.statementsPerLogin}`;
  if ('skipped' in r) {
    add('SQL statements per login', `not measured: ${r.skipped}`);
    return rows;
  }
  // Judged on every statement a login sends to the store: the request path's and the attempt
  // counters' (rate-limiter-flexible sends those on its own connection, counted at the driver).
  const judged = (p: StatementsPerLogin) => round(p.total + (p.rateLimits ?? 0), 2);
  const fmt = (p: StatementsPerLogin) =>
    `${judged(p)}: request path ${p.total} (${Object.entries(p.phases)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}); legacy ${p.legacy}; worker ${p.background}; rate-limit counters ${p.rateLimits}`;
  for (const [kind, x] of Object.entries(r.results) as [
    ServerKind,
    NonNullable<StatementsReport['results'][ServerKind]>,
  ][]) {
    const store = STORE_OF[kind] ?? kind;
    for (const which of ['first', 'repeat'] as const) {
      const p = x[which];
      add(
        `SQL statements per ${which} login, ${store} (${r.logins} logins)`,
        fmt(p),
        goal,
        judged(p) <= GOALS.statementsPerLogin,
      );
    }
    const t = x.tokenPath;
    add(
      `SQL statements per token request, ${store}`,
      `userinfo ${t.userinfo}, introspection ${t.introspection}, refresh ${t.refresh}`,
    );
  }
  if (redisSkipped) add('SQL statements per login, Redis store', `not measured: ${redisSkipped}`);
  return rows;
}

export function tokenPathRows(r: EndpointsReport, redisSkipped?: string): Row[] {
  const { rows, add } = rowsBuilder();
  const fmt = (x: EndpointResult | undefined) =>
    x
      ? `${x.rps} rps, p50 ${x.latencyP50Ms} / p99 ${x.latencyP99Ms} ms${x.failures ? `, ${x.failures} FAILED` : ''}${cpu(x)}`
      : '-';
  // What the server spent per request, and how busy its event loop was: the bound of its rate.
  const cpu = (x: EndpointResult) =>
    x.serverCpuMsPerRequest === undefined
      ? ''
      : `; server CPU per request ${x.serverCpuMsPerRequest} ms${
          x.mainThreadCpuMsPerRequest === undefined
            ? ''
            : ` (main thread ${x.mainThreadCpuMsPerRequest}, busy ${x.mainThreadBusy})`
        }`;
  const rotation = r.rotateRefreshTokens
    ? 'refresh tokens rotating (the default)'
    : 'refresh tokens not rotating (rotate_refresh_tokens: false)';
  const label = (e: string) => (e === 'refresh' ? `refresh, ${rotation}` : e);
  const servers: [ServerKind, string][] = [
    ['bridge', 'bridge, PostgreSQL store'],
    ['bridge-redis', 'bridge, Redis store'],
    ['bare-knex', 'bare oidc-provider, knex adapter'],
    ['bare-memory', 'bare oidc-provider, memory adapter'],
  ];
  // A figure over failed requests is no figure: such a ratio cannot be met.
  const clean = (kind: ServerKind, e: (typeof ENDPOINTS)[number]) =>
    (r.results[kind]?.[e]?.failures ?? 0) === 0;
  for (const e of ENDPOINTS) {
    if (!r.results.bridge?.[e]) continue;
    for (const [kind, name] of servers)
      if (r.results[kind]?.[e]) add(`${label(e)}: ${name}`, fmt(r.results[kind]?.[e]));
    if (e === 'discovery' || e === 'jwks') {
      const ratio = r.ratioToBareKnex[e];
      const kept = r.headersKept.bridge === true;
      add(
        `${e}: bridge / bare (knex), bridge headers kept`,
        `${ratio ?? '-'}${kept ? '' : ' (the bridge answered without its headers)'}`,
        `>= ${GOALS.metadataToBareKnex}`,
        ratio === undefined ? undefined : ratio >= GOALS.metadataToBareKnex && kept && clean('bridge', e),
      );
      add(`${e}: bridge / bare (memory)`, String(r.ratioToBareMemory[e] ?? '-'));
      continue;
    }
    const goal = `>= ${GOALS.tokenPathToBareMemory}`;
    for (const [kind, ratios, store] of [
      ['bridge', r.ratioToBareMemory, 'PostgreSQL store'],
      ['bridge-redis', r.redisRatioToBareMemory, 'Redis store'],
    ] as const) {
      const ratio = ratios[e];
      if (ratio === undefined) continue;
      add(
        `${label(e)}: bridge (${store}) / bare (memory)`,
        String(ratio),
        goal,
        ratio >= GOALS.tokenPathToBareMemory && clean(kind, e) && clean('bare-memory', e),
      );
    }
    if (redisSkipped)
      add(`${label(e)}: bridge (Redis store) / bare (memory)`, `not measured: ${redisSkipped}`);
    add(`${e}: bridge (PostgreSQL store) / bare (knex)`, String(r.ratioToBareKnex[e] ?? '-'));
  }
  return rows;
}

type Missing = { missing: true } | { error: string };
const absent = (x: unknown): x is Missing =>
  typeof x !== 'object' || x === null || 'missing' in x || 'error' in x;
const why = (x: Missing) => ('error' in x ? `error: ${x.error}` : 'missing');

export function hotPathRows(r: {
  recheck: Awaited<ReturnType<typeof benchRecheck>> | Missing;
  floor: FailureFloorReport | Missing;
  factors: SecondFactorReport | Missing;
  consolePages: ConsoleBenchResult | Missing;
}): Row[] {
  const { rows, add } = rowsBuilder();
  const c = r.recheck;
  if (absent(c)) add('coexistence re-check at login', why(c));
  else
    add(
      `coexistence re-check at login (findById with legacy.where, ${c.users} rows on MariaDB)`,
      `p50 ${c.recheckP50Ms} / p99 ${c.recheckP99Ms} ms; ${round((100 * c.recheckP50Ms) / c.argon2idP50Ms, 1)}% of an argon2id verify (p50 ${c.argon2idP50Ms} ms)`,
    );
  const f = r.floor;
  if (absent(f)) add('failure floor', why(f));
  else {
    add(
      "failure floor: what an unknown user's failed login waits in it, p50 / p99",
      `${f.waitMs} / ${f.waitP99Ms} ms (floor ${f.floorMs} ms; failure p50 ${f.failureMedianMs.on} with / ${f.failureMedianMs.off} without)`,
    );
    add(
      `failure floor: success logins/s, floor on / off (failures at ${f.failuresPerSec}/s beside)`,
      `${f.successRatio} (${f.successPerSec.on} / ${f.successPerSec.off} /s)`,
      `>= ${GOALS.successWithFloor}`,
      f.successRatio >= GOALS.successWithFloor,
    );
  }
  const m = r.factors;
  if (absent(m)) add('second factors at login', why(m));
  else {
    add(
      `TOTP code check at login (checkCode: throttle, secret, step, audit; ${m.checks} checks)`,
      `p50 ${m.totp.medianMs} / p99 ${m.totp.p99Ms} ms`,
    );
    add(
      'passkey assertion at login (ES256 verified, counter, audit)',
      `p50 ${m.passkey.medianMs} / p99 ${m.passkey.p99Ms} ms`,
    );
  }
  const p = r.consolePages;
  if (!absent(p) && p.hourTickMs !== undefined) {
    add(
      `console rollups: tick rolling the closed hour up (${p.hourAuditRows} audit rows in it, ${p.auditRows} in all)`,
      `${p.hourTickMs} ms`,
    );
    add('console rollups: tick of every minute with no hour to roll up, median', `${p.idleTickMs} ms`);
  }
  return rows;
}
