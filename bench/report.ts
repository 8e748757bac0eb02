// The whole table `npm run bench` prints (bench/run.ts), from the results of its parts. Any
// part may have failed or be missing: its rows then say "not measured" and why, with no goal
// judged, and the rows of the other parts are printed as measured.
import type { CeilingReport } from './ceiling.ts';
import type { ConsoleBenchResult } from './console.ts';
import type { EndpointsReport } from './endpoints.ts';
import type { LoginThroughputReport } from './login-throughput.ts';
import { hotPathRows, loginRows, type Row, statementRows, tokenPathRows } from './report-rows.ts';
import type { StatementsReport } from './statements.ts';

/** What a part that threw leaves in the results. */
export type Failed = { error: string };
export const failed = (x: unknown): x is Failed =>
  typeof x === 'object' && x !== null && typeof (x as { error?: unknown }).error === 'string';

export function reportRows(r: {
  ceiling: CeilingReport | Failed;
  login: LoginThroughputReport | Failed;
  endpoints: EndpointsReport | Failed;
  statements: StatementsReport | Failed;
  /** Why the Redis-store rows were not measured, when they were not. */
  redisSkipped: string | undefined;
  recheck: unknown;
  floor: unknown;
  factors: unknown;
  importRun: unknown;
  enumeration: unknown;
  consolePages: unknown;
}): Row[] {
  const out: Row[] = [];
  const add = (figure: string, value: string, target = '', met?: boolean) =>
    out.push({ figure, value, target, met });
  const notMeasured = (figure: string, x: Failed) => add(figure, `not measured: ${x.error}`);
  const c = r.ceiling;
  if (failed(c)) notMeasured('hashing ceiling (benchCeiling)', c);
  else {
    add('ceiling: bcrypt cost 10 verify', `${c.verify.bcrypt10.perSec}/s`);
    add('ceiling: argon2id verify (19 MiB, t=2, p=1)', `${c.verify.argon2id.perSec}/s`);
    add('ceiling: argon2id hash (the re-hash)', `${c.argon2idHash.perSec}/s`);
    add(`ceiling: pbkdf2_sha256 ${c.pbkdf2Iterations} iterations`, `${c.verify.pbkdf2Sha256.perSec}/s`);
    add('ceiling: salted sha256 (main thread)', `${c.verify.saltedSha256.perSec}/s`);
    for (const [label, rate] of Object.entries(c.legacyFormats)) add(`ceiling: ${label}`, `${rate.perSec}/s`);
  }
  // The login figures are ratios to the ceiling: neither is a figure without the other.
  if (failed(r.login)) notMeasured('login throughput (benchLoginThroughput)', r.login);
  else if (failed(c)) notMeasured('login throughput / hashing ceiling', c);
  else out.push(...loginRows(c, r.login));
  out.push(
    ...statementRows(
      failed(r.statements) ? { skipped: `error: ${r.statements.error}` } : r.statements,
      r.redisSkipped,
    ),
  );
  if (failed(r.endpoints)) notMeasured('token path and metadata endpoints (benchEndpoints)', r.endpoints);
  else out.push(...tokenPathRows(r.endpoints, r.redisSkipped));
  const imp = r.importRun as { missing?: true; rowsPerSec?: number; peakRssMb?: number } & Record<
    string,
    unknown
  >;
  if (imp.missing) add('import (benchImport)', 'missing: bench/import.ts not present');
  else if (failed(imp)) notMeasured('import (benchImport)', imp);
  else {
    const sizes = imp as unknown as Record<
      'small' | 'large',
      { rows: number; rowsPerSec: number; peakRssMb: number }
    > & {
      rssGrowth: number;
    };
    for (const k of ['small', 'large'] as const) {
      const x = sizes[k];
      add(`import ${x.rows} rows: rows/s`, String(x.rowsPerSec), '>= 5000', x.rowsPerSec >= 5000);
      add(`import ${x.rows} rows: peak RSS`, `${x.peakRssMb} MB`);
    }
    add('import: peak RSS large / small', String(sizes.rssGrowth), '<= 1.2', sizes.rssGrowth <= 1.2);
  }
  const en = r.enumeration as {
    missing?: true;
    ratio?: number;
    unknownMedianMs?: number;
    knownWrongMedianMs?: number;
  };
  if (en.missing) add('enumeration (benchEnumeration)', 'missing: bench/enumeration.ts not present');
  else if (failed(en)) notMeasured('enumeration (benchEnumeration)', en);
  else
    add(
      'enumeration: unknown / known-wrong median',
      `${en.ratio} (${en.unknownMedianMs} / ${en.knownWrongMedianMs} ms)`,
      '0.8 to 1.25',
      en.ratio !== undefined && en.ratio >= 0.8 && en.ratio <= 1.25,
    );
  const paths = (en as { paths?: { ratio: Record<string, number>; medianMs: Record<string, number> } }).paths;
  if (paths) {
    for (const [path, ratio] of Object.entries(paths.ratio)) {
      if (path === 'unknown') continue;
      add(
        `failure timing: ${path} / unknown median`,
        `${ratio} (${paths.medianMs[path]} / ${paths.medianMs.unknown} ms)`,
        '0.9 to 1.1',
        ratio >= 0.9 && ratio <= 1.1,
      );
    }
  }
  const reset = (en as { reset?: { ratio: number; unknownMedianMs: number; knownMedianMs: number } }).reset;
  if (reset)
    add(
      'enumeration: password reset request, unknown / known median',
      `${reset.ratio} (${reset.unknownMedianMs} / ${reset.knownMedianMs} ms)`,
      '0.8 to 1.25',
      reset.ratio >= 0.8 && reset.ratio <= 1.25,
    );
  const cp = r.consolePages as {
    missing?: true;
    error?: string;
    auditRows?: number;
    accounts?: number;
    rollupSeconds?: number;
    pages?: Record<string, { medianMs: number; p95Ms: number }>;
  };
  if (cp.missing) add('console (benchConsole)', 'missing: bench/console.ts not present');
  else if (cp.error) add('console (benchConsole)', `not measured: ${cp.error.split(' - ').at(-1)}`);
  else if (cp.pages?.progress) {
    const size = `${cp.auditRows} audit rows, ${cp.accounts} accounts`;
    add(
      `console progress page, ${size}: median / p95`,
      `${cp.pages.progress.medianMs} / ${cp.pages.progress.p95Ms} ms`,
      '< 200 ms median',
      cp.pages.progress.medianMs < 200,
    );
    for (const page of ['delivery', 'security'] as const) {
      const p = cp.pages[page];
      if (p) add(`console ${page} page: median / p95`, `${p.medianMs} / ${p.p95Ms} ms`);
    }
    add('console: first rollup of the whole history', `${cp.rollupSeconds} s`);
  }
  out.push(
    ...hotPathRows({
      recheck: r.recheck as never,
      floor: r.floor as never,
      factors: r.factors as never,
      consolePages: r.consolePages as ConsoleBenchResult,
    }),
  );
  return out;
}
