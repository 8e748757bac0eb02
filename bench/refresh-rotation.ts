// Refresh throughput with and without rotation (oidc.rotate_refresh_tokens) on the bridge on
// PostgreSQL: ten chains of refreshes at once, each using the refresh token the last one
// returned, which the endpoint bench cannot do (autocannon replays one token).
// `npx tsx bench/refresh-rotation.ts [seconds]`.
import { fileURLToPath } from 'node:url';
import { keepAliveAgent, loginFlow, refresh } from './support/http-client.ts';
import { BENCH_PASSWORD, legacyFixture, startServer } from './support/servers.ts';
import { round } from './support/stats.ts';

export interface RotationFigure {
  rotate: boolean;
  rps: number;
  requests: number;
  failures: number;
}

export async function benchRefreshRotation(seconds = 5, chains = 10): Promise<RotationFigure[]> {
  const figures: RotationFigure[] = [];
  for (const rotate of [true, false]) {
    const fixture = await legacyFixture(1);
    const server = await startServer('bridge', {
      storeUrl: fixture.store.url,
      bridgeConfig: { ...fixture.bridgeConfig, oidc: { rotate_refresh_tokens: rotate } },
    });
    const agent = keepAliveAgent();
    try {
      const tokens: string[] = [];
      for (let i = 0; i < chains; i++) {
        const t = await loginFlow(agent, server.url, server.client, fixture.usernames[0]!, BENCH_PASSWORD);
        tokens.push(t.refresh_token!);
      }
      let requests = 0;
      let failures = 0;
      const started = Date.now();
      const until = started + seconds * 1000;
      await Promise.all(
        tokens.map(async (first) => {
          let token = first;
          while (Date.now() < until) {
            const reply = await refresh(agent, server.url, server.client, token);
            if (reply.status !== 200) {
              failures++;
              return;
            }
            if (rotate) token = (JSON.parse(reply.body) as { refresh_token: string }).refresh_token;
            requests++;
          }
        }),
      );
      figures.push({ rotate, rps: round((requests * 1000) / (Date.now() - started), 1), requests, failures });
    } finally {
      agent.destroy();
      await server.stop();
      await fixture.drop();
    }
  }
  return figures;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [seconds] = process.argv.slice(2).map(Number);
  process.stdout.write(`${JSON.stringify(await benchRefreshRotation(seconds || 5), null, 2)}\n`);
}
