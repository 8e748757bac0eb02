// Logins per second through the whole HTTP flow (authorize, login form POST, first-party
// consent skip, code exchange) with N concurrent clients against a bridge in its own
// process: first logins of bcrypt cost-10 be_users rows on MariaDB, which migrate, then
// repeat logins against the argon2id accounts. Reports the bridge's event-loop delay too.
import { fileURLToPath } from 'node:url';
import { type CeilingReport, measureLoginCeilings } from './ceiling.ts';
import { keepAliveAgent, loginFlow } from './support/http-client.ts';
import { cpuSnapshot, type MachineCpu, machineCpuBetween } from './support/machine-cpu.ts';
import { BENCH_PASSWORD, legacyFixture, type Measurement, startServer } from './support/servers.ts';
import { round, runLanes } from './support/stats.ts';

export interface LoginThroughputOptions {
  /** Legacy users; each is migrated once. Default 400. */
  users?: number;
  /** Concurrent clients. Default 8. */
  concurrency?: number;
  /** Unmeasured first logins before the measured ones. Default 2 × concurrency. */
  warmup?: number;
  /** Fixed ceilings to divide by. */
  ceiling?: Pick<CeilingReport, 'firstLoginPerSec' | 'repeatLoginPerSec'>;
  /**
   * Measure the ceilings right before and right after each phase instead (their mean is the
   * phase's ceiling), so that the ratio compares minutes with the same background load.
   */
  bracketCeiling?: { durationMs: number };
  /**
   * After the login phases, the same code flow against bare oidc-provider (no login page, no
   * password: the interaction finishes at once), on the bridge's knex adapter and on its
   * memory adapter: the CPU a login costs any server built on oidc-provider. Default false.
   */
  floor?: boolean;
}

/** The code flow against bare oidc-provider, as many logins as a phase, with the same clients. */
export interface FloorPhase {
  logins: number;
  perSec: number;
  /** The server process's CPU per login. */
  serverCpuMsPerLogin: number;
  machine?: MachineCpu;
}

export interface LoginPhase {
  logins: number;
  perSec: number;
  /** The hashing ceiling of this phase (when one was given or measured). */
  ceilingPerSec?: number;
  /** Ceilings measured before and after the phase (bracketCeiling). */
  ceilingBeforeAfter?: [number, number];
  /** perSec / ceilingPerSec. */
  ratioToCeiling?: number;
  /** Median and 99th percentile of one whole login, client side. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Inside the bridge process. */
  bridge: Measurement;
  /** Bridge CPU time per login, and the share of both cores the bridge process used. */
  bridgeCpuMsPerLogin: number;
  /** Of it, the main thread's (the event loop's), when the machine has /proc. */
  bridgeMainThreadCpuMsPerLogin?: number;
  bridgeCpuShare: number;
  /** Every process's CPU per login over the phase, from /proc (Linux). */
  machine?: MachineCpu;
}

export interface LoginThroughputReport {
  concurrency: number;
  users: number;
  firstLogin: LoginPhase;
  repeatLogin: LoginPhase;
  floor?: { 'bare-knex': FloorPhase; 'bare-memory': FloorPhase };
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

export async function benchLoginThroughput(
  opts: LoginThroughputOptions = {},
): Promise<LoginThroughputReport> {
  const users = opts.users ?? 400;
  const concurrency = opts.concurrency ?? 8;
  const warmup = Math.min(opts.warmup ?? 2 * concurrency, Math.floor(users / 2));
  const fixture = await legacyFixture(users);
  const server = await startServer('bridge', {
    storeUrl: fixture.store.url,
    bridgeConfig: {
      ...fixture.bridgeConfig,
      // Every login here succeeds; the limits only matter to a bench that fails logins.
      security: { legacy_concurrency: Math.max(8, concurrency) },
    },
  });
  const agent = keepAliveAgent();
  try {
    const phase = async (
      names: string[],
      which: 'firstLoginPerSec' | 'repeatLoginPerSec',
    ): Promise<LoginPhase> => {
      const latencies: number[] = [];
      const before = opts.bracketCeiling
        ? await measureLoginCeilings(opts.bracketCeiling.durationMs)
        : undefined;
      await server.measureStart();
      const cpuBefore = cpuSnapshot();
      const { completed, seconds } = await runLanes(
        concurrency,
        async (i) => {
          const started = process.hrtime.bigint();
          await loginFlow(agent, server.url, server.client, names[i]!, BENCH_PASSWORD);
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        },
        { total: names.length },
      );
      const cpuAfter = cpuSnapshot();
      const bridge = await server.measureStop();
      const after = opts.bracketCeiling
        ? await measureLoginCeilings(opts.bracketCeiling.durationMs)
        : undefined;
      const ceiling = before && after ? (before[which] + after[which]) / 2 : opts.ceiling?.[which];
      const perSec = completed / seconds;
      return {
        logins: completed,
        perSec: round(perSec, 2),
        ...(before && after ? { ceilingBeforeAfter: [before[which], after[which]] as [number, number] } : {}),
        ...(ceiling ? { ceilingPerSec: round(ceiling, 2), ratioToCeiling: round(perSec / ceiling, 3) } : {}),
        latencyP50Ms: round(percentile(latencies, 50), 1),
        latencyP99Ms: round(percentile(latencies, 99), 1),
        bridge,
        bridgeCpuMsPerLogin: round(bridge.cpuMs / completed, 1),
        ...(bridge.mainThreadCpuMs !== undefined
          ? { bridgeMainThreadCpuMsPerLogin: round(bridge.mainThreadCpuMs / completed, 1) }
          : {}),
        bridgeCpuShare: round(bridge.cpuMs / bridge.wallMs / 2, 3),
        ...optional('machine', machineCpuBetween(cpuBefore, cpuAfter, completed, [server.pid])),
      };
    };
    // Warm-up logins migrate their users too; the measured ones are all first logins.
    await runLanes(
      concurrency,
      (i) =>
        loginFlow(agent, server.url, server.client, fixture.usernames[i]!, BENCH_PASSWORD).then(() => {}),
      { total: warmup },
    );
    const fresh = fixture.usernames.slice(warmup);
    const firstLogin = await phase(fresh, 'firstLoginPerSec');
    const repeatLogin = await phase(fresh, 'repeatLoginPerSec');
    if (!opts.floor) return { concurrency, users, firstLogin, repeatLogin };
    const floor = {
      'bare-knex': await floorPhase('bare-knex', fixture.store.url, fresh.length, concurrency),
      'bare-memory': await floorPhase('bare-memory', undefined, fresh.length, concurrency),
    };
    return { concurrency, users, firstLogin, repeatLogin, floor };
  } finally {
    agent.destroy();
    await server.stop();
    await fixture.drop();
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

async function floorPhase(
  kind: 'bare-knex' | 'bare-memory',
  storeUrl: string | undefined,
  logins: number,
  concurrency: number,
): Promise<FloorPhase> {
  const server = await startServer(kind, { storeUrl });
  const agent = keepAliveAgent();
  const login = () => loginFlow(agent, server.url, server.client, 'bench-user', 'unused').then(() => {});
  try {
    await runLanes(concurrency, login, { total: 2 * concurrency });
    await server.measureStart();
    const before = cpuSnapshot();
    const { completed, seconds } = await runLanes(concurrency, login, { total: logins });
    const after = cpuSnapshot();
    const measured = await server.measureStop();
    return {
      logins: completed,
      perSec: round(completed / seconds, 2),
      serverCpuMsPerLogin: round(measured.cpuMs / completed, 1),
      ...optional('machine', machineCpuBetween(before, after, completed, [server.pid])),
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [users, concurrency] = process.argv.slice(2).map(Number);
  const report = await benchLoginThroughput({
    users,
    concurrency,
    bracketCeiling: { durationMs: 2000 },
    floor: true,
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
