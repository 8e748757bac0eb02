// Secrets at rest and on screen: with OIDC_BRIDGE_KEY set, private keys, cookie keys and
// client secrets are sealed in the store; without it the bridge warns; with a wrong one it
// refuses to start and says what to fix. A client secret is printed once, at creation.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge } from '../../src/app.ts';
import { clientCommands } from '../../src/cli/commands/clients.ts';
import { startCommand } from '../../src/cli/commands/start.ts';
import { type Io, runCli } from '../../src/cli/framework.ts';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/logger.ts';
import { createStore } from '../../src/store/db.ts';
import { startTestBridge, type TestBridge } from '../support/bridge.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { REDIRECT_URI, relyingParty } from '../support/rp.ts';
import { registerSecret } from '../support/secrets.ts';

const KEY = registerSecret('key', 'kek-for-tests-0123456789abcdefghijklmnopqrstuv');
const OTHER_KEY = registerSecret('key', 'another-kek-0123456789abcdefghijklmnopqrstuvwx');
const SECRET = 'sealed-client-secret-5531';

let database: TestDatabase;
let t: TestBridge;

beforeAll(async () => {
  database = await createPgDatabase();
  // The environment variable, as an operator sets it; the config file names no key.
  process.env.OIDC_BRIDGE_KEY = KEY;
  try {
    t = await startTestBridge({}, { database });
  } finally {
    delete process.env.OIDC_BRIDGE_KEY;
  }
  await t.addClient({ id: 'sealed', redirectUris: [REDIRECT_URI], secret: SECRET });
});

afterAll(async () => {
  await t?.close();
  await database?.drop();
});

describe('with OIDC_BRIDGE_KEY set', () => {
  it('stores no signing key or cookie key in plain text', async () => {
    expect(t.config.key_encryption_key).toBe(KEY);
    const rows = await t.bridge.store.db('keys').select('kid', 'use', 'material');
    expect(rows.map((r) => r.use).sort()).toEqual(['cookie', 'sig', 'sig']);
    for (const r of rows) {
      expect(r.material).toMatch(/^enc:v1:/);
      expect(r.material).not.toMatch(/"kty"|"d"\s*:|PRIVATE KEY/);
    }
    const jwks = (await (await fetch(`${t.url}/jwks`)).json()) as { keys: unknown[] };
    expect(jwks.keys).toHaveLength(2);
  });

  it('stores a client secret sealed, and the client still authenticates with it', async () => {
    const row = await t.bridge.store.db('clients').where({ client_id: 'sealed' }).first('metadata');
    expect(row.metadata.client_secret).toMatch(/^enc:v1:/);
    expect(JSON.stringify(row.metadata)).not.toContain(SECRET);
    const rp = await relyingParty(t.url, 'sealed', SECRET);
    const tokens = await oidc.clientCredentialsGrant(rp, { scope: '' });
    expect(tokens.access_token).toBeTruthy();
  });

  it('never writes the client secret, the key or a private key to the log', async () => {
    const text = t.logs.join('');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(KEY);
    expect(text).not.toMatch(/"d":"/);
  });
});

function cliIo(env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdin: new PassThrough(),
    isTTY: false,
    env,
  };
  return { io, text: () => [...out, ...err].join('\n') };
}

describe('a start with a missing or wrong key', () => {
  it('warns when no key is set, naming the variable and how to make one', async () => {
    const plain = await startTestBridge({});
    try {
      const warnings = plain.logs.map((l) => JSON.parse(l)).filter((l) => l.level === 40);
      expect(warnings.map((w) => w.msg).join('\n')).toMatch(
        /no key_encryption_key is set.*OIDC_BRIDGE_KEY.*openssl rand/,
      );
    } finally {
      await plain.close();
    }
  });

  it('refuses a wrong key with kek_wrong and a message that names OIDC_BRIDGE_KEY', async () => {
    const store = createStore({ database: database.url });
    try {
      const config = parseConfig({ database: database.url, key_encryption_key: OTHER_KEY }, {});
      await expect(createBridge(config, { store, logger: silentLogger })).rejects.toMatchObject({
        code: 'kek_wrong',
        message: expect.stringContaining('OIDC_BRIDGE_KEY'),
      });
    } finally {
      await store.close();
    }
  });

  it('refuses to run without the key once the store holds sealed keys', async () => {
    const store = createStore({ database: database.url });
    try {
      const config = parseConfig({ database: database.url }, {});
      await expect(createBridge(config, { store, logger: silentLogger })).rejects.toMatchObject({
        code: 'kek_missing',
      });
    } finally {
      await store.close();
    }
  });

  it('makes `start` exit non-zero with that message and no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obt-kek-'));
    const file = join(dir, 'oidc-bridge.yaml');
    writeFileSync(file, 'host: 127.0.0.1\nport: 0\ndatabase: ${TEST_STORE_URL}\n');
    const run = cliIo({ TEST_STORE_URL: database.url, OIDC_BRIDGE_KEY: OTHER_KEY });
    const code = await runCli([startCommand], ['start', '--config', file, '--no-worker'], run.io);
    expect(code).not.toBe(0);
    expect(run.text()).toContain('cannot be decrypted');
    expect(run.text()).toContain('OIDC_BRIDGE_KEY');
    expect(run.text()).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(run.text()).not.toContain(OTHER_KEY);
  });
});

describe('client secrets on the command line', () => {
  it('are printed once by `clients add` and never by `clients list`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obt-cli-secret-'));
    const file = join(dir, 'oidc-bridge.yaml');
    writeFileSync(file, 'database: ${TEST_STORE_URL}\n');
    const env = { TEST_STORE_URL: database.url, OIDC_BRIDGE_CONFIG: file, OIDC_BRIDGE_KEY: KEY };

    const added = cliIo(env);
    expect(
      await runCli(
        clientCommands,
        ['clients', 'add', '--id', 'cli-gen', '--redirect-uri', REDIRECT_URI],
        added.io,
      ),
    ).toBe(0);
    const generated = /client_secret: (\S+)/.exec(added.text())?.[1];
    expect(generated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    registerSecret('client_secret', generated!);
    expect(added.text()).toContain('not shown again');

    for (const argv of [
      ['clients', 'list'],
      ['clients', 'list', '--json'],
    ]) {
      const listed = cliIo(env);
      expect(await runCli(clientCommands, argv, listed.io)).toBe(0);
      expect(listed.text()).toContain('cli-gen');
      expect(listed.text()).not.toContain(generated);
      expect(listed.text()).not.toContain(SECRET);
      expect(listed.text()).not.toContain('enc:v1:');
    }

    const rotated = cliIo(env);
    expect(await runCli(clientCommands, ['clients', 'rotate-secret', 'cli-gen'], rotated.io)).toBe(0);
    const fresh = /client_secret: (\S+)/.exec(rotated.text())?.[1];
    registerSecret('client_secret', fresh!);
    expect(fresh).not.toBe(generated);

    const audit = await t.bridge.store.db('audit_events').select('details', 'client_id', 'type');
    expect(JSON.stringify(audit)).not.toContain(generated);
    expect(JSON.stringify(audit)).not.toContain(fresh);
  });
});
