// SQL statements per login, phase by phase (authorize, login page, login post, resume, code
// exchange), counted by a knex query listener inside the bridge process: every statement is
// one round trip to the store (BEGIN and COMMIT included). First logins (which migrate) and
// repeat logins, one at a time so each statement belongs to one login, on the bridge alone
// and with store.redis_url. Queries to the legacy database are counted beside them.
// `npx tsx bench/statements.ts [logins]`, or BENCH_PHASES=statements npm run bench.
import { fileURLToPath } from 'node:url';
import { createRedisPrefix } from '../test/support/redis.ts';
import { basicAuth, keepAliveAgent, loginFlow, refresh, send } from './support/http-client.ts';
import {
  BENCH_PASSWORD,
  legacyFixture,
  type ServerKind,
  type StatementCounts,
  startServer,
} from './support/servers.ts';
import { round } from './support/stats.ts';

export const STATEMENTS_GOAL = 12;

export interface StatementsPerLogin {
  /** Statements to the store per login, by phase. */
  phases: Record<string, number>;
  total: number;
  /** Queries to the legacy database per login. */
  legacy: number;
  /** Statements outside requests while the logins ran (the delivery worker), per login. */
  background: number;
  /** The login guard's rate-limit counters, per login: not in `total` (see BENCHMARKS.md). */
  rateLimits: number;
  sql?: Record<string, string[]>;
}

/** Statements to the store per request of the token path. */
export interface TokenPathStatements {
  userinfo: number;
  introspection: number;
  refresh: number;
}

export interface StatementsReport {
  logins: number;
  goal: number;
  results: Partial<
    Record<
      ServerKind,
      { first: StatementsPerLogin; repeat: StatementsPerLogin; tokenPath: TokenPathStatements }
    >
  >;
}

function perLogin(c: StatementCounts, logins: number): StatementsPerLogin {
  const phases = Object.fromEntries(
    Object.entries(c.store)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => [k, round(n / logins, 2)]),
  );
  const total = Object.values(c.store).reduce((a, b) => a + b, 0);
  return {
    phases,
    total: round(total / logins, 2),
    legacy: round(c.legacy / logins, 2),
    background: round(c.background / logins, 2),
    rateLimits: round((c.rateLimits ?? 0) / logins, 2),
    ...(c.sql ? { sql: c.sql } : {}),
  };
}

export async function benchStatements(
  opts: { logins?: number; kinds?: ServerKind[] } = {},
): Promise<StatementsReport> {
  const logins = opts.logins ?? 10;
  const kinds = opts.kinds ?? ['bridge', 'bridge-redis'];
  const report: StatementsReport = { logins, goal: STATEMENTS_GOAL, results: {} };
  for (const kind of kinds) {
    // One fixture per server: each first login must be the user's first.
    const fixture = await legacyFixture(logins + 1);
    const redis = kind === 'bridge-redis' ? createRedisPrefix('bench') : undefined;
    const server = await startServer(kind, {
      countStatements: true,
      storeUrl: fixture.store.url,
      bridgeConfig: {
        ...fixture.bridgeConfig,
        ...(redis ? { store: { redis_url: redis.url, redis_prefix: redis.prefix } } : {}),
      },
    });
    const agent = keepAliveAgent();
    try {
      // One unmeasured login: the keys, clients and caches are loaded.
      await loginFlow(agent, server.url, server.client, fixture.usernames[logins]!, BENCH_PASSWORD);
      const run = async () => {
        await server.statementsReset();
        for (let i = 0; i < logins; i++)
          await loginFlow(agent, server.url, server.client, fixture.usernames[i]!, BENCH_PASSWORD);
        return perLogin(await server.statementsRead(), logins);
      };
      const first = await run();
      const repeat = await run();
      const tokens = await loginFlow(agent, server.url, server.client, fixture.usernames[0]!, BENCH_PASSWORD);
      const counted = async (request: () => Promise<{ status: number }>) => {
        await server.statementsReset();
        const reply = await request();
        if (reply.status !== 200) throw new Error(`${kind}: token path request answered ${reply.status}`);
        const c = await server.statementsRead();
        return Object.values(c.store).reduce((a, b) => a + b, 0);
      };
      const form = {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(server.client),
      };
      const tokenPath = {
        userinfo: await counted(() =>
          send(agent, `${server.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
        ),
        introspection: await counted(() =>
          send(agent, `${server.url}/token/introspection`, {
            method: 'POST',
            headers: form,
            body: new URLSearchParams({ token: tokens.access_token }).toString(),
          }),
        ),
        refresh: await counted(() => refresh(agent, server.url, server.client, tokens.refresh_token!)),
      };
      report.results[kind] = { first, repeat, tokenPath };
    } finally {
      agent.destroy();
      await server.stop();
      await fixture.drop();
      await redis?.drop();
    }
  }
  return report;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const logins = Number(process.argv[2] ?? 10);
  process.stdout.write(`${JSON.stringify(await benchStatements({ logins }), null, 2)}\n`);
  process.exit(0);
}
