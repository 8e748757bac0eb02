// A bridge with store.redis_url against the machine's real Redis and PostgreSQL: a relying
// party (openid-client) logs in, and the code, the session and the access token are kept in
// Redis while the grant and the refresh token stay in PostgreSQL; userinfo, introspection,
// refresh and revocation work; the account's sessions are listed and ended from Redis.
import { tracingChannel } from 'node:diagnostics_channel';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountCommands } from '../../src/cli/commands/accounts.ts';
import { currentPayloadScope, runInPayloadScope } from '../../src/oidc/payload-scope.ts';
import { createRedisAdapterClass } from '../../src/oidc/redis-adapter.ts';
import { createPayloads } from '../../src/sessions/payloads.ts';
import { createSessions } from '../../src/sessions/sessions.ts';
import { revokeGrantInRedis } from '../../src/store/redis-keys.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { runCommands } from '../support/cli.ts';
import { createRedisPrefix, type TestRedisPrefix } from '../support/redis.ts';
import { exchange, loginThroughBrowser, relyingParty } from '../support/rp.ts';

const SECRET = 'app-client-secret-for-tests';
const PASSWORD = 'correct horse battery staple';

let t: TestBridge;
let redis: TestRedisPrefix;
let rp: oidc.Configuration;

beforeAll(async () => {
  redis = createRedisPrefix('bridge');
  t = await startTestBridge({ store: { redis_url: redis.url, redis_prefix: redis.prefix } });
  await t.addClient({
    id: 'app',
    redirectUris: ['http://127.0.0.1:8080/cb'],
    secret: SECRET,
    firstParty: true,
  });
  await t.addAccount({
    sub: 'user-r',
    password: PASSWORD,
    claims: { email: 'grace@example.com', given_name: 'Grace' },
    identifiers: ['grace', 'grace@example.com'],
  });
  rp = await relyingParty(t.url, 'app', SECRET);
});

afterAll(async () => {
  await t?.close();
  await redis?.drop();
});

describe('the bridge with the Redis store', () => {
  it('keeps the code, session and access token in Redis and the grant and refresh token in PostgreSQL', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'grace', PASSWORD);
    const tokens = await exchange(rp, run, callbackUrl);
    expect(tokens.claims()?.sub).toBe('user-r');

    const inPg = await t.bridge.store.db('oidc_payloads').distinct('type').pluck('type');
    expect(inPg.sort()).toEqual(['Grant', 'RefreshToken']);
    const shortLived = t.bridge.store.shortLived!;
    const keys = await shortLived.redis.keys(`${redis.prefix}*`);
    for (const model of ['AccessToken', 'AuthorizationCode', 'Session'])
      expect(keys.some((k) => k.startsWith(`${redis.prefix}${model}:`))).toBe(true);
    // The code was redeemed once: it is marked consumed.
    const code = keys.find((k) => k.startsWith(`${redis.prefix}AuthorizationCode:`))!;
    expect(await shortLived.redis.hGet(code, 'consumed')).toMatch(/^\d+$/);

    expect(await oidc.fetchUserInfo(rp, tokens.access_token, 'user-r')).toMatchObject({
      sub: 'user-r',
      email: 'grace@example.com',
    });
    expect((await oidc.tokenIntrospection(rp, tokens.access_token)).active).toBe(true);
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.claims()?.sub).toBe('user-r');
    await oidc.tokenRevocation(rp, refreshed.access_token);
    expect((await oidc.tokenIntrospection(rp, refreshed.access_token)).active).toBe(false);
  });

  it('introspects a refresh token without a hint from PostgreSQL, beside access tokens looked up at the same moment', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'grace', PASSWORD);
    const tokens = await exchange(rp, run, callbackUrl);
    // The refresh-token lookups wait for the Redis lookups of the same value; other values go on.
    const [refresh, access, again] = await Promise.all([
      oidc.tokenIntrospection(rp, tokens.refresh_token!),
      oidc.tokenIntrospection(rp, tokens.access_token),
      oidc.tokenIntrospection(rp, tokens.refresh_token!),
    ]);
    // oidc-provider names the type of an access token only; a refresh token outlives it.
    expect(access).toMatchObject({ active: true, token_type: 'Bearer', sub: 'user-r' });
    for (const r of [refresh, again]) {
      expect(r).toMatchObject({ active: true, sub: 'user-r', client_id: 'app' });
      expect(r.token_type).toBeUndefined();
      expect(r.exp!).toBeGreaterThan(access.exp!);
    }
    await oidc.tokenRevocation(rp, tokens.refresh_token!);
    expect((await oidc.tokenIntrospection(rp, tokens.refresh_token!)).active).toBe(false);
  });

  it('refuses a NUL character in an authorization parameter at /auth, before a code exists', async () => {
    // Redis could keep it; the refresh token the code would become is written to PostgreSQL.
    const url = new URL(`${t.url}/auth`);
    url.search =
      'client_id=app&response_type=code&scope=openid%20offline_access&prompt=consent&nonce=a%00b' +
      '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256';
    url.searchParams.set('redirect_uri', 'http://127.0.0.1:8080/cb');
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location') ?? '');
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toContain('NUL character');
    expect(back.searchParams.has('code')).toBe(false);
  });

  it("lists the account's sessions from Redis and ends them, revoking the grant's tokens in both stores", async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'grace@example.com', PASSWORD);
    const tokens = await exchange(rp, run, callbackUrl);
    const store = t.bridge.store;
    const sessions = createSessions(store.db, createPayloads(store.db, store.shortLived));
    expect((await sessions.list('user-r')).length).toBeGreaterThanOrEqual(1);

    await sessions.revokeAll('user-r');
    expect(await sessions.list('user-r')).toEqual([]);
    expect((await oidc.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);
    expect((await oidc.tokenIntrospection(rp, tokens.refresh_token!)).active).toBe(false);
    expect(await store.db('oidc_payloads').where({ type: 'RefreshToken' }).count({ n: '*' })).toEqual([
      { n: 0 },
    ]);
  });

  it('ends the access tokens and sessions it keeps in Redis when accounts disable disables the account', async () => {
    await t.addAccount({
      sub: 'user-d',
      password: PASSWORD,
      claims: { email: 'dora@example.com' },
      identifiers: ['dora'],
    });
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'dora', PASSWORD);
    const tokens = await exchange(rp, run, callbackUrl);
    expect((await oidc.tokenIntrospection(rp, tokens.access_token)).active).toBe(true);

    const configFile = join(mkdtempSync(join(tmpdir(), 'obt-redis-accounts-')), 'oidc-bridge.yaml');
    writeFileSync(
      configFile,
      JSON.stringify({
        issuer: t.url,
        database: t.database.url,
        store: { redis_url: redis.url, redis_prefix: redis.prefix },
      }),
    );
    const disabled = await runCommands(accountCommands, [
      'accounts',
      'disable',
      'user-d',
      '--config',
      configFile,
    ]);
    expect(disabled.code, disabled.err).toBe(0);
    expect(disabled.out).toMatch(/ended 1 session\(s\)/);

    expect((await oidc.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);
    const store = t.bridge.store;
    const sessions = createSessions(store.db, createPayloads(store.db, store.shortLived));
    expect(await sessions.list('user-d')).toEqual([]);
  });

  it('answers userinfo and introspection of an access token from Redis alone, with no statement to PostgreSQL', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'grace', PASSWORD);
    const tokens = await exchange(rp, run, callbackUrl);
    const calls = async () => {
      expect((await oidc.fetchUserInfo(rp, tokens.access_token, 'user-r')).email).toBe('grace@example.com');
      expect(await oidc.tokenIntrospection(rp, tokens.access_token)).toMatchObject({
        active: true,
        sub: 'user-r',
      });
    };
    await calls(); // the client and the account are in the read cache from here
    // The statements sent while serving a request (oidc-provider's request context is set), not
    // the background jobs' polls that fall into the same moment.
    const during = async (fn: () => Promise<unknown>) => {
      const statements: string[] = [];
      const count = (q: { sql: string }) => {
        if (Provider.ctx) statements.push(q.sql);
      };
      t.bridge.store.db.on('query', count);
      try {
        await fn();
      } finally {
        t.bridge.store.db.off('query', count);
      }
      return statements;
    };
    expect(await during(calls)).toEqual([]);
    // A refresh token is kept in PostgreSQL: its grant's statements are seen.
    expect(await during(() => oidc.refreshTokenGrant(rp, tokens.refresh_token!))).not.toEqual([]);
  });

  it('finds the session of a session-bound access token at userinfo in one Redis round trip', async () => {
    const { run, callbackUrl } = await loginThroughBrowser(rp, 'grace', PASSWORD);
    const tokens = await exchange(rp, run, callbackUrl);
    const userinfo = async () =>
      expect((await oidc.fetchUserInfo(rp, tokens.access_token, 'user-r')).email).toBe('grace@example.com');
    await userinfo(); // the client and the account are in the read cache from here
    // node-redis publishes each command it sends (with batches as one) on this channel.
    const commands: string[] = [];
    const channel = tracingChannel<unknown, { command: string }>('node-redis:command');
    const noop = () => {};
    const handlers = {
      start: (c: { command: string }) => void commands.push(c.command),
      end: noop,
      asyncStart: noop,
      asyncEnd: noop,
      error: noop,
    };
    channel.subscribe(handlers);
    try {
      await userinfo();
    } finally {
      channel.unsubscribe(handlers);
    }
    // The token (with its grant's copy), then the session by its uid: one script, not a GET
    // of the uid's id and a second read of that id's payload.
    expect(commands).toEqual(['HMGET', 'EVAL']);
  });

  it('finds a session by uid with its consumed state, and nothing for an unknown uid or a session gone', async () => {
    const shortLived = t.bridge.store.shortLived!;
    const { redis: client, keys } = shortLived;
    const Sessions = createRedisAdapterClass(shortLived, Buffer.alloc(32, 7));
    const sessions = new Sessions('Session');
    const payload = { accountId: 'user-r', kind: 'Session', uid: 'uid-r1', loginTs: 1 };
    await sessions.upsert('session-r1', payload, 60);
    expect(await sessions.findByUid('uid-r1')).toEqual(payload);
    await client.hSet(keys.payload('Session', 'session-r1'), 'consumed', '1700000000');
    expect(await sessions.findByUid('uid-r1')).toEqual({ ...payload, consumed: 1700000000 });
    expect(await sessions.findByUid('uid-unknown')).toBeUndefined();
    await sessions.destroy('session-r1');
    expect(await sessions.findByUid('uid-r1')).toBeUndefined();
  });

  it('keeps no copy of a grant beside an access token written after the revocation of that grant began', async () => {
    const shortLived = t.bridge.store.shortLived!;
    const { redis: client, keys } = shortLived;
    const AccessToken = createRedisAdapterClass(shortLived, Buffer.alloc(32, 7));
    const tokens = new AccessToken('AccessToken');
    const grant = {
      jti: 'grant-r1',
      kind: 'Grant',
      accountId: 'user-r',
      clientId: 'app',
      exp: 4_000_000_000,
    };
    const issue = (id: string) =>
      runInPayloadScope(async () => {
        currentPayloadScope()!.remember(
          { type: 'Grant', id: grant.jti, uid: null, grantId: grant.jti, expiresAt: null },
          grant,
          null,
        );
        await tokens.upsert(
          id,
          { accountId: 'user-r', clientId: 'app', grantId: grant.jti, kind: 'AccessToken' },
          60,
        );
      });
    const copyFound = (id: string) =>
      runInPayloadScope(async () => {
        expect(await tokens.find(id)).toMatchObject({ grantId: grant.jti });
        return currentPayloadScope()!.find('Grant', grant.jti);
      });

    await issue('token-before');
    expect(await copyFound('token-before')).toEqual({ payload: grant });

    await revokeGrantInRedis(client, keys, grant.jti);
    expect(await tokens.find('token-before')).toBeUndefined();
    // A request that read the grant before the revocation writes its token after it.
    await issue('token-after');
    expect(await copyFound('token-after')).toBeUndefined();
  });
});
