// The bulk import's Idempotency-Keys on the wire, against a small real HTTP server that takes
// one user a request (it refuses arrays) and paces the first request with a 429: the batch
// key goes with the array and with its resend after the 429, each user's key with that user
// alone, and the same keys again when the same batch is posted again (a resumed run).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.ts';
import type { CommerceImportConfig } from '../../../src/config/schema.ts';
import { batchKeys } from '../../../src/migration/import.ts';
import { createCommerceBulk } from '../../../src/target/commerce-import/bulk.ts';
import { startBodyServer } from '../../support/body-server.ts';

let server: Awaited<ReturnType<typeof startBodyServer>>;
let url: string;
const seen: Array<{ array: boolean; key: string | undefined; status: number }> = [];

beforeAll(async () => {
  server = await startBodyServer((req, text, res) => {
    const array = Array.isArray(JSON.parse(text));
    const status = seen.length === 0 ? 429 : array ? 400 : 201;
    const key = req.headers['idempotency-key'];
    seen.push({ array, key: typeof key === 'string' ? key : undefined, status });
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(status === 429 ? { 'retry-after': '0' } : {}),
    });
    res.end(JSON.stringify(status === 201 ? { status: 'created' } : { error: 'bad_request' }));
  });
  url = server.url;
});

afterAll(async () => {
  await server.close();
});

it('sends the batch key with the array and each user key with that user alone, the same on a resend', async () => {
  const target = parseConfig({ target: { type: 'commerce-import', url } }).target as CommerceImportConfig;
  const keys = batchKeys('5b3f5c56-1111-4c1e-9a6e-2d6f0e7b9a10', ['41', '42']);
  expect(keys.users[0]).not.toBe(keys.users[1]);
  expect(keys.users).not.toContain(keys.batch);
  const poster = createCommerceBulk(target).createPoster({ sleep: async () => {} });
  expect(await poster.post([{ password: 'a' }, { password: 'b' }], keys)).toEqual([
    { status: 'created' },
    { status: 'created' },
  ]);
  expect(seen).toEqual([
    { array: true, key: keys.batch, status: 429 },
    { array: true, key: keys.batch, status: 400 },
    { array: false, key: keys.users[0], status: 201 },
    { array: false, key: keys.users[1], status: 201 },
  ]);

  // The same batch of the same run, posted again by a new poster: the same keys.
  seen.length = 1;
  const again = createCommerceBulk(target).createPoster({ sleep: async () => {} });
  await again.post(
    [{ password: 'a' }, { password: 'b' }],
    batchKeys('5b3f5c56-1111-4c1e-9a6e-2d6f0e7b9a10', ['41', '42']),
  );
  expect(seen.slice(1).map((s) => s.key)).toEqual([keys.batch, keys.users[0], keys.users[1]]);
});
