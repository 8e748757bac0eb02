// Two bridge processes on one PostgreSQL store and one legacy be_users table on MariaDB, each
// with its delivery worker, delivering to the reference import API: first logins of N users
// split across the two, every `overlapEvery`-th user logging in on both at once. Reports
// logins/s, whether each user was migrated once (accounts, migration events and delivery jobs
// in the store) and delivered once (what the target created, under how many Idempotency-Keys),
// whether the outbox drained, and SQL statements per login against the same logins on one
// process. `npx tsx bench/two-process.ts [users] [concurrency]`, or
// BENCH_PHASES=two-process npm run bench.
import { fileURLToPath } from 'node:url';
import {
  type DeliveryTally,
  type Drain,
  deliveryTally,
  type MigrationTally,
  migrationTally,
  openStore,
  startBenchTarget,
  waitForDrain,
} from './support/deliveries.ts';
import { keepAliveAgent, loginFlow } from './support/http-client.ts';
import { BENCH_PASSWORD, legacyFixture, type RunningServer, startServer } from './support/servers.ts';
import { round, runLanes } from './support/stats.ts';
import { type Line, verdict } from './support/table.ts';

export interface TwoProcessOptions {
  /** Legacy users, each logging in for the first time. Default 200. */
  users?: number;
  /** Users logged in at once (an overlapping user is two logins at once). Default 8. */
  concurrency?: number;
  /** Every n-th user logs in on both processes at the same time. Default 5. */
  overlapEvery?: number;
}

export interface ProcessRun {
  processes: 1 | 2;
  users: number;
  /** Whole login flows completed: one per user, two per overlapping user. */
  logins: number;
  overlapping: number;
  perSec: number;
  /** Statements to the store per login on the request path (authorize to code exchange). */
  statementsPerLogin: number;
  /**
   * Of those, the reads of a cold or expired per-process read cache (a client's metadata, an
   * account by sub), per login: each process has its caches, and they expire every
   * `oidc.read_cache_seconds`, so they come with processes and seconds, not with logins.
   */
  cacheReadsPerLogin: number;
  /** The same by request phase (authorize, login page, login post, resume, token). */
  statementsByPhase: Record<string, number>;
  /** Statements outside requests (the delivery workers, their polls), per login. */
  backgroundPerLogin: number;
  legacyPerLogin: number;
  migration: MigrationTally;
  delivery: DeliveryTally;
  drain: Drain;
}

export interface TwoProcessReport {
  oneProcess: ProcessRun;
  twoProcess: ProcessRun;
  migratedOnce: boolean;
  deliveredOnce: boolean;
  outboxDrained: boolean;
  /**
   * Two-process statements per login not higher than one process's, same logins, the reads of
   * the per-process read caches left out (both figures are printed).
   */
  statementsNotHigher: boolean;
}

/** The same logins on one process or split across two (the overlapping users on both at once). */
async function run(
  processes: 1 | 2,
  users: number,
  concurrency: number,
  overlapEvery: number,
): Promise<ProcessRun> {
  // One unmeasured first login per process loads keys, clients and caches.
  const fixture = await legacyFixture(users + processes);
  const double = await startBenchTarget();
  const db = openStore(fixture.store.url);
  const servers: RunningServer[] = [];
  const agent = keepAliveAgent();
  try {
    const bridgeConfig = {
      ...fixture.bridgeConfig,
      target: double.targetConfig,
      // Every login here succeeds; the limits only matter to a bench that fails logins.
      security: { legacy_concurrency: Math.max(8, concurrency) },
    };
    // Started one after the other: the first migrates the store and makes the signing keys.
    const first = await startServer('bridge', {
      storeUrl: fixture.store.url,
      bridgeConfig,
      worker: true,
      countStatements: true,
    });
    servers.push(first);
    if (processes === 2)
      servers.push(
        await startServer('bridge', {
          storeUrl: fixture.store.url,
          bridgeConfig,
          worker: true,
          peer: first,
          countStatements: true,
        }),
      );
    const login = (s: RunningServer, name: string) => loginFlow(agent, s.url, s.client, name, BENCH_PASSWORD);
    const measured = fixture.usernames.slice(0, users);
    await Promise.all(servers.map((s, i) => login(s, fixture.usernames[users + i]!)));
    await Promise.all(servers.map((s) => s.statementsReset()));
    const [a, b = a] = servers as [RunningServer, RunningServer?];
    let logins = 0;
    const { seconds } = await runLanes(
      concurrency,
      async (i) => {
        const name = measured[i]!;
        if (i % overlapEvery === 0) {
          await Promise.all([login(a, name), login(b, name)]);
          logins += 2;
        } else {
          await login(i % 2 ? b : a, name);
          logins++;
        }
      },
      { total: users },
    );
    const drain = await waitForDrain(db);
    // Read after the drain, so the background count holds every delivery.
    const counts = await Promise.all(servers.map((s) => s.statementsRead()));
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    const request = sum(counts.map((c) => sum(Object.values(c.store))));
    const byPhase: Record<string, number> = {};
    for (const c of counts)
      for (const [phase, n] of Object.entries(c.store)) byPhase[phase] = (byPhase[phase] ?? 0) + n;
    const ids = measured.map(fixture.legacyIdOf);
    return {
      processes,
      users,
      logins,
      overlapping: Math.ceil(users / overlapEvery),
      perSec: round(logins / seconds, 2),
      statementsPerLogin: round(request / logins, 2),
      cacheReadsPerLogin: round(sum(counts.map((c) => c.cacheReads ?? 0)) / logins, 2),
      statementsByPhase: Object.fromEntries(
        Object.entries(byPhase)
          .sort(([x], [y]) => x.localeCompare(y))
          .map(([phase, n]) => [phase, round(n / logins, 2)]),
      ),
      backgroundPerLogin: round(sum(counts.map((c) => c.background)) / logins, 2),
      legacyPerLogin: round(sum(counts.map((c) => c.legacy)) / logins, 2),
      migration: await migrationTally(db, ids),
      delivery: deliveryTally(double, ids),
      drain,
    };
  } finally {
    agent.destroy();
    await Promise.all(servers.map((s) => s.stop()));
    await double.close();
    await db.destroy();
    await fixture.drop();
  }
}

export async function benchTwoProcess(opts: TwoProcessOptions = {}): Promise<TwoProcessReport> {
  const users = opts.users ?? 200;
  const concurrency = opts.concurrency ?? 8;
  const overlapEvery = opts.overlapEvery ?? 5;
  const oneProcess = await run(1, users, concurrency, overlapEvery);
  const twoProcess = await run(2, users, concurrency, overlapEvery);
  return {
    oneProcess,
    twoProcess,
    migratedOnce: twoProcess.migration.once,
    deliveredOnce: twoProcess.delivery.once,
    outboxDrained: twoProcess.drain.drained,
    statementsNotHigher:
      twoProcess.statementsPerLogin - twoProcess.cacheReadsPerLogin <=
      oneProcess.statementsPerLogin - oneProcess.cacheReadsPerLogin,
  };
}

export function twoProcessLines(r: TwoProcessReport): Line[] {
  const lines: Line[] = [];
  for (const x of [r.oneProcess, r.twoProcess]) {
    const on = `${x.processes} process${x.processes === 2 ? 'es' : ''}`;
    const m = x.migration;
    const d = x.delivery;
    lines.push(
      [
        `first logins on ${on}, ${x.users} users (${x.overlapping} on both at once)`,
        `${x.perSec} logins/s (${x.logins} logins)`,
      ],
      [
        `  SQL statements per login, ${on}`,
        `${x.statementsPerLogin} on the request path (${Object.entries(x.statementsByPhase)
          .map(([k, n]) => `${k} ${n}`)
          .join(
            ', ',
          )}), of which read-cache reads ${x.cacheReadsPerLogin}; worker ${x.backgroundPerLogin}; legacy ${x.legacyPerLogin}`,
      ],
      [
        `  migrated, ${on}`,
        `${m.accounts} accounts for ${m.users} users (${m.distinctLegacyIds} legacy ids), one migration event ${m.oneMigrationEvent}, one job ${m.oneDeliveryJob}`,
      ],
      [
        `  delivered, ${on}`,
        `${d.held} held, ${d.createdOnce} created once; ${d.requests} requests under ${d.idempotencyKeys} Idempotency-Keys (at most ${d.maxKeysPerUser} a user), ${d.replays} replays, ${d.alreadyExists} already_exists`,
      ],
      [
        `  outbox after the logins, ${on}`,
        `${JSON.stringify(x.drain.byStatus)} after ${round(x.drain.waitedMs / 1000, 1)} s`,
      ],
    );
  }
  lines.push(
    [
      'two processes: each user migrated once',
      String(r.migratedOnce),
      verdict(r.migratedOnce, 'exactly once'),
    ],
    [
      'two processes: each user delivered once',
      String(r.deliveredOnce),
      verdict(r.deliveredOnce, 'one create, one key'),
    ],
    ['two processes: outbox drained', String(r.outboxDrained), verdict(r.outboxDrained, 'all delivered')],
    [
      'two processes: SQL statements per login / one process, less read-cache reads',
      `${round(r.twoProcess.statementsPerLogin - r.twoProcess.cacheReadsPerLogin, 2)} / ${round(
        r.oneProcess.statementsPerLogin - r.oneProcess.cacheReadsPerLogin,
        2,
      )} (with them ${r.twoProcess.statementsPerLogin} / ${r.oneProcess.statementsPerLogin})`,
      verdict(r.statementsNotHigher, 'not higher'),
    ],
  );
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [users, concurrency] = process.argv.slice(2).map(Number);
  const report = await benchTwoProcess({ users: users || undefined, concurrency: concurrency || undefined });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exit(0);
}
