// The machine's real Redis for tests: each call gets a key prefix of its own, so runs and
// files never see each other's keys, and a function that deletes every key under it.
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedisPrefix {
  url: string;
  prefix: string;
  drop(): Promise<void>;
}

export function createRedisPrefix(name = 'obt'): TestRedisPrefix {
  const prefix = `${name}:${process.pid}:${randomBytes(4).toString('hex')}:`;
  return {
    url: REDIS_URL,
    prefix,
    async drop() {
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      try {
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
          if (keys.length) await client.del(keys);
        }
      } finally {
        await client.close();
      }
    },
  };
}
