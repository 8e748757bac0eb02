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

  it('sends at most 12 statements per first login and 11 per repeat login to PostgreSQL alone, its attempt counters included', () => {
    const pg = report.results.bridge!;
    expect(withoutCacheExpiry(pg.first)).toBeLessThanOrEqual(12);
    expect(withoutCacheExpiry(pg.repeat)).toBeLessThanOrEqual(11);
    // authorize 1, login page 1, login post, resume 2, token 2 (the code with its grant and
    // session; the consume with the tokens it guards). The login post: the interaction, the
    // account lookup (with its second-factor summary), the attempt counters (a first login's
    // twice: the user is known after the legacy lookup), the migration or the login record
    // (with the counters' give-back), the interaction's result.
    expect(pg.first.phases).toMatchObject({ 'login page': 1, 'login post': 6 });
    expect(pg.repeat.phases).toMatchObject({ authorize: 1, 'login page': 1, 'login post': 5, token: 2 });
    const counterStatements = (p: typeof pg.first) =>
      Object.entries(p.sql ?? {})
        .filter(([phase]) => phase !== 'background')
        .flatMap(([, sql]) => sql)
        .filter((q) => /^INSERT INTO rate_limits/.test(q)).length / LOGINS;
    expect(counterStatements(pg.repeat)).toBe(1);
    expect(counterStatements(pg.first)).toBe(2);
    // Nothing is sent past knex's events any more.
    expect(pg.first.rateLimits).toBe(0);
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

  it('answers userinfo and an introspection without a hint with one statement each on PostgreSQL, and with none with the Redis store', () => {
    // The three lookups of an introspection without token_type_hint (access token, client
    // credentials, refresh token) are started together and go to the store as one statement.
    const pg = report.results.bridge!;
    expect(pg.tokenPath.userinfo).toBe(1);
    expect(pg.tokenPath.introspection).toBe(1);
    // With Redis the access token carries its grant's copy, and the value is an access token
    // in Redis, so the refresh-token lookup never reaches PostgreSQL.
    expect(report.results['bridge-redis']!.tokenPath.userinfo).toBe(0);
    expect(report.results['bridge-redis']!.tokenPath.introspection).toBe(0);
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

  it('reads the second-factor summary with the account lookup, never in a statement of its own', () => {
    for (const kind of ['bridge', 'bridge-redis'] as const) {
      for (const logins of [report.results[kind]!.first, report.results[kind]!.repeat]) {
        const post = logins.sql!['login post'] ?? [];
        const summaries = post.filter((s) => s.includes('account_second_factors'));
        expect(summaries).toHaveLength(LOGINS);
        for (const s of summaries) expect(s).toMatch(/^select "a"\.\*, json_build_object\(/);
      }
    }
  });

  it('sends at most 7 statements per first login and 6 per repeat login to PostgreSQL with the Redis store', () => {
    const redis = report.results['bridge-redis']!;
    expect(withoutCacheExpiry(redis.first)).toBeLessThanOrEqual(7);
    expect(withoutCacheExpiry(redis.repeat)).toBeLessThanOrEqual(6);
    // The login post: the account lookup (with its second-factor summary), the counters, the
    // migration or the login record.
    expect(redis.first.phases).toMatchObject({ 'login post': 4 });
    expect(redis.repeat.phases).toMatchObject({ 'login post': 3 });
  });
});
