// Where a phase's CPU went on the whole machine, from /proc: the bridge's process, the bench's
// own (its HTTP clients), PostgreSQL's, MariaDB's and Redis's processes, and whatever else ran.
// On a machine whose cores the bench saturates, a login's rate is the cores' time divided by
// every process's CPU per login, so the share of it that is hashing bounds the ratio to the
// hash ceiling. Linux only; elsewhere every figure is undefined.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { round } from './stats.ts';

/** Linux's USER_HZ: /proc's clock ticks per second, 100 on every architecture it runs on. */
const TICKS_PER_SECOND = 100;

/** The services the bench talks to, by their processes' command names. */
const SERVICES = { postgres: 'PostgreSQL', mariadbd: 'MariaDB', 'redis-server': 'Redis' } as const;
type Service = (typeof SERVICES)[keyof typeof SERVICES];

export interface CpuSnapshot {
  at: bigint;
  /** Busy ticks of every core (user, nice, system, irq, softirq, steal). */
  busy: number;
  byProcess: Map<number, { comm: string; ticks: number }>;
}

export interface MachineCpu {
  /** CPU milliseconds per login of each part, and of all of them. */
  perLoginMs: Record<'bridge' | 'bench clients' | Service | 'other' | 'all', number>;
  /** The cores' busy share over the phase (1: every core busy all the time). */
  busyShare: number;
}

function processTicks(stat: string): { comm: string; ticks: number } {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  // Fields after the command name: state is the 1st, utime and stime the 12th and 13th.
  const fields = stat.slice(close + 2).split(' ');
  return { comm: stat.slice(open + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const total = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const [user, nice, system, , , irq, softirq, steal] = total as number[];
    const byProcess = new Map<number, { comm: string; ticks: number }>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        byProcess.set(Number(entry), processTicks(readFileSync(`/proc/${entry}/stat`, 'utf8')));
      } catch {
        // The process ended between the listing and the read.
      }
    }
    return {
      at: process.hrtime.bigint(),
      busy: user! + nice! + system! + irq! + softirq! + steal!,
      byProcess,
    };
  } catch {
    return undefined;
  }
}

/**
 * The CPU between two snapshots, split by part, per login. `bridgePids` are the server
 * processes under load; the bench's own process is this one. A process that started after
 * the first snapshot counts from zero; one that ended before the second is in "other".
 */
export function machineCpuBetween(
  before: CpuSnapshot | undefined,
  after: CpuSnapshot | undefined,
  logins: number,
  bridgePids: number[],
): MachineCpu | undefined {
  if (!before || !after || logins === 0) return undefined;
  const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
  const parts = { bridge: 0, 'bench clients': 0, PostgreSQL: 0, MariaDB: 0, Redis: 0 };
  for (const [pid, now] of after.byProcess) {
    const was = before.byProcess.get(pid);
    const spent = now.ticks - (was && was.comm === now.comm ? was.ticks : 0);
    if (bridgePids.includes(pid)) parts.bridge += spent;
    else if (pid === process.pid) parts['bench clients'] += spent;
    else if (now.comm in SERVICES) parts[SERVICES[now.comm as keyof typeof SERVICES]] += spent;
  }
  const all = after.busy - before.busy;
  const named = Object.values(parts).reduce((a, b) => a + b, 0);
  const perLogin = (ticks: number) => round(ms(ticks) / logins, 1);
  const wallSeconds = Number(after.at - before.at) / 1e9;
  return {
    perLoginMs: {
      bridge: perLogin(parts.bridge),
      'bench clients': perLogin(parts['bench clients']),
      PostgreSQL: perLogin(parts.PostgreSQL),
      MariaDB: perLogin(parts.MariaDB),
      Redis: perLogin(parts.Redis),
      other: perLogin(Math.max(0, all - named)),
      all: perLogin(all),
    },
    busyShare: round(all / (wallSeconds * TICKS_PER_SECOND * availableParallelism()), 3),
  };
}
