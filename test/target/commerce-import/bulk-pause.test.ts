// A 429 with Retry-After to one batch of the bulk import pauses every sender of the run, not
// only the refused one: no request reaches the platform until the time it asked for is over.
// Real HTTP against a small server that counts when each request arrived.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.ts';
import type { CommerceImportConfig } from '../../../src/config/schema.ts';
import { createCommerceBulk } from '../../../src/target/commerce-import/bulk.ts';
import { startBodyServer } from '../../support/body-server.ts';

let server: Awaited<ReturnType<typeof startBodyServer>>;
let url: string;
const arrivals: Array<{ at: number; status: number }> = [];

beforeAll(async () => {
  server = await startBodyServer((_req, text, res) => {
    const users = JSON.parse(text) as unknown[];
    const status = arrivals.length === 0 ? 429 : 200;
    arrivals.push({ at: Date.now(), status });
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(status === 429 ? { 'retry-after': '1' } : {}),
    });
    res.end(
      JSON.stringify(
        status === 429 ? { error: 'rate_limited' } : { results: users.map(() => ({ status: 201 })) },
      ),
    );
  });
  url = server.url;
});

afterAll(async () => {
  await server.close();
});

describe('the bulk import and a 429', () => {
  it('holds back every sender until Retry-After is over, then sends both batches', async () => {
    const target = parseConfig({ target: { type: 'commerce-import', url } }).target as CommerceImportConfig;
    const poster = createCommerceBulk(target).createPoster({});
    const first = poster.post([{ password: 'x' }]);
    // The second sender starts once the first has been told to wait.
    while (arrivals.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const second = poster.post([{ password: 'y' }]);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toEqual([{ status: 'created' }]);
    expect(b).toEqual([{ status: 'created' }]);
    const refusedAt = arrivals[0]!.at;
    expect(arrivals).toHaveLength(3);
    for (const later of arrivals.slice(1)) expect(later.at - refusedAt).toBeGreaterThanOrEqual(950);
  });
});
