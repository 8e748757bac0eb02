// Single parts of the benchmark, run on their own: `BENCH_PHASES=queue,statements,tokens
// npm run bench` runs only those, prints their table and writes bench-phases.json, without
// the rest of the run. BENCH_QUICK=1 shortens them as it does the whole run.
import { writeFileSync } from 'node:fs';
import { benchCeiling } from './ceiling.ts';
import { benchEndpoints } from './endpoints.ts';
import { benchLoginThroughput } from './login-throughput.ts';
import { benchQueue, type QueueFigures } from './queue.ts';
import { benchRedisClients } from './redis-clients.ts';
import { loginRows, type Row, statementRows, tokenPathRows } from './report-rows.ts';
import { benchStatements } from './statements.ts';
import { type Line, printLines, verdict } from './support/table.ts';
import { benchTwoProcess, twoProcessLines } from './two-process.ts';

const quick = process.env.BENCH_QUICK === '1';

function queueLines(r: Awaited<ReturnType<typeof benchQueue>>): Line[] {
  const fmt = (f: QueueFigures | { error: string }) =>
    'error' in f
      ? `error: ${f.error}`
      : `enqueue ${f.enqueuePerSec}/s (p50 ${f.enqueueP50Ms} / p99 ${f.enqueueP99Ms} ms), drain ${f.drainPerSec}/s (claim to complete p50 ${f.claimToCompleteP50Ms} / p99 ${f.claimToCompleteP99Ms} ms)`;
  const lines: Line[] = [];
  for (const store of ['postgres', 'pglite'] as const)
    for (const queue of ['outbox', 'pgboss'] as const)
      lines.push([`queue, ${r.jobs} jobs × ${r.concurrency}: ${queue} on ${store}`, fmt(r[store][queue])]);
  if (r.pgbossBatchCompletePostgres)
    lines.push(['queue: pg-boss on postgres, one complete per batch', fmt(r.pgbossBatchCompletePostgres)]);
  return lines;
}

/** The rows of the whole run's report, as lines of this one. */
const linesOf = (rows: Row[]): Line[] =>
  rows.map((r) => [r.figure, r.value, r.met === undefined ? undefined : verdict(r.met, r.target)]);

const PHASES: Record<string, () => Promise<{ result: unknown; lines: Line[] }>> = {
  /** The hash ceilings, then first and repeat logins against them, as in the whole run. */
  async logins() {
    const ceiling = await benchCeiling({ durationMs: quick ? 500 : 4000 });
    const login = await benchLoginThroughput({
      users: quick ? 24 : 300,
      concurrency: 8,
      bracketCeiling: { durationMs: quick ? 300 : 2000 },
      floor: true,
    });
    return { result: { ceiling, login }, lines: linesOf(loginRows(ceiling, login)) };
  },
  async queue() {
    const result = await benchQueue(quick ? { jobs: 200 } : { jobs: 2000, concurrency: 4 });
    return { result, lines: queueLines(result) };
  },
  async statements() {
    const result = await benchStatements({ logins: quick ? 3 : 10 });
    return { result, lines: linesOf(statementRows(result)) };
  },
  async tokens() {
    const result = await benchEndpoints({
      kinds: ['bridge', 'bridge-redis', 'bare-knex', 'bare-memory'],
      endpoints: ['userinfo', 'introspection', 'refresh'],
      ...(quick ? { durationSec: 1, warmupSec: 0 } : { durationSec: 5 }),
    });
    return { result, lines: linesOf(tokenPathRows(result)) };
  },
  async 'two-process'() {
    const result = await benchTwoProcess(quick ? { users: 20, concurrency: 4 } : {});
    return { result, lines: twoProcessLines(result) };
  },
  async 'redis-clients'() {
    const result = await benchRedisClients(quick ? { ops: 2000 } : {});
    return { result, lines: [['redis clients', JSON.stringify(result)]] };
  },
};

export async function runPhases(names: string[]): Promise<void> {
  const unknown = names.filter((n) => !(n in PHASES));
  if (unknown.length) {
    process.stderr.write(
      `BENCH_PHASES names no phase ${unknown.join(', ')}; the phases are ${Object.keys(PHASES).join(', ')}.\n`,
    );
    process.exit(2);
  }
  const results: Record<string, unknown> = {};
  const lines: Line[] = [];
  for (const name of names) {
    process.stderr.write(`[bench] ${name}\n`);
    const { result, lines: l } = await PHASES[name]!();
    results[name] = result;
    lines.push(...l);
    writeFileSync('bench-phases.json', `${JSON.stringify(results, null, 2)}\n`);
  }
  printLines(lines);
}
