// A copy of the store is not a copy of the live tokens: on PostgreSQL, the rows of access
// and refresh tokens are keyed by a keyed hash and hold no token value, the real tokens work
// at userinfo and the token endpoint, and an id copied out of a row works at neither.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapterClass, tokenIdKey } from '../../src/oidc/adapter.ts';
import { createLegacyTable, type LegacyTable } from '../security/support.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { exchange, loginThroughBrowser, REDIRECT_URI, relyingParty } from '../support/rp.ts';

const PASSWORD = 'At-Rest-Password-5521';
const SECRET = 'at-rest-client-secret-5522';

let legacy: LegacyTable;
let t: TestBridge;

beforeAll(async () => {
  legacy = await createLegacyTable(
    'postgres',
    [{ username: 'rest', email: 'rest@example.com', password: PASSWORD }],
    {
      cost: 4,
    },
  );
  t = await startTestBridge({ legacy: legacy.config });
  await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: SECRET });
});

afterAll(async () => {
  await t?.close();
  await legacy?.drop();
});

async function userinfo(token: string): Promise<number> {
  const res = await fetch(`${t.url}/me`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

async function refresh(token: string): Promise<number> {
  const res = await fetch(`${t.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`app:${SECRET}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('tokens at rest', () => {
  it('keeps no token value in the store, and a copied row id works nowhere', async () => {
    const rp = await relyingParty(t.url, 'app', SECRET);
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'rest', PASSWORD, {
      scope: 'openid email offline_access',
      prompt: 'consent',
    });
    const tokens = await exchange(rp, run, callbackUrl);
    expect(tokens.refresh_token).toBeTruthy();
    const rows = await t.bridge.store
      .db('oidc_payloads')
      .whereIn('type', ['AccessToken', 'RefreshToken', 'AuthorizationCode'])
      .select('type', 'id', 'payload');
    expect(rows.map((r) => r.type).sort()).toEqual(['AccessToken', 'AuthorizationCode', 'RefreshToken']);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(tokens.access_token);
    expect(dump).not.toContain(tokens.refresh_token);
    for (const r of rows) expect(r.payload.jti).toBeUndefined();

    expect(await userinfo(tokens.access_token)).toBe(200);
    const copied = rows.find((r) => r.type === 'AccessToken')!.id as string;
    expect(await userinfo(copied)).toBe(401);
    const copiedRefresh = rows.find((r) => r.type === 'RefreshToken')!.id as string;
    expect(await refresh(copiedRefresh)).toBe(400);
    expect(await refresh(tokens.refresh_token!)).toBe(200);
  });

  it('re-keys a row stored before ids were hashed the first time it is used', async () => {
    const Adapter = createAdapterClass(t.bridge.store.db, async () => undefined, {
      idKey: tokenIdKey(undefined),
    });
    await t.bridge.store.db('oidc_payloads').insert({
      type: 'AccessToken',
      id: 'raw-token-value-from-before',
      payload: JSON.stringify({ jti: 'raw-token-value-from-before', kind: 'AccessToken' }),
      expires_at: new Date(Date.now() + 60_000),
    });
    const a = new Adapter('AccessToken');
    expect(await a.find('raw-token-value-from-before')).toMatchObject({ jti: 'raw-token-value-from-before' });
    const left = await t.bridge.store.db('oidc_payloads').where({ type: 'AccessToken' }).select('id');
    expect(left.map((r) => r.id)).not.toContain('raw-token-value-from-before');
    expect(await a.find('raw-token-value-from-before')).toMatchObject({ jti: 'raw-token-value-from-before' });
  });
});
