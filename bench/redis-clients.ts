// ioredis against node-redis on what the Redis store does most: a token read (GET) and a
// token write (MULTI of SET with an expiry and SADD to its grant's set), from concurrent
// callers on one connection each. The figures chose the client; BENCHMARKS.md holds a run.
// `npx tsx bench/redis-clients.ts [ops] [concurrency]` (REDIS_URL, default 127.0.0.1:6379).
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { runLanes } from './support/stats.ts';

interface Client {
  get(key: string): Promise<unknown>;
  write(key: string, value: string, grant: string): Promise<unknown>;
  close(): Promise<unknown>;
}

async function ioredis(url: string): Promise<Client> {
  const r = new IORedis(url, { lazyConnect: true });
  await r.connect();
  return {
    get: (k) => r.get(k),
    write: (k, v, g) => r.multi().set(k, v, 'EX', 60).sadd(g, k).expire(g, 60).exec(),
    close: () => r.quit(),
  };
}

async function nodeRedis(url: string): Promise<Client> {
  const r = createClient({ url });
  await r.connect();
  return {
    get: (k) => r.get(k),
    write: (k, v, g) => r.multi().set(k, v, { EX: 60 }).sAdd(g, k).expire(g, 60).exec(),
    close: () => r.quit(),
  };
}

async function measure(client: Client, ops: number, concurrency: number, prefix: string) {
  const value = JSON.stringify({ jti: 'x'.repeat(43), accountId: 'sub', scope: 'openid email', exp: 0 });
  const w = await runLanes(
    concurrency,
    async (i) => void (await client.write(`${prefix}at:${i}`, value, `${prefix}g:${i % 97}`)),
    {
      total: ops,
    },
  );
  const r = await runLanes(concurrency, async (i) => void (await client.get(`${prefix}at:${i}`)), {
    total: ops,
  });
  return {
    writesPerSec: Math.round(w.completed / w.seconds),
    readsPerSec: Math.round(r.completed / r.seconds),
  };
}

export async function benchRedisClients(opts: { ops?: number; concurrency?: number } = {}) {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const ops = opts.ops ?? 20_000;
  const concurrency = opts.concurrency ?? 8;
  const out: Record<string, unknown> = { ops, concurrency };
  for (const [name, make] of [
    ['ioredis', ioredis],
    ['node-redis', nodeRedis],
    ['ioredis (again)', ioredis],
    ['node-redis (again)', nodeRedis],
  ] as const) {
    const client = await make(url);
    try {
      out[name] = await measure(client, ops, concurrency, `bench-clients:${process.pid}:${name}:`);
    } finally {
      await client.close();
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(
    JSON.stringify(
      await benchRedisClients({
        ops: Number(process.argv[2] ?? 20_000),
        concurrency: Number(process.argv[3] ?? 8),
      }),
      null,
      2,
    ),
  );
}
