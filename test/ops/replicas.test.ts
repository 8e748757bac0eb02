// Two bridge processes on one PostgreSQL store, as two replicas behind a load balancer: the
// same configuration and issuer, each reached on its own port. A session begun on one is
// honoured by the other without sticky sessions, and `keys rotate` run from the command
// line reaches the other replica within oidc.key_refresh_seconds.
import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/bridge.ts';
import { runBin } from '../support/cli.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { loginThroughBrowser, relyingParty } from '../support/rp.ts';
import {
  authorizeAt,
  eventually,
  seedStore,
  spawnBridge,
  TEST_KEK,
  tempDir,
  tokenAt,
  writeConfig,
} from './support.ts';

const CLIENT = { id: 'replica-app', secret: 'replica-app-secret', firstParty: true };
const USER = { sub: 'replica-user', identifier: 'replica', password: 'a password for two replicas' };

let database: TestDatabase;
let configFile: string;
let a: Awaited<ReturnType<typeof spawnBridge>>;
let b: Awaited<ReturnType<typeof spawnBridge>>;
let urlA: string;
let urlB: string;

const env = () => ({ TEST_STORE_URL: database.url, TEST_KEK });

beforeAll(async () => {
  database = await createPgDatabase('obt_replicas');
  const [portA, portB] = [await freePort(), await freePort()];
  urlA = `http://127.0.0.1:${portA}`;
  urlB = `http://127.0.0.1:${portB}`;
  configFile = writeConfig(
    tempDir('replicas'),
    'oidc-bridge.yaml',
    [
      // One issuer for both, as behind a shared name; requests still go to each port directly.
      `issuer: ${urlA}`,
      'host: 127.0.0.1',
      'database: ${TEST_STORE_URL}',
      'key_encryption_key: ${TEST_KEK}',
      'oidc:',
      '  key_refresh_seconds: 2',
      '',
    ].join('\n'),
  );
  await seedStore(database.url, TEST_KEK, [USER], [CLIENT]);
  [a, b] = await Promise.all([spawnBridge(configFile, portA, env()), spawnBridge(configFile, portB, env())]);
});

afterAll(async () => {
  for (const p of [a, b]) {
    if (p && p.child.exitCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  await database?.drop();
});

async function jwksOf(base: string): Promise<string[]> {
  const res = await fetch(`${base}/jwks`);
  return ((await res.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
}

describe('two replicas on one store', () => {
  it('publish the same keys', async () => {
    expect((await jwksOf(urlB)).sort()).toEqual((await jwksOf(urlA)).sort());
  });

  it('accept on one replica a session begun on the other: no login page, a code, and tokens', async () => {
    const rp = await relyingParty(urlA, CLIENT.id, CLIENT.secret);
    const { run } = await loginThroughBrowser(rp, USER.identifier, USER.password);

    const { authorization, page } = await authorizeAt(urlB, run.browser, CLIENT.id);
    expect(page.html).not.toContain('name="password"');
    expect(authorization, `replica B stopped at ${page.url} (${page.status})`).toBeDefined();

    const tokens = await tokenAt(urlB, CLIENT, authorization!);
    const { payload } = await jose.jwtVerify(
      tokens.id_token,
      jose.createRemoteJWKSet(new URL(`${urlB}/jwks`)),
      {
        issuer: urlA,
        audience: CLIENT.id,
      },
    );
    expect(payload.sub).toBe(USER.sub);
  });

  it('pick up keys rotated from the command line within key_refresh_seconds and sign with them', async () => {
    const rp = await relyingParty(urlA, CLIENT.id, CLIENT.secret);
    const { run } = await loginThroughBrowser(rp, USER.identifier, USER.password);

    const rotated = await runBin(['keys', 'rotate', '--config', configFile, '--json'], { env: env() });
    expect(rotated.code, rotated.stderr).toBe(0);
    const { created } = JSON.parse(rotated.stdout) as { created: string[] };
    const rotatedAt = Date.now();

    const signing = created.filter((k) => !k.startsWith('cookie-'));
    expect(signing).toHaveLength(2);
    await eventually(async () => {
      const published = await jwksOf(urlB);
      return signing.every((k) => published.includes(k));
    }, 60_000);
    // Two-second refresh: well within a minute, and normally within a few seconds.
    expect(Date.now() - rotatedAt).toBeLessThan(60_000);

    // The session, signed with a cookie key that is now retired, still holds on B.
    const { authorization } = await authorizeAt(urlB, run.browser, CLIENT.id);
    expect(authorization).toBeDefined();
    const tokens = await tokenAt(urlB, CLIENT, authorization!);
    const { kid } = jose.decodeProtectedHeader(tokens.id_token);
    expect(created).toContain(kid);
    await jose.jwtVerify(tokens.id_token, jose.createRemoteJWKSet(new URL(`${urlB}/jwks`)), { issuer: urlA });
  });
});
