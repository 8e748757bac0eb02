// Key rotation: an id_token signed before `keys rotate` still verifies after it, new tokens
// are signed with the new key, and the retired key stays in the JWKS.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keyCommands } from '../../src/cli/commands/keys.ts';
import { runCli } from '../../src/cli/framework.ts';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { createKeyStore } from '../../src/oidc/keys.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { exchange, loginThroughBrowser, REDIRECT_URI, relyingParty } from '../support/rp.ts';

let t: TestBridge;
let configFile: string;

beforeAll(async () => {
  t = await startTestBridge();
  await t.addClient({ id: 'app', redirectUris: [REDIRECT_URI], secret: 'rotation-secret', firstParty: true });
  await t.bridge.store.db.transaction(async (trx) =>
    createAccounts(t.bridge.store.db).insert(trx, {
      sub: 'u1',
      passwordHash: await hashBridgePassword('pw-rotation-1'),
      claims: {},
      source: 'local',
      identifiers: ['u1'],
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'obt-keys-'));
  configFile = join(dir, 'oidc-bridge.yaml');
  writeFileSync(configFile, `database: ${t.database.url}\nlog_level: silent\n`);
});

afterAll(async () => {
  await t?.close();
});

async function idToken(): Promise<string> {
  const rp = await relyingParty(t.url, 'app', 'rotation-secret');
  const { run, callbackUrl } = await loginThroughBrowser(rp, 'u1', 'pw-rotation-1');
  return (await exchange(rp, run, callbackUrl)).id_token!;
}

it('keeps verifying a token signed before `keys rotate` and signs new tokens with the new key', async () => {
  const before = await idToken();
  const oldKid = jose.decodeProtectedHeader(before).kid;

  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(keyCommands, ['keys', 'rotate', '--config', configFile, '--json'], {
    out: (l) => out.push(l),
    // Without a key encryption key the command warns on stderr that it stores keys unsealed.
    err: (l) => err.push(l),
    stdin: process.stdin,
    isTTY: false,
    env: {},
  });
  expect(code).toBe(0);
  const rotated = JSON.parse(out[0]!) as { created: string[]; retired: string[] };
  expect(rotated.retired).toContain(oldKid);

  expect(await t.bridge.refreshKeys()).toBe(true);
  const jwks = jose.createRemoteJWKSet(new URL(`${t.url}/jwks`), { cacheMaxAge: 0, cooldownDuration: 0 });
  const { payload } = await jose.jwtVerify(before, jwks, { issuer: t.url });
  expect(payload.sub).toBe('u1');

  const after = await idToken();
  const newKid = jose.decodeProtectedHeader(after).kid;
  expect(newKid).not.toBe(oldKid);
  expect(rotated.created).toContain(newKid);
  await jose.jwtVerify(after, jwks, { issuer: t.url });

  const published = (await (await fetch(`${t.url}/jwks`)).json()) as { keys: Array<{ kid: string }> };
  expect(published.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
});

it('lists keys with their status and never their private parts', async () => {
  const out: string[] = [];
  const code = await runCli(keyCommands, ['keys', 'list', '--config', configFile, '--json'], {
    out: (l) => out.push(l),
    err: (l) => out.push(l),
    stdin: process.stdin,
    isTTY: false,
    env: {},
  });
  expect(code).toBe(0);
  const list = JSON.parse(out[0]!) as Array<Record<string, unknown>>;
  expect(list.some((k) => k.status === 'retired')).toBe(true);
  expect(list.some((k) => k.status === 'active' && k.alg === 'ES256')).toBe(true);
  expect(out.join('\n')).not.toMatch(/"d":|material/);
});

it('advertises the signing algorithms in one order, however the random kids of one rotation sort', async () => {
  const keys = createKeyStore(t.bridge.store.db, t.bridge.box);
  for (let i = 0; i < 8; i++) {
    await keys.rotate(3600);
    const { jwks } = await keys.load();
    expect([...new Set(jwks.keys.map((k) => k.alg))]).toEqual(['RS256', 'ES256']);
  }
  await t.bridge.refreshKeys();
  const discovery = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<
    string,
    unknown
  >;
  expect(discovery.id_token_signing_alg_values_supported).toEqual(['RS256', 'ES256']);
});

it('advertises only the response type clients may register', async () => {
  const discovery = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<
    string,
    unknown
  >;
  expect(discovery.response_types_supported).toEqual(['code']);
});
