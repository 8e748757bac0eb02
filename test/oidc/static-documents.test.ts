// Discovery and the JWKS are answered from the document oidc-provider gave first: the same
// bytes and headers every time, CORS for the asking origin, and the new keys once the
// provider is rebuilt after a rotation.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKeyStore } from '../../src/oidc/keys.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';

let t: TestBridge;

beforeAll(async () => {
  t = await startTestBridge({ log_level: 'silent' });
});

afterAll(async () => {
  await t?.close();
});

const PATHS = ['/.well-known/openid-configuration', '/jwks'];

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}${path}`, { headers });
  const h = Object.fromEntries([...res.headers].filter(([name]) => name !== 'date'));
  return { status: res.status, headers: h, body: await res.text() };
}

it("answers discovery and the JWKS again with the bytes and headers of oidc-provider's first answer", async () => {
  for (const path of PATHS) {
    const first = await get(path);
    const again = [await get(path), await get(path)];
    expect(first.status).toBe(200);
    for (const a of again) expect(a).toEqual(first);
    expect(first.headers).toMatchObject({
      'access-control-allow-origin': '*',
      vary: 'Origin',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    expect(Number(first.headers['content-length'])).toBe(Buffer.byteLength(first.body));
  }
  expect(JSON.parse((await get(PATHS[0]!)).body).issuer).toBe(t.url);
});

it('names the asking origin in CORS, as oidc-provider does', async () => {
  for (const path of PATHS) {
    const res = await get(path, { origin: 'https://rp.example' });
    expect(res.headers['access-control-allow-origin']).toBe('https://rp.example');
  }
});

it('leaves a preflight, a HEAD and a query string to oidc-provider', async () => {
  const pre = await fetch(`${t.url}/jwks`, {
    method: 'OPTIONS',
    headers: { origin: 'https://rp.example', 'access-control-request-method': 'GET' },
  });
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-methods')).toBe('GET');
  const head = await fetch(`${t.url}/jwks`, { method: 'HEAD' });
  expect(head.status).toBe(200);
  const query = await fetch(`${t.url}/.well-known/openid-configuration?x=1`);
  expect(((await query.json()) as { issuer: string }).issuer).toBe(t.url);
});

it('publishes the keys of a rotation once the provider is rebuilt, after the old JWKS was answered', async () => {
  const before = JSON.parse((await get('/jwks')).body) as { keys: Array<{ kid: string }> };
  await createKeyStore(t.bridge.store.db, t.bridge.box).rotate(3600);
  expect(await t.bridge.refreshKeys()).toBe(true);
  const after = JSON.parse((await get('/jwks')).body) as { keys: Array<{ kid: string }> };
  const added = after.keys.map((k) => k.kid).filter((kid) => !before.keys.some((k) => k.kid === kid));
  expect(added.length).toBeGreaterThan(0);
  expect(JSON.parse((await get('/jwks')).body)).toEqual(after);
});
