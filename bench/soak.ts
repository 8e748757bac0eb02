// The soak: one bridge process (PostgreSQL store, MariaDB be_users, its delivery worker and the
// reference import API) under a steady mix of first logins of fresh legacy users (rows added
// as the run goes), repeat logins, wrong-password logins, and userinfo, introspection and
// refresh calls, for a fixed time. Every sampleMs the process reports its RSS, event-loop delay
// p99 of the window, active resources, store pool waits and outbox depth; the last part of
// the run is compared with the first, and the outbox must drain once the load stops.
// `BENCH_SOAK=MINUTES npm run bench` runs it alone and writes bench-soak.json.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { type Drain, openStore, startBenchTarget, waitForDrain } from './support/deliveries.ts';
import {
  basicAuth,
  failedLogin,
  keepAliveAgent,
  loginFlow,
  refresh,
  send,
  type Tokens,
} from './support/http-client.ts';
import { BENCH_PASSWORD, legacyFixture, type Sample, startServer } from './support/servers.ts';
import { round, runLanes } from './support/stats.ts';
import { type Line, printLines, verdict } from './support/table.ts';

export const SOAK_OPS = [
  'first login',
  'repeat login',
  'failed login',
  'userinfo',
  'introspection',
  'refresh',
] as const;
export type SoakOp = (typeof SOAK_OPS)[number];

/**
 * The load, one operation after the other in this order on every lane: per cycle of 12, two
 * first logins (bcrypt cost 10 and the argon2id re-hash), three repeat logins, two wrong
 * passwords, and five token calls.
 */
const MIX: SoakOp[] = [
  'first login',
  'userinfo',
  'repeat login',
  'introspection',
  'failed login',
  'refresh',
  'first login',
  'userinfo',
  'repeat login',
  'introspection',
  'failed login',
  'repeat login',
];

export interface SoakOptions {
  durationMs: number;
  /** How often the bridge process is sampled. Default 10 s. */
  sampleMs?: number;
  /** Operations in flight at once. Default 6. */
  concurrency?: number;
  /** Fresh legacy rows at the start, and added again whenever fewer than half are left. Default 500. */
  legacyBatch?: number;
}

export interface SoakSample extends Sample {
  /** Time since the load started, at the end of the sample's window. */
  atMs: number;
  /** Operations completed in the window, by kind, and failed ones. */
  ops: Record<SoakOp, number>;
  errors: number;
}

/** The figures compared between the first and the last part of the run. */
export const SOAK_METRICS = [
  'rssMb',
  'eventLoopP99Ms',
  'activeResources',
  'poolWaits',
  'outboxDepth',
] as const;
export type SoakMetric = (typeof SOAK_METRICS)[number];

/**
 * Met when last ≤ first × 1.1 + slack: a soak looks for growth, so a fall is never a miss. The
 * slack is for the two counts that sit near zero (0.4 waits against 0.2 is no trend).
 */
const SLACK: Record<SoakMetric, number> = {
  rssMb: 0,
  eventLoopP99Ms: 0,
  activeResources: 0,
  poolWaits: 0.05,
  outboxDepth: 1,
};

/**
 * A sample's value of a compared figure. Pool waits are counted per operation of the window:
 * a closed-loop load does more operations when the machine's other work eases, and more
 * operations wait more often in absolute terms without any growth per operation.
 */
function figureOf(s: SoakSample, m: SoakMetric): number {
  if (m !== 'poolWaits') return s[m] ?? 0;
  const ops = Object.values(s.ops).reduce((x, y) => x + y, 0);
  return (s.poolWaits ?? 0) / Math.max(1, ops);
}

export interface SoakComparison {
  /** Means over the samples of each window. */
  first: number;
  last: number;
  ratio: number | null;
  slack: number;
  met: boolean;
}

export interface SoakReport {
  durationMs: number;
  sampleMs: number;
  concurrency: number;
  loadAverage: { start: number[]; end: number[] };
  /** The windows compared, in ms since the load started: (from, to]. */
  windows: { first: [number, number]; last: [number, number] };
  samples: SoakSample[];
  ops: Record<SoakOp, number>;
  /** Operations per second in each window (not judged: the load is closed-loop). */
  opsPerSec: { first: number; last: number };
  /** Failed operations by kind and message (a refused wrong password is not a failure). */
  errors: Record<string, number>;
  legacyUsersAdded: number;
  comparison: Record<SoakMetric, SoakComparison>;
  drain: Drain;
}

const zeroOps = () => Object.fromEntries(SOAK_OPS.map((o) => [o, 0])) as Record<SoakOp, number>;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * The first and last windows: for a run of 10 minutes or more, the first minute is warm-up
 * and each window is 5 minutes (less when the run is too short for two); below 10 minutes,
 * the first and the last fifth.
 */
export function soakWindows(durationMs: number): { first: [number, number]; last: [number, number] } {
  const minute = 60_000;
  if (durationMs >= 10 * minute) {
    const span = Math.min(5 * minute, (durationMs - minute) / 2);
    return { first: [minute, minute + span], last: [durationMs - span, durationMs] };
  }
  return { first: [0, durationMs / 5], last: [durationMs - durationMs / 5, durationMs] };
}

export async function benchSoak(opts: SoakOptions): Promise<SoakReport> {
  const { durationMs } = opts;
  const sampleMs = opts.sampleMs ?? 10_000;
  const concurrency = opts.concurrency ?? 6;
  const loadStart = loadavg().map((x) => round(x, 2));
  const batch = opts.legacyBatch ?? 500;
  const fixture = await legacyFixture(batch);
  const double = await startBenchTarget();
  const db = openStore(fixture.store.url);
  const server = await startServer('bridge', {
    storeUrl: fixture.store.url,
    worker: true,
    bridgeConfig: {
      ...fixture.bridgeConfig,
      target: double.targetConfig,
      security: {
        legacy_concurrency: Math.max(8, concurrency),
        // All the load comes from 127.0.0.1: the per-IP failure limit (100 an hour) is raised,
        // as bench/enumeration.ts raises it. The lockout and the per-identifier limit keep
        // their defaults; the wrong passwords go to many identifiers to stay under them.
        ip_failures_per_hour: 1_000_000,
      },
    },
  });
  const agent = keepAliveAgent();
  try {
    // Fresh legacy users, taken in order; more rows are added while a batch is left.
    let nextFresh = 0;
    let adding: Promise<unknown> | undefined;
    let added = 0;
    const fresh = async (): Promise<string> => {
      if (fixture.usernames.length - nextFresh < batch / 2 && !adding) {
        adding = fixture.addUsers(batch).then(() => {
          added += batch;
          adding = undefined;
        });
      }
      while (nextFresh >= fixture.usernames.length) await adding;
      return fixture.usernames[nextFresh++]!;
    };
    const migrated: string[] = [];
    const tokens: Tokens[] = [];
    const keep = (t: Tokens) => {
      tokens.push(t);
      if (tokens.length > 64) tokens.shift();
    };
    let turn = 0;
    const pick = <T>(xs: T[]) => xs[turn++ % xs.length]!;
    const form = {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuth(server.client),
    };
    const expect200 = (what: string, status: number) => {
      if (status !== 200) throw new Error(`${what} answered ${status}`);
    };
    let unknown = 0;
    const run: Record<SoakOp, () => Promise<void>> = {
      async 'first login'() {
        const name = await fresh();
        keep(await loginFlow(agent, server.url, server.client, name, BENCH_PASSWORD));
        migrated.push(name);
      },
      async 'repeat login'() {
        keep(await loginFlow(agent, server.url, server.client, pick(migrated), BENCH_PASSWORD));
      },
      async 'failed login'() {
        // Half unknown names (each used once), half a migrated user's name with a wrong
        // password: far apart on the list, and each of them also logs in successfully.
        const name = unknown % 2 ? `nobody-${unknown}` : migrated[(unknown * 7) % migrated.length]!;
        unknown++;
        const status = await failedLogin(
          agent,
          server.url,
          server.client,
          name,
          'wrong-password-for-the-soak',
        );
        if (status !== 401) throw new Error(`a wrong password answered ${status}, not 401`);
      },
      async userinfo() {
        const reply = await send(agent, `${server.url}/me`, {
          headers: { authorization: `Bearer ${pick(tokens).access_token}` },
        });
        expect200('userinfo', reply.status);
      },
      async introspection() {
        const reply = await send(agent, `${server.url}/token/introspection`, {
          method: 'POST',
          headers: form,
          body: new URLSearchParams({ token: pick(tokens).access_token }).toString(),
        });
        expect200('introspection', reply.status);
        if (!(JSON.parse(reply.body) as { active?: boolean }).active)
          throw new Error('introspection: inactive');
      },
      async refresh() {
        // Each refresh token is used once: the bridge rotates them, and a second use is a
        // replay that ends the grant (and so the access tokens other calls would pick).
        const used = pick(tokens);
        tokens.splice(tokens.indexOf(used), 1);
        const reply = await refresh(agent, server.url, server.client, used.refresh_token!);
        expect200('refresh', reply.status);
        const next = JSON.parse(reply.body) as Tokens;
        keep({ ...next, refresh_token: next.refresh_token ?? used.refresh_token });
      },
    };
    // A few users migrated first, so repeat logins and token calls have someone to use.
    for (let i = 0; i < Math.max(2, concurrency); i++) await run['first login']();

    let windowOps = zeroOps();
    let windowErrors = 0;
    const totalOps = zeroOps();
    const errors: Record<string, number> = {};
    const samples: SoakSample[] = [];
    const started = Date.now();
    await server.sample(); // starts the first window
    // A fixed count of samples, the last at or just before the end of the load.
    const sampler = (async () => {
      for (let k = 1; k * sampleMs <= durationMs; k++) {
        await new Promise((r) => setTimeout(r, Math.max(0, started + k * sampleMs - Date.now())));
        const figures = await server.sample();
        samples.push({ atMs: Date.now() - started, ...figures, ops: windowOps, errors: windowErrors });
        windowOps = zeroOps();
        windowErrors = 0;
      }
    })();
    await runLanes(
      concurrency,
      async (i) => {
        const op = MIX[i % MIX.length]!;
        try {
          await run[op]();
          windowOps[op]++;
          totalOps[op]++;
        } catch (err) {
          windowErrors++;
          const key = `${op}: ${(err as Error).message.slice(0, 120)}`;
          errors[key] = (errors[key] ?? 0) + 1;
        }
      },
      { durationMs },
    );
    await sampler;
    const drain = await waitForDrain(db);

    const windows = soakWindows(durationMs);
    // A sample belongs to a window by the end it was due at, not by when its answer came.
    const within = ([from, to]: [number, number]) =>
      samples.filter((_, i) => (i + 1) * sampleMs > from && (i + 1) * sampleMs <= to);
    const first = within(windows.first);
    const last = within(windows.last);
    const comparison = Object.fromEntries(
      SOAK_METRICS.map((m) => {
        const a = round(mean(first.map((s) => figureOf(s, m))), 3);
        const b = round(mean(last.map((s) => figureOf(s, m))), 3);
        const slack = SLACK[m];
        const met = first.length > 0 && last.length > 0 && b <= a * 1.1 + slack;
        return [m, { first: a, last: b, ratio: a > 0 ? round(b / a, 3) : null, slack, met }];
      }),
    ) as Record<SoakMetric, SoakComparison>;
    const rate = (xs: SoakSample[]) =>
      round(mean(xs.map((s) => Object.values(s.ops).reduce((x, y) => x + y, 0) / (sampleMs / 1000))), 1);
    return {
      durationMs,
      sampleMs,
      concurrency,
      loadAverage: { start: loadStart, end: loadavg().map((x) => round(x, 2)) },
      windows,
      samples,
      ops: totalOps,
      opsPerSec: { first: rate(first), last: rate(last) },
      errors,
      legacyUsersAdded: added,
      comparison,
      drain,
    };
  } finally {
    agent.destroy();
    await server.stop();
    await double.close();
    await db.destroy();
    await fixture.drop();
  }
}

const LABELS: Record<SoakMetric, string> = {
  rssMb: 'RSS, MB',
  eventLoopP99Ms: 'event-loop delay p99, ms',
  activeResources: 'active resources',
  poolWaits: 'store pool waits per operation',
  outboxDepth: 'outbox depth',
};

export function soakLines(r: SoakReport): Line[] {
  const s = (ms: number) => `${round(ms / 1000, 0)} s`;
  const lines: Line[] = [
    [
      'soak',
      `${round(r.durationMs / 60_000, 1)} min, ${r.concurrency} in flight, a sample every ${s(r.sampleMs)}; load ${r.loadAverage.start.join(' ')} → ${r.loadAverage.end.join(' ')}`,
    ],
    ['operations', SOAK_OPS.map((o) => `${o} ${r.ops[o]}`).join(', ')],
    ['failed operations', Object.keys(r.errors).length ? JSON.stringify(r.errors) : 'none'],
    ['legacy rows added during the run', String(r.legacyUsersAdded)],
    [
      'windows compared',
      `${s(r.windows.first[0])}–${s(r.windows.first[1])} and ${s(r.windows.last[0])}–${s(r.windows.last[1])}`,
    ],
    ['operations per second, first / last window', `${r.opsPerSec.first} / ${r.opsPerSec.last}`],
  ];
  for (const m of SOAK_METRICS) {
    const c = r.comparison[m];
    const target = c.slack ? `last <= first × 1.1 + ${c.slack}` : 'last <= first × 1.1';
    lines.push([
      `${LABELS[m]}, first / last window`,
      `${c.first} / ${c.last}${c.ratio === null ? '' : ` (× ${c.ratio})`}`,
      verdict(c.met, target),
    ]);
  }
  lines.push([
    'outbox after the load',
    `${JSON.stringify(r.drain.byStatus)} after ${s(r.drain.waitedMs)}`,
    verdict(r.drain.drained, 'drained'),
  ]);
  return lines;
}

/** `BENCH_SOAK=MINUTES npm run bench`: the soak alone, its table, and bench-soak.json. */
export async function runSoak(minutes: string): Promise<void> {
  const m = Number(minutes);
  if (!Number.isFinite(m) || m <= 0) {
    process.stderr.write(
      `BENCH_SOAK must be the soak's length in minutes, a positive number (got "${minutes}"); for example BENCH_SOAK=30.\n`,
    );
    process.exit(2);
  }
  process.stderr.write(`[bench] soak, ${m} min\n`);
  const report = await benchSoak({ durationMs: m * 60_000 });
  writeFileSync('bench-soak.json', `${JSON.stringify(report, null, 2)}\n`);
  printLines(soakLines(report));
  process.stdout.write('\nwrote bench-soak.json\n');
}
