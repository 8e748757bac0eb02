// Pins how many SQL statements a login sends to the store: the bridge in its own process on a
// real PostgreSQL store (and with the Redis store), every statement counted by a knex query
// listener under the request it serves, four first logins (which migrate) and the same four
// again. Reads that only a read cache's expiry brings (client metadata, an account by sub;
// oidc.read_cache_seconds) depend on how long the logins take and are counted apart.
import { beforeAll, describe, expect, it } from 'vitest';
import { benchStatements, type StatementsPerLogin, type StatementsReport } from '../../bench/statements.ts';

const LOGINS = 4;
const CACHE_EXPIRY_READ = /^select (\* from "accounts" where "sub"|"metadata" from "clients")/;

/** Statements per login, less the reads of an expired read cache. */
function withoutCacheExpiry(p: StatementsPerLogin): number {
  const expiry = Object.entries(p.sql ?? {})
    .filter(([phase]) => phase !== 'background')
    .flatMap(([, sql]) => sql)
    .filter((s) => CACHE_EXPIRY_READ.test(s)).length;
  return p.total - expiry / LOGINS;
}

describe('SQL statements per login', () => {
  let report: StatementsReport;
  beforeAll(async () => {
    // The child lists each statement's SQL (it inherits the environment).
    process.env.BENCH_STATEMENTS_SQL = '1';
    try {
      report = await benchStatements({ logins: LOGINS, kinds: ['bridge', 'bridge-redis'] });
    } finally {
      delete process.env.BENCH_STATEMENTS_SQL;
    }
  }, 180_000);

  it('sends at most 12 statements per first login and per repeat login to PostgreSQL alone', () => {
    const pg = report.results.bridge!;
    expect(withoutCacheExpiry(pg.first)).toBeLessThanOrEqual(12);
    expect(withoutCacheExpiry(pg.repeat)).toBeLessThanOrEqual(12);
    // authorize 1, login page 1, login post 5, resume 2, token 2 (the code with its grant and
    // session; the consume with the tokens it guards).
    expect(pg.repeat.phases).toMatchObject({ authorize: 1, 'login page': 1, 'login post': 5, token: 2 });
    // The login guard's counters, which pass knex's events by, counted at the driver.
    expect(pg.first.rateLimits).toBeGreaterThan(0);
    expect(pg.first.rateLimits).toBeLessThanOrEqual(12);
  });

  it('consumes the code, and a rotated refresh token, in the statement that writes the new tokens', () => {
    const pg = report.results.bridge!;
    const token = pg.repeat.sql!.token ?? [];
    expect(token.filter((s) => s.includes('WITH consumed AS (UPDATE')).length / LOGINS).toBe(1);
    expect(token.filter((s) => /insert into "oidc_payloads"/.test(s))).toHaveLength(0);
    // The refresh token with its grant and session, then the consume with the new tokens.
    expect(pg.tokenPath.refresh).toBe(2);
    expect(report.results['bridge-redis']!.tokenPath.refresh).toBe(2);
  });

  it('reads the interaction once per request and writes each request’s payloads in one statement', () => {
    const sql = report.results.bridge!.repeat.sql!;
    const interactionReads = (phase: string) =>
      (sql[phase] ?? []).filter((s) => s.startsWith('[Interaction] select')).length / LOGINS;
    expect(interactionReads('login page')).toBe(1);
    expect(interactionReads('login post')).toBe(1);
    // The interaction deleted, the grant, the code and the session written: one statement.
    expect((sql.resume ?? []).filter((s) => /insert into "oidc_payloads"/.test(s)).length / LOGINS).toBe(1);
  });

  it('sends at most 6 statements per login to PostgreSQL with the Redis store', () => {
    const redis = report.results['bridge-redis']!;
    expect(withoutCacheExpiry(redis.first)).toBeLessThanOrEqual(6);
    expect(withoutCacheExpiry(redis.repeat)).toBeLessThanOrEqual(6);
  });
});
