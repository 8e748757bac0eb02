// The storage adapter's contract, on the knex adapter (PostgreSQL) and on the split one
// (short-lived models in the machine's real Redis, the rest in PostgreSQL): payloads
// round-trip, expired payloads are never returned, consume is atomic, and revokeByGrantId
// removes every token of a grant, wherever each is kept.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Adapter } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapterClass, sweepExpired } from '../../src/oidc/adapter.ts';
import { runInPayloadScope } from '../../src/oidc/payload-scope.ts';
import { createStoreAdapterClass } from '../../src/oidc/split-adapter.ts';
import { storedId, tokenIdKey } from '../../src/oidc/stored-id.ts';
import { createStore, type Store } from '../../src/store/db.ts';
import { createShortLivedStore, RedisTimeoutError, type ShortLivedStore } from '../../src/store/redis.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { createRedisPrefix, type TestRedisPrefix } from '../support/redis.ts';

const ID_KEY = tokenIdKey(undefined);

interface Subject {
  Adapter: new (name: string) => Adapter;
  /** Makes a stored payload expire now, as time would. */
  expire(model: string, id: string): Promise<void>;
  store: Store;
  shortLived?: ShortLivedStore;
}

function contract(title: string, setup: () => Promise<Subject>, teardown: () => Promise<void>) {
  describe(title, () => {
    let s: Subject;
    beforeAll(async () => {
      s = await setup();
    });
    afterAll(teardown);

    it('returns what was stored, and finds by uid and by user code', async () => {
      const a = new s.Adapter('Interaction');
      await a.upsert('i1', { uid: 'u-1', jti: 'i1', kind: 'Interaction' } as never, 60);
      expect(await a.find('i1')).toMatchObject({ uid: 'u-1' });
      expect(await a.findByUid('u-1')).toMatchObject({ jti: 'i1' });
      const d = new s.Adapter('DeviceCode');
      await d.upsert('d1', { userCode: 'ABCD-EFGH', jti: 'd1' } as never, 60);
      expect(await d.findByUserCode('ABCD-EFGH')).toMatchObject({ jti: 'd1' });
    });

    it('never returns an expired payload', async () => {
      const a = new s.Adapter('Session');
      await a.upsert('old', { jti: 'old', uid: 'old-uid' } as never, 60);
      await s.expire('Session', 'old');
      expect(await a.find('old')).toBeUndefined();
      expect(await a.findByUid('old-uid')).toBeUndefined();
    });

    it('lets exactly one of 10 concurrent consumes of one code succeed', async () => {
      const a = new s.Adapter('AuthorizationCode');
      await a.upsert('c1', { jti: 'c1', grantId: 'g1' } as never, 60);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => new s.Adapter('AuthorizationCode').consume('c1')),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await a.find('c1'))?.consumed).toEqual(expect.any(Number));
    });

    it('refuses to consume a code that is not there', async () => {
      await expect(new s.Adapter('AuthorizationCode').consume('never-issued')).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      expect(await new s.Adapter('AuthorizationCode').find('never-issued')).toBeUndefined();
    });

    it('revokes every token of a grant by its grant id', async () => {
      await new s.Adapter('AccessToken').upsert('at1', { jti: 'at1', grantId: 'g2' } as never, 60);
      await new s.Adapter('RefreshToken').upsert('rt1', { jti: 'rt1', grantId: 'g2' } as never, 60);
      await new s.Adapter('AuthorizationCode').upsert('ac1', { jti: 'ac1', grantId: 'g2' } as never, 60);
      await new s.Adapter('AccessToken').upsert('at2', { jti: 'at2', grantId: 'other' } as never, 60);
      await new s.Adapter('AccessToken').revokeByGrantId('g2');
      expect(await new s.Adapter('AccessToken').find('at1')).toBeUndefined();
      expect(await new s.Adapter('RefreshToken').find('rt1')).toBeUndefined();
      expect(await new s.Adapter('AuthorizationCode').find('ac1')).toBeUndefined();
      expect(await new s.Adapter('AccessToken').find('at2')).toBeDefined();
    });

    it('revokes a grant from the Grant model too, in both stores', async () => {
      await new s.Adapter('AccessToken').upsert('at3', { jti: 'at3', grantId: 'g3' } as never, 60);
      await new s.Adapter('RefreshToken').upsert('rt3', { jti: 'rt3', grantId: 'g3' } as never, 60);
      await new s.Adapter('Grant').revokeByGrantId('g3');
      expect(await new s.Adapter('AccessToken').find('at3')).toBeUndefined();
      expect(await new s.Adapter('RefreshToken').find('rt3')).toBeUndefined();
    });

    it('destroys one payload', async () => {
      const a = new s.Adapter('Grant');
      await a.upsert('g9', { jti: 'g9' } as never, 60);
      await a.destroy('g9');
      expect(await a.find('g9')).toBeUndefined();
      const t = new s.Adapter('AccessToken');
      await t.upsert('at9', { jti: 'at9' } as never, 60);
      await t.destroy('at9');
      expect(await t.find('at9')).toBeUndefined();
    });
  });
}

let database: TestDatabase;
let store: Store;
contract(
  'the knex adapter',
  async () => {
    database = await createPgDatabase();
    store = createStore({ database: database.url });
    await store.migrate();
    return {
      Adapter: createAdapterClass(store.db, async () => undefined),
      store,
      async expire(model, id) {
        await store
          .db('oidc_payloads')
          .where({ type: model, id })
          .update({ expires_at: new Date(Date.now() - 1000) });
      },
    };
  },
  async () => {
    await store?.close();
    await database?.drop();
  },
);

describe('the knex adapter, sweep', () => {
  let db: TestDatabase;
  let s: Store;
  beforeAll(async () => {
    db = await createPgDatabase();
    s = createStore({ database: db.url });
    await s.migrate();
  });
  afterAll(async () => {
    await s?.close();
    await db?.drop();
  });

  it('deletes expired rows', async () => {
    await new (createAdapterClass(s.db, async () => undefined))('Session').upsert(
      'old',
      { jti: 'old' } as never,
      1,
    );
    await s
      .db('oidc_payloads')
      .where({ id: 'old' })
      .update({ expires_at: new Date(Date.now() - 1000) });
    expect(await sweepExpired(s.db)).toBe(1);
    expect(await s.db('oidc_payloads').where({ id: 'old' }).first()).toBeUndefined();
  });
});

let splitDb: TestDatabase;
let splitStore: Store;
let redisPrefix: TestRedisPrefix;
let shortLived: ShortLivedStore;
contract(
  'the split adapter: short-lived models in Redis, the rest in PostgreSQL',
  async () => {
    splitDb = await createPgDatabase();
    splitStore = createStore({ database: splitDb.url });
    await splitStore.migrate();
    redisPrefix = createRedisPrefix('adapter');
    shortLived = createShortLivedStore({ url: redisPrefix.url, prefix: redisPrefix.prefix });
    await shortLived.connect();
    return {
      Adapter: createStoreAdapterClass(splitStore.db, async () => undefined, shortLived, ID_KEY),
      store: splitStore,
      shortLived,
      async expire(model, id) {
        await shortLived.redis.pExpire(shortLived.keys.payload(model, storedId(model, id, ID_KEY)), 1);
        await new Promise((r) => setTimeout(r, 20));
      },
    };
  },
  // Closed after the tests below, which use the same stores.
  async () => {},
);

afterAll(async () => {
  await shortLived?.close();
  await redisPrefix?.drop();
  await splitStore?.close();
  await splitDb?.drop();
});

describe('the split adapter, where each model is kept', () => {
  it('keeps access tokens, codes and sessions in Redis only, and grants and refresh tokens in PostgreSQL only', async () => {
    const Adapter = createStoreAdapterClass(splitStore.db, async () => undefined, shortLived, ID_KEY);
    const models = ['AccessToken', 'AuthorizationCode', 'Session', 'Grant', 'RefreshToken'];
    for (const model of models)
      await new Adapter(model).upsert(`where-${model}`, { jti: `where-${model}` } as never, 60);
    const inPg = await splitStore
      .db('oidc_payloads')
      .whereIn(
        'id',
        models.map((m) => storedId(m, `where-${m}`, ID_KEY)),
      )
      .orderBy('type')
      .pluck('type');
    expect(inPg).toEqual(['Grant', 'RefreshToken']);
    for (const model of ['AccessToken', 'AuthorizationCode', 'Session'])
      expect(
        await shortLived.redis.exists(
          shortLived.keys.payload(model, storedId(model, `where-${model}`, ID_KEY)),
        ),
      ).toBe(1);
    expect(await shortLived.redis.exists(shortLived.keys.payload('Grant', 'where-Grant'))).toBe(0);
  });

  it('expires a Redis payload with its lifetime, its uid with it', async () => {
    const Adapter = createStoreAdapterClass(splitStore.db, async () => undefined, shortLived, ID_KEY);
    await new Adapter('Interaction').upsert('short', { jti: 'short', uid: 'short-uid' } as never, 1);
    const key = shortLived.keys.payload('Interaction', 'short');
    expect(await shortLived.redis.ttl(key)).toBeGreaterThan(0);
    expect(await shortLived.redis.ttl(shortLived.keys.uid('short-uid'))).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await new Adapter('Interaction').find('short')).toBeUndefined();
    expect(await new Adapter('Interaction').findByUid('short-uid')).toBeUndefined();
  });

  it('answers a Redis that is gone as an outage (503 temporarily_unavailable), not a 500', async () => {
    const gone = createShortLivedStore({ url: redisPrefix.url, prefix: redisPrefix.prefix });
    await gone.connect();
    await gone.close();
    const Adapter = createStoreAdapterClass(splitStore.db, async () => undefined, gone, ID_KEY);
    await expect(new Adapter('AccessToken').find('any')).rejects.toMatchObject({
      status: 503,
      error: 'temporarily_unavailable',
    });
    await expect(new Adapter('Session').upsert('s', { jti: 's' } as never, 60)).rejects.toMatchObject({
      status: 503,
    });
  });

  /** A Redis of the test's own, to freeze with SIGSTOP: its port still accepts, nothing answers. */
  async function privateRedis(commandTimeoutMs: number) {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const store = createShortLivedStore({
      url: `redis://127.0.0.1:${port}`,
      prefix: 'frozen:',
      commandTimeoutMs,
    });
    const close = async () => {
      server.kill('SIGCONT');
      await store.close().catch(() => {});
      server.kill('SIGKILL');
    };
    try {
      for (let i = 0; ; i++) {
        try {
          await store.connect();
          break;
        } catch (err) {
          if (i === 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } catch (err) {
      await close();
      throw err;
    }
    return {
      store,
      freeze: () => server.kill('SIGSTOP'),
      thaw: () => server.kill('SIGCONT'),
      close,
    };
  }

  it('answers a Redis that stops answering as an outage within its command timeout, and works again once it answers', async () => {
    const redis = await privateRedis(400);
    try {
      const Adapter = createStoreAdapterClass(splitStore.db, async () => undefined, redis.store, ID_KEY);
      await new Adapter('Session').upsert('f1', { jti: 'f1', uid: 'fu1' } as never, 60);
      redis.freeze();
      const started = Date.now();
      await expect(new Adapter('Session').findByUid('fu1')).rejects.toMatchObject({
        status: 503,
        error: 'temporarily_unavailable',
      });
      await expect(new Adapter('AccessToken').find('any')).rejects.toMatchObject({ status: 503 });
      await expect(redis.store.ping()).rejects.toBeInstanceOf(RedisTimeoutError);
      // Each failed between the timeout and 1.2 times it (the three ran one after the other).
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(3 * 400);
      expect(waited).toBeLessThan(3 * 480 + 300);
      redis.thaw();
      expect(await new Adapter('Session').findByUid('fu1')).toMatchObject({ uid: 'fu1' });
    } finally {
      await redis.close();
    }
  });

  it("looks a value up as a refresh token without waiting for another request's access-token lookup of it", async () => {
    const redis = await privateRedis(2000);
    try {
      const Adapter = createStoreAdapterClass(splitStore.db, async () => undefined, redis.store, ID_KEY);
      await new Adapter('RefreshToken').upsert(
        'shared-value',
        { jti: 'shared-value', kind: 'RefreshToken' } as never,
        60,
      );
      redis.freeze();
      // One request's access-token lookup of the value hangs on the frozen Redis.
      const other = runInPayloadScope(() => new Adapter('AccessToken').find('shared-value'));
      const failed = expect(other).rejects.toMatchObject({ status: 503 });
      // Another request looks the same value up as a refresh token: PostgreSQL answers at once.
      const started = Date.now();
      const found = await runInPayloadScope(() => new Adapter('RefreshToken').find('shared-value'));
      expect(found).toMatchObject({ kind: 'RefreshToken', jti: 'shared-value' });
      expect(Date.now() - started).toBeLessThan(1000);
      await failed;
    } finally {
      await redis.close();
    }
  });

  it("lists an account's live sessions, and forgets one that ended", async () => {
    const Adapter = createStoreAdapterClass(splitStore.db, async () => undefined, shortLived, ID_KEY);
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { jti: 's1', uid: 'su1', accountId: 'acct-1' } as never, 60);
    await sessions.upsert('s2', { jti: 's2', uid: 'su2', accountId: 'acct-1' } as never, 60);
    await sessions.upsert('s3', { jti: 's3', uid: 'su3', accountId: 'acct-2' } as never, 60);
    await sessions.destroy('s2');
    const listed = await shortLived.sessionsOf<{ jti: string }>('acct-1');
    expect(listed.map((x) => x.jti)).toEqual(['s1']);
    expect(await shortLived.redis.sMembers(shortLived.keys.accountSessions('acct-1'))).toEqual(['s1']);
  });
});

describe('the knex adapter within one request', () => {
  let db: TestDatabase;
  let s: Store;
  let Adapter: new (name: string) => Adapter;
  let statements: string[];
  beforeAll(async () => {
    db = await createPgDatabase();
    s = createStore({ database: db.url });
    await s.migrate();
    Adapter = createAdapterClass(s.db, async () => undefined);
    s.db.on('query', (q: { sql: string }) => statements.push(q.sql));
  });
  afterAll(async () => {
    await s?.close();
    await db?.drop();
  });
  const stored = (type: string, id: string) =>
    s
      .db('oidc_payloads')
      .where({ type, id: storedId(type, id, ID_KEY) })
      .first('id');

  it('finds what the request wrote without asking the store, and writes it all in one statement at the end', async () => {
    statements = [];
    await runInPayloadScope(async () => {
      await new Adapter('Session').upsert('s1', { jti: 's1', uid: 'su1', accountId: 'a' } as never, 60);
      await new Adapter('Grant').upsert('g1', { jti: 'g1', accountId: 'a' } as never, 60);
      await new Adapter('AuthorizationCode').upsert('c1', { jti: 'c1', grantId: 'g1' } as never, 60);
      expect(await new Adapter('Grant').find('g1')).toMatchObject({ accountId: 'a' });
      expect(await new Adapter('Session').findByUid('su1')).toMatchObject({ jti: 's1' });
      expect(statements).toHaveLength(0);
      expect(await stored('Grant', 'g1')).toBeUndefined();
      statements = [];
    });
    expect(statements).toHaveLength(1);
    expect(await stored('Session', 's1')).toBeDefined();
    expect(await stored('AuthorizationCode', 'c1')).toBeDefined();
  });

  it('reads a row once per request, and a row it destroyed is gone for the rest of it and from the store', async () => {
    await new Adapter('Interaction').upsert('i1', { jti: 'i1', uid: 'iu1' } as never, 60);
    statements = [];
    await runInPayloadScope(async () => {
      expect(await new Adapter('Interaction').find('i1')).toMatchObject({ uid: 'iu1' });
      expect(await new Adapter('Interaction').find('i1')).toMatchObject({ uid: 'iu1' });
      await new Adapter('Interaction').destroy('i1');
      expect(await new Adapter('Interaction').find('i1')).toBeUndefined();
      expect(await new Adapter('Interaction').findByUid('iu1')).toBeUndefined();
    });
    expect(statements).toHaveLength(2);
    expect(await stored('Interaction', 'i1')).toBeUndefined();
  });

  it('reads a code with its grant and its session in one statement', async () => {
    await new Adapter('Session').upsert('s2', { jti: 's2', uid: 'su2' } as never, 60);
    await new Adapter('Grant').upsert('g2', { jti: 'g2', accountId: 'b' } as never, 60);
    await new Adapter('AuthorizationCode').upsert(
      'c2',
      { jti: 'c2', grantId: 'g2', sessionUid: 'su2' } as never,
      60,
    );
    statements = [];
    await runInPayloadScope(async () => {
      expect(await new Adapter('AuthorizationCode').find('c2')).toMatchObject({ jti: 'c2', grantId: 'g2' });
      expect(await new Adapter('Session').findByUid('su2')).toMatchObject({ jti: 's2' });
      expect(await new Adapter('Grant').find('g2')).toMatchObject({ accountId: 'b' });
    });
    expect(statements).toHaveLength(1);
  });

  it('lets exactly one of 10 concurrent requests consume one code, each having read it first', async () => {
    await new Adapter('AuthorizationCode').upsert('c3', { jti: 'c3', grantId: 'g3' } as never, 60);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        runInPayloadScope(async () => {
          const a = new Adapter('AuthorizationCode');
          expect((await a.find('c3'))?.consumed).toBeUndefined();
          await a.consume('c3');
          expect((await a.find('c3'))?.consumed).toEqual(expect.any(Number));
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  const consumedAt = async (type: string, id: string) =>
    (
      await s
        .db('oidc_payloads')
        .where({ type, id: storedId(type, id, ID_KEY) })
        .first('consumed_at')
    )?.consumed_at;

  it("consumes a code with the request's writes in one statement, and sees it consumed for the rest of the request", async () => {
    await new Adapter('Grant').upsert('g7', { jti: 'g7', accountId: 'g' } as never, 60);
    await new Adapter('AuthorizationCode').upsert('c7', { jti: 'c7', grantId: 'g7' } as never, 60);
    statements = [];
    await runInPayloadScope(async () => {
      const code = new Adapter('AuthorizationCode');
      expect((await code.find('c7'))?.consumed).toBeUndefined();
      await code.consume('c7');
      expect((await code.find('c7'))?.consumed).toEqual(expect.any(Number));
      await new Adapter('AccessToken').upsert('at7', { jti: 'at7', grantId: 'g7' } as never, 60);
      await new Adapter('RefreshToken').upsert('rt7', { jti: 'rt7', grantId: 'g7' } as never, 60);
      // The read so far: the consume waits for the tokens.
      expect(statements).toHaveLength(1);
      expect(await consumedAt('AuthorizationCode', 'c7')).toBeNull();
      statements = [];
    });
    // Then one statement: the consume, and the tokens with it.
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^WITH consumed AS \(UPDATE/);
    expect(await consumedAt('AuthorizationCode', 'c7')).toBeInstanceOf(Date);
    expect(await stored('AccessToken', 'at7')).toBeDefined();
    expect(await stored('RefreshToken', 'rt7')).toBeDefined();
  });

  it('writes nothing of a request whose code another request consumed first, and answers invalid_grant', async () => {
    await new Adapter('AuthorizationCode').upsert('c8', { jti: 'c8', grantId: 'g8' } as never, 60);
    await new Adapter('Interaction').upsert('i8', { jti: 'i8', uid: 'iu8' } as never, 60);
    const answer = runInPayloadScope(async () => {
      const code = new Adapter('AuthorizationCode');
      expect((await code.find('c8'))?.consumed).toBeUndefined();
      // The concurrent request's consume lands between this one's read and its own.
      await s
        .db('oidc_payloads')
        .where({ type: 'AuthorizationCode', id: storedId('AuthorizationCode', 'c8', ID_KEY) })
        .update({ consumed_at: s.db.fn.now() });
      await code.consume('c8');
      await new Adapter('AccessToken').upsert('at8', { jti: 'at8', grantId: 'g8' } as never, 60);
      await new Adapter('Interaction').destroy('i8');
    });
    await expect(answer).rejects.toMatchObject({
      error: 'invalid_grant',
      error_detail: 'authorization code already consumed',
    });
    expect(await stored('AccessToken', 'at8')).toBeUndefined();
    expect(await stored('Interaction', 'i8')).toBeDefined();
  });

  it('refuses, at the next read the scope cannot answer, a consume another request made first, and writes nothing of the request after it', async () => {
    await new Adapter('RefreshToken').upsert('rt10', { jti: 'rt10', grantId: 'g10' } as never, 60);
    await new Adapter('RefreshToken').consume('rt10');
    await runInPayloadScope(async () => {
      await new Adapter('RefreshToken').consume('rt10');
      await new Adapter('RefreshToken').upsert('rt10b', { jti: 'rt10b', grantId: 'g10' } as never, 60);
      // The read sends the consume first; its refusal is the read's answer, as oidc-provider's
      // error handler would get it, and the request goes on to its end.
      await expect(new Adapter('Session').find('s10')).rejects.toMatchObject({ error: 'invalid_grant' });
      await new Adapter('AccessToken').upsert('at10', { jti: 'at10', grantId: 'g10' } as never, 60);
    });
    expect(await stored('RefreshToken', 'rt10b')).toBeUndefined();
    expect(await stored('AccessToken', 'at10')).toBeUndefined();
  });

  it('never sends a consume again once the statement carrying it failed: the client is told to retry', async () => {
    await new Adapter('AuthorizationCode').upsert('c11', { jti: 'c11', grantId: 'g11' } as never, 60);
    // Statements of this store give up on a lock after a moment; a row lock held elsewhere
    // makes the one carrying the consume fail.
    await s.db.raw(`ALTER DATABASE "${db.name}" SET lock_timeout = '300ms'`);
    const timed = createStore({ database: db.url });
    const Timed = createAdapterClass(timed.db, async () => undefined);
    const lock = await s.db.transaction();
    try {
      await lock.raw(`SELECT 1 FROM oidc_payloads WHERE type = 'AuthorizationCode' AND id = ? FOR UPDATE`, [
        storedId('AuthorizationCode', 'c11', ID_KEY),
      ]);
      await runInPayloadScope(async () => {
        const code = new Timed('AuthorizationCode');
        await code.find('c11');
        await code.consume('c11');
        await new Timed('AccessToken').upsert('at11', { jti: 'at11', grantId: 'g11' } as never, 60);
        // A read the scope cannot answer sends the consume first; the statement fails.
        await expect(new Timed('Session').find('s11')).rejects.toThrow(/lock timeout/);
        await lock.commit();
      });
    } finally {
      if (!lock.isCompleted()) await lock.rollback();
      await timed.close();
      await s.db.raw(`ALTER DATABASE "${db.name}" RESET lock_timeout`);
    }
    // The code is still the client's to redeem on its retry, and no token of the failed request is kept.
    expect(await consumedAt('AuthorizationCode', 'c11')).toBeNull();
    expect(await stored('AccessToken', 'at11')).toBeUndefined();
  });

  it('sends a pending consume before anything that needs the store, in order', async () => {
    await new Adapter('RefreshToken').upsert('rt9', { jti: 'rt9', grantId: 'g9' } as never, 60);
    await runInPayloadScope(async () => {
      const rt = new Adapter('RefreshToken');
      await rt.find('rt9');
      await rt.consume('rt9');
      await new Adapter('AccessToken').upsert('at9', { jti: 'at9', grantId: 'g9' } as never, 60);
      await new Adapter('AccessToken').revokeByGrantId('other-grant');
      expect(await consumedAt('RefreshToken', 'rt9')).toBeInstanceOf(Date);
      expect(await stored('AccessToken', 'at9')).toBeDefined();
    });
    // A second consume of the same token, in a request of its own, is refused.
    await expect(
      runInPayloadScope(async () => {
        await new Adapter('RefreshToken').consume('rt9');
        await new Adapter('AccessToken').upsert('at9b', { jti: 'at9b', grantId: 'g9' } as never, 60);
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant', error_detail: 'grant already consumed' });
    expect(await stored('AccessToken', 'at9b')).toBeUndefined();
  });

  it('sends what is pending before a revoke, so the revoke removes it too', async () => {
    await runInPayloadScope(async () => {
      await new Adapter('AccessToken').upsert('at4', { jti: 'at4', grantId: 'g4' } as never, 60);
      await new Adapter('RefreshToken').upsert('rt4', { jti: 'rt4', grantId: 'g4' } as never, 60);
      await new Adapter('Grant').revokeByGrantId('g4');
      expect(await new Adapter('AccessToken').find('at4')).toBeUndefined();
    });
    expect(await stored('AccessToken', 'at4')).toBeUndefined();
    expect(await stored('RefreshToken', 'rt4')).toBeUndefined();
  });

  it("ends a grant for good when its tokens are revoked at the same time, as oidc-provider's revoke does", async () => {
    // revoke(): every model's revokeByGrantId and the Grant's destroy, started together, with
    // the refresh token's own destroy beside them (RFC 7009 revocation, refresh-token reuse).
    await new Adapter('Grant').upsert('g5', { jti: 'g5', accountId: 'e' } as never, 60);
    await new Adapter('RefreshToken').upsert('rt5', { jti: 'rt5', grantId: 'g5' } as never, 60);
    await new Adapter('AccessToken').upsert('at5', { jti: 'at5', grantId: 'g5' } as never, 60);
    await runInPayloadScope(async () => {
      expect(await new Adapter('RefreshToken').find('rt5')).toMatchObject({ grantId: 'g5' });
      await Promise.all([
        new Adapter('RefreshToken').destroy('rt5'),
        ...['AccessToken', 'RefreshToken', 'AuthorizationCode'].map((m) =>
          new Adapter(m).revokeByGrantId('g5'),
        ),
        new Adapter('Grant').destroy('g5'),
      ]);
    });
    expect(await stored('Grant', 'g5')).toBeUndefined();
    expect(await stored('RefreshToken', 'rt5')).toBeUndefined();
    expect(await stored('AccessToken', 'at5')).toBeUndefined();
  });

  it('keeps a write made while an earlier one is being sent, and sends it', async () => {
    await runInPayloadScope(async () => {
      await new Adapter('Session').upsert('s6', { jti: 's6', uid: 'su6' } as never, 60);
      const revoking = new Adapter('AccessToken').revokeByGrantId('g6');
      await new Adapter('Grant').upsert('g6', { jti: 'g6', accountId: 'f' } as never, 60);
      await revoking;
    });
    expect(await stored('Session', 's6')).toBeDefined();
    expect(await stored('Grant', 'g6')).toBeDefined();
  });

  it('writes at once outside a request, and once the request is over', async () => {
    let late: Promise<void> | undefined;
    await runInPayloadScope(async () => {
      late = new Promise((resolve) => setTimeout(resolve, 20)).then(() =>
        new Adapter('Session').upsert('late', { jti: 'late' } as never, 60),
      );
    });
    await late;
    expect(await stored('Session', 'late')).toBeDefined();
  });

  it('answers the lookups of one token in every model as one statement, as introspection asks them', async () => {
    statements = [];
    await new Adapter('AccessToken').upsert('tok-1', { jti: 'tok-1', grantId: 'g-1' } as never, 60);
    statements = [];
    const [at, cc, rt] = await Promise.all([
      new Adapter('AccessToken').find('tok-1'),
      new Adapter('ClientCredentials').find('tok-1'),
      new Adapter('RefreshToken').find('tok-1'),
    ]);
    expect(at).toMatchObject({ jti: 'tok-1', grantId: 'g-1' });
    expect(cc).toBeUndefined();
    expect(rt).toBeUndefined();
    expect(statements).toHaveLength(1);
  });

  it('gives each of two concurrent readers of one row its own payload', async () => {
    statements = [];
    await new Adapter('Grant').upsert('g-2', { jti: 'g-2', accountId: 'sub-1' } as never, 60);
    const [a, b] = await Promise.all([new Adapter('Grant').find('g-2'), new Adapter('Grant').find('g-2')]);
    expect(a).toEqual(b);
    a!.accountId = 'changed by one caller';
    expect(b!.accountId).toBe('sub-1');
  });

  it('sees a token revoked between two reads at once: nothing is kept after a read', async () => {
    statements = [];
    const at = new Adapter('AccessToken');
    await at.upsert('tok-3', { jti: 'tok-3', grantId: 'g-3' } as never, 60);
    expect(await at.find('tok-3')).toBeDefined();
    await at.revokeByGrantId('g-3');
    expect(await at.find('tok-3')).toBeUndefined();
  });

  it("reads a token's grant and session with it within one request, and answers them from the request's scope", async () => {
    statements = [];
    await new Adapter('Grant').upsert('g-4', { jti: 'g-4', accountId: 'sub-4' } as never, 60);
    await new Adapter('Session').upsert('s-4', { jti: 's-4', uid: 'u-4', accountId: 'sub-4' } as never, 60);
    await new Adapter('AccessToken').upsert(
      'tok-4',
      { jti: 'tok-4', grantId: 'g-4', sessionUid: 'u-4', expiresWithSession: true } as never,
      60,
    );
    await runInPayloadScope(async () => {
      statements = [];
      expect(await new Adapter('AccessToken').find('tok-4')).toBeDefined();
      expect(await new Adapter('Session').findByUid('u-4')).toMatchObject({ accountId: 'sub-4' });
      expect(await new Adapter('Grant').find('g-4')).toMatchObject({ accountId: 'sub-4' });
      expect(statements).toHaveLength(1);
      await new Adapter('Grant').destroy('g-4');
      expect(await new Adapter('Grant').find('g-4')).toBeUndefined();
    });
    expect(await new Adapter('Grant').find('g-4')).toBeUndefined();
  });

  it('keeps nothing read ahead outside a request', async () => {
    statements = [];
    await new Adapter('Grant').upsert('g-5', { jti: 'g-5' } as never, 60);
    await new Adapter('AccessToken').upsert('tok-5', { jti: 'tok-5', grantId: 'g-5' } as never, 60);
    statements = [];
    await new Adapter('AccessToken').find('tok-5');
    await new Adapter('Grant').find('g-5');
    expect(statements).toHaveLength(2);
  });

  it('answers every reader of a failed statement with the outage, as one read would', async () => {
    statements = [];
    const other = createStore({ database: db.url });
    const Broken = createAdapterClass(other.db, async () => undefined);
    await other.close();
    const results = await Promise.allSettled([
      new Broken('AccessToken').find('tok-1'),
      new Broken('RefreshToken').find('tok-1'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
