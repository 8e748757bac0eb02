// The table `npm run bench` prints, when parts of the run failed: a failed part is reported as
// not measured, with its error, and never as a goal missed or a crash of the report.
import { describe, expect, it } from 'vitest';
import { reportRows } from '../../bench/report.ts';

const error = (what: string) => ({ error: `${what} did not start within 20 s` });

const everyPartFailed = {
  ceiling: error('the hash pool'),
  login: error('the bridge'),
  endpoints: error('bare oidc-provider'),
  statements: error('the statement counter'),
  redisSkipped: undefined,
  recheck: error('MariaDB'),
  floor: error('the floor bridge'),
  factors: error('the factor bridge'),
  importRun: error('the reference target'),
  enumeration: error('the enumeration bridge'),
  consolePages: error('the console'),
};

describe('the bench report, with parts that failed', () => {
  it('prints a row for every failed part saying it was not measured and why, judging no goal', () => {
    const rows = reportRows(everyPartFailed);
    const byFigure = new Map(rows.map((r) => [r.figure, r]));
    const notMeasured: [string, string][] = [
      ['hashing ceiling (benchCeiling)', 'the hash pool'],
      ['login throughput (benchLoginThroughput)', 'the bridge'],
      ['token path and metadata endpoints (benchEndpoints)', 'bare oidc-provider'],
      ['SQL statements per login', 'error: the statement counter'],
      ['import (benchImport)', 'the reference target'],
      ['enumeration (benchEnumeration)', 'the enumeration bridge'],
      ['console (benchConsole)', 'the console'],
    ];
    for (const [figure, why] of notMeasured)
      expect(byFigure.get(figure)?.value, figure).toBe(`not measured: ${why} did not start within 20 s`);
    expect(rows.find((r) => r.figure === 'coexistence re-check at login')?.value).toBe(
      'error: MariaDB did not start within 20 s',
    );
    // Nothing failed is judged, and nothing reads "undefined" where a figure would be.
    expect(rows.filter((r) => r.met !== undefined)).toEqual([]);
    expect(rows.filter((r) => /undefined|NaN/.test(r.value))).toEqual([]);
  });

  it('reports the login figures as not measured when only the ceiling they are divided by failed', () => {
    const login = { concurrency: 8 } as never;
    const rows = reportRows({ ...everyPartFailed, login });
    expect(rows.find((r) => r.figure === 'login throughput / hashing ceiling')?.value).toBe(
      'not measured: the hash pool did not start within 20 s',
    );
  });
});
