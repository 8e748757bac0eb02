// `npm run bench`: every figure of the benchmark report in one run, each a ratio to a
// reference measured in the same run (the machine is noisy), printed as a table and written
// to bench-results.json with the machine it ran on. BENCHMARKS.md explains the figures.
// BENCH_QUICK=1 shortens every part (a check that the whole run works, not a measurement);
// BENCH_PHASES names the parts of bench/phases.ts to run alone.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchCeiling } from './ceiling.ts';
import { benchEndpoints } from './endpoints.ts';
import { benchFailureFloor, benchSecondFactors } from './hot-path.ts';
import { benchLoginThroughput } from './login-throughput.ts';
import { benchRecheck } from './recheck.ts';
import { failed, reportRows } from './report.ts';
import type { Row } from './report-rows.ts';
import { benchStatements } from './statements.ts';
import { benchStoreSize } from './store-size.ts';
import { REDIS_URL, redisReachable } from './support/redis-reachable.ts';
import { round } from './support/stats.ts';
import { printLines } from './support/table.ts';
import { benchTwoProcess, twoProcessLines } from './two-process.ts';

const quick = process.env.BENCH_QUICK === '1';

// BENCH_PHASES=queue,statements,tokens: only those parts (bench/phases.ts), not the whole run.
if (process.env.BENCH_PHASES) {
  const { runPhases } = await import('./phases.ts');
  await runPhases(process.env.BENCH_PHASES.split(',').map((p) => p.trim()));
  process.exit(0);
}

// BENCH_SOAK=MINUTES: only the soak (bench/soak.ts), its table and bench-soak.json.
if (process.env.BENCH_SOAK) {
  const { runSoak } = await import('./soak.ts');
  await runSoak(process.env.BENCH_SOAK);
  process.exit(0);
}

/** Optional bench modules: run when present, reported as missing otherwise. */
async function optionalBench<T>(file: string, name: string, args: unknown): Promise<T | { missing: true }> {
  const url = new URL(file, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return { missing: true };
  const mod = (await import(pathToFileURL(fileURLToPath(url)).href)) as Record<string, unknown>;
  const fn = mod[name];
  if (typeof fn !== 'function') return { missing: true };
  return (await (fn as (a: unknown) => Promise<T>)(args)) as T;
}

function printTable(table: Row[]): void {
  const w1 = Math.max(...table.map((r) => r.figure.length));
  const w2 = Math.max(...table.map((r) => r.value.length));
  for (const r of table) {
    const verdict = r.met === undefined ? '' : r.met ? `  met (${r.target})` : `  MISSED (${r.target})`;
    process.stdout.write(`${r.figure.padEnd(w1)}  ${r.value.padEnd(w2)}${verdict}\n`);
  }
}

// BENCH_FROM=FILE: the table of a run saved in FILE (a bench-results.json, whole or cut short
// by a failing part), printed again without measuring anything.
const saved = process.env.BENCH_FROM
  ? (JSON.parse(readFileSync(process.env.BENCH_FROM, 'utf8')) as Record<string, unknown>)
  : undefined;
const started = Date.now();
const machine = {
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: round(totalmem() / 2 ** 30, 1),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
  loadAverageAtStart: loadavg().map((x) => round(x, 2)),
  ...(saved?.machine as object | undefined),
};
const log = (s: string) =>
  process.stderr.write(`[bench ${Math.round((Date.now() - started) / 1000)}s] ${s}\n`);

/** One part of the run; a failure is recorded in the results instead of losing the others. */
const partial: Record<string, unknown> = { machine };
async function part<T>(name: string, fn: () => Promise<T>): Promise<T | { error: string }> {
  if (saved) return (saved[name] ?? { error: `not in ${process.env.BENCH_FROM}` }) as T | { error: string };
  log(name);
  try {
    partial[name] = await fn();
  } catch (err) {
    partial[name] = { error: (err as Error).message };
  }
  // Written after every part, so a later failure still leaves the figures measured so far.
  writeFileSync('bench-results.json', `${JSON.stringify(partial, null, 2)}\n`);
  return partial[name] as T | { error: string };
}

const ceiling = await part('ceiling', () =>
  benchCeiling({ durationMs: quick ? 500 : 4000, legacyFormats: true }),
);
const login = await part('login', () =>
  benchLoginThroughput({
    users: quick ? 24 : 300,
    concurrency: 8,
    // The ceiling again around each phase: the login figure is divided by the ceiling of
    // the same minutes, not of minutes ago.
    bracketCeiling: { durationMs: quick ? 300 : 2000 },
    floor: true,
  }),
);
// The Redis-store rows (statements, token path) when the Redis a bridge would be given answers.
const redisUp = await redisReachable();
const redisSkipped = redisUp ? undefined : `Redis at ${REDIS_URL} does not answer`;
const statements = await part('statements', () =>
  benchStatements({ logins: quick ? 2 : 12, kinds: redisUp ? ['bridge', 'bridge-redis'] : ['bridge'] }),
);
// The bridge as an operator runs it for speed (defaults, refresh tokens rotating; and with
// store.redis_url), against bare oidc-provider on knex and on its memory adapter.
const endpoints = await part('endpoints', () =>
  benchEndpoints({
    kinds: ['bridge', ...(redisUp ? (['bridge-redis'] as const) : []), 'bare-knex', 'bare-memory'],
    ...(quick ? { durationSec: 1, warmupSec: 0 } : { durationSec: 5 }),
  }),
);
// What the newer work on the login path costs (bench/recheck.ts, bench/hot-path.ts).
const recheck = await part('recheck', () =>
  benchRecheck(quick ? { users: 200, lookups: 100 } : { users: 5000, lookups: 2000 }),
);
const floor = await part('failureFloor', () =>
  benchFailureFloor(quick ? { users: 6, rounds: 1, concurrency: 2 } : { users: 40, rounds: 2 }),
);
const factors = await part('secondFactors', () => benchSecondFactors({ checks: quick ? 10 : 200 }));
// Import figures: rows/s at 100,000 and 1,000,000 rows, and a peak RSS that must not grow
// with the table (within 20% between the two sizes).
const importRun = await part('import', async () => {
  const small = (await optionalBench('./import.ts', 'benchImport', {
    rows: quick ? 1000 : 100_000,
  })) as Record<string, unknown>;
  if (small.missing) return small;
  const large = (await optionalBench('./import.ts', 'benchImport', {
    rows: quick ? 5000 : 1_000_000,
  })) as Record<string, unknown>;
  const rssGrowth = Number(large.peakRssMb) / Number(small.peakRssMb);
  return { small, large, rssGrowth: round(rssGrowth, 3) };
});
const enumeration = await part('enumeration', () =>
  optionalBench('./enumeration.ts', 'benchEnumeration', { logins: quick ? 5 : 30 }),
);
// The console's Progress page over ten million audit rows and a million accounts.
const consolePages = await part('console', () =>
  optionalBench('./console.ts', 'benchConsole', {
    auditRows: quick ? 100_000 : 10_000_000,
    accounts: quick ? 10_000 : 1_000_000,
  }),
);
// Two bridge processes on one store: migrated once, delivered once, statements per login.
// What each migrated user leaves in the store (the scale section of BENCHMARKS.md).
const storeSize = await part('storeSize', () =>
  benchStoreSize(quick ? { users: 10, scaleTo: 10_000 } : { users: 100, scaleTo: 1_000_000 }),
);
const twoProcess = await part('twoProcess', () =>
  benchTwoProcess({ users: quick ? 20 : 200, concurrency: quick ? 4 : 8 }),
);
// A run whose ceiling, login or endpoint part failed still prints what it measured, and fails.
const broken = Object.entries({ ceiling, login, endpoints }).filter(([, v]) => failed(v));
const results = {
  machine: { loadAverageAtEnd: loadavg().map((x) => round(x, 2)), ...machine },
  quick,
  durationSec: saved ? Number(saved.durationSec ?? 0) : Math.round((Date.now() - started) / 1000),
  ceiling,
  login,
  /** The bridge's event-loop delay under 8 concurrent bcrypt cost-10 first logins. */
  eventLoopUnderBcryptLogins: failed(login)
    ? login
    : {
        concurrency: login.concurrency,
        p99Ms: login.firstLogin.bridge.eventLoop.p99Ms,
        maxMs: login.firstLogin.bridge.eventLoop.maxMs,
        targetMs: 20,
      },
  endpoints,
  statements,
  recheck,
  failureFloor: floor,
  secondFactors: factors,
  import: importRun,
  enumeration,
  console: consolePages,
  twoProcess,
  storeSize,
};
const table = reportRows({
  ceiling,
  login,
  endpoints,
  statements,
  redisSkipped,
  recheck,
  floor,
  factors,
  importRun,
  enumeration,
  consolePages,
});
if (!failed(storeSize))
  table.push({
    figure: `store: bytes per migrated user, accounts and identifiers at ${storeSize.scaledTo} users`,
    value: `${storeSize.accountBytesPerUser} B`,
    target: '',
    met: undefined,
  });
if (!saved) writeFileSync('bench-results.json', `${JSON.stringify({ ...results, table }, null, 2)}\n`);
process.stdout.write(
  `\nmachine: ${machine.cpus} cpus (${machine.cpuModel}), node ${machine.node}, load ${results.machine.loadAverageAtStart.join(' ')} → ${results.machine.loadAverageAtEnd.join(' ')}\n\n`,
);
printTable(table);
if (!failed(twoProcess)) {
  process.stdout.write('\n');
  printLines(twoProcessLines(twoProcess));
}
process.stdout.write(
  saved
    ? `\nprinted from ${process.env.BENCH_FROM}\n`
    : `\nwrote bench-results.json in ${results.durationSec} s\n`,
);
if (broken.length) {
  process.stderr.write('a part failed; bench-results.json holds what was measured:\n');
  for (const [k, v] of broken) process.stderr.write(`  ${k}: ${(v as { error: string }).error}\n`);
}
// The hash worker pool and pg pools of the optional benches may keep the process alive.
process.exit(broken.length ? 1 : 0);
