// Helpers for the operations tests: bridge processes spawned through the real command line
// on a PostgreSQL store, accounts and clients seeded straight into that store, the raw HTTP
// steps of a code flow against any one replica, and a Prometheus text reader.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { hashBridgePassword } from '../../src/hashing/bridge-hash.ts';
import { createAccounts } from '../../src/migration/accounts.ts';
import { createClientStore } from '../../src/oidc/clients.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { createStore } from '../../src/store/db.ts';
import type { Browser } from '../support/browser.ts';
import { startBin } from '../support/cli.ts';
import { REDIRECT_URI } from '../support/rp.ts';

/** A key_encryption_key for the processes of one test; the seeded client secrets are sealed with it. */
export const TEST_KEK = 'ops-test-key-encryption-key-0123456789abcdef';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `obt-ops-${prefix}-`));
}

export function writeConfig(dir: string, name: string, yaml: string): string {
  const file = join(dir, name);
  // Replicas on one machine: each admin listener on a port of its own.
  writeFileSync(file, /^admin:/m.test(yaml) ? yaml : `${yaml.replace(/\n?$/, '\n')}admin:\n  port: 0\n`);
  return file;
}

export interface SeedAccount {
  sub: string;
  identifier: string;
  password: string;
}

export interface SeedClient {
  id: string;
  secret: string;
  firstParty?: boolean;
}

/**
 * Migrates the store and writes local accounts and clients into it, as `clients add` and a
 * migrated user would have left them, so that a spawned process starts with them in place.
 */
export async function seedStore(
  databaseUrl: string,
  kek: string,
  accounts: SeedAccount[],
  clients: SeedClient[],
): Promise<void> {
  const store = createStore({ database: databaseUrl });
  try {
    await store.migrate();
    const accountQueries = createAccounts(store.db);
    for (const a of accounts) {
      const passwordHash = await hashBridgePassword(a.password);
      await store.db.transaction((trx) =>
        accountQueries.insert(trx, {
          sub: a.sub,
          passwordHash,
          claims: { preferred_username: a.identifier },
          source: 'local',
          identifiers: [a.identifier],
        }),
      );
    }
    const clientStore = createClientStore(store.db, createSecretBox(kek));
    for (const c of clients) {
      await clientStore.add({
        id: c.id,
        redirectUris: [REDIRECT_URI],
        secret: c.secret,
        firstParty: c.firstParty,
      });
    }
  } finally {
    await store.close();
  }
}

/** `oidc-bridge start --port N` in a child process, resolved once it is listening. */
export function spawnBridge(configFile: string, port: number, env: NodeJS.ProcessEnv = {}) {
  return startBin(['start', '--config', configFile, '--port', String(port)], /oidc-bridge listening/, {
    env,
  });
}

export interface Authorization {
  code: string;
  verifier: string;
}

/**
 * Sends an authorization request to one replica (by its own address, as a load balancer
 * would route it) and follows it to the redirect_uri, carrying the browser's cookies.
 * Resolves with the code, or with the page the replica stopped at.
 */
export async function authorizeAt(
  base: string,
  browser: Browser,
  clientId: string,
): Promise<{ authorization?: Authorization; page: { url: string; status: number; html: string } }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = new URL(`${base}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT_URI,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
  }).toString();
  const page = await browser.get(url.toString());
  const code = page.url.startsWith(REDIRECT_URI) ? new URL(page.url).searchParams.get('code') : null;
  return { authorization: code ? { code, verifier } : undefined, page };
}

/** Redeems a code at one replica's token endpoint with client_secret_basic. */
export async function tokenAt(
  base: string,
  client: SeedClient,
  authorization: Authorization,
): Promise<{ id_token: string; access_token: string }> {
  const res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: authorization.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: authorization.verifier,
    }).toString(),
  });
  const body = (await res.json()) as Record<string, string>;
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
  return { id_token: body.id_token!, access_token: body.access_token! };
}

/** The value of one sample in Prometheus text format; 0 when the series does not exist yet. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = line.match(/^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(m[3]);
  }
  return total;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
