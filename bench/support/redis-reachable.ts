// Whether the Redis the benches would give the bridge as store.redis_url answers: the
// Redis-store rows are measured only then, and say so when they are not.
import { createClient } from 'redis';
import { REDIS_URL } from '../../test/support/redis.ts';

export async function redisReachable(url = REDIS_URL, timeoutMs = 1500): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: timeoutMs, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    if (client.isOpen) await client.close();
  }
}

export { REDIS_URL };
