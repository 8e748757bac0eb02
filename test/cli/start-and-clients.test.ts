// The operator's path, through the real command line: `clients add`, then `start`, and
// discovery lists what a relying party needs. Bad arguments and bad configuration get a
// clear message and exit code 2, never a stack trace.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/bridge.ts';
import { runBin, startBin } from '../support/cli.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

let database: TestDatabase;
let dir: string;
let configFile: string;
let port: number;

beforeAll(async () => {
  database = await createPgDatabase();
  dir = mkdtempSync(join(tmpdir(), 'obt-cli-'));
  port = await freePort();
  configFile = join(dir, 'oidc-bridge.yaml');
  writeFileSync(
    configFile,
    `issuer: http://127.0.0.1:${port}\nport: ${port}\nhost: 127.0.0.1\ndatabase: \${TEST_STORE_URL}\nadmin:\n  port: 0\n`,
  );
});

afterAll(async () => {
  await database?.drop();
});

const env = () => ({ TEST_STORE_URL: database.url, OIDC_BRIDGE_CONFIG: configFile });

describe('clients add, then start', () => {
  it('serves a discovery document listing the code flow, S256, the endpoints and a JWKS with the signing keys', async () => {
    const added = await runBin(
      ['clients', 'add', '--id', 'app', '--redirect-uri', 'http://127.0.0.1:8080/cb', '--secret', 's3cret'],
      { env: env() },
    );
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('client_id:     app');

    const server = await startBin(['start'], /oidc-bridge listening/, {
      env: { ...env(), LOG_LEVEL: 'info' },
    });
    try {
      const d = (await (
        await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      expect(d.response_types_supported).toContain('code');
      expect(d.code_challenge_methods_supported).toEqual(['S256']);
      for (const k of [
        'userinfo_endpoint',
        'revocation_endpoint',
        'introspection_endpoint',
        'end_session_endpoint',
        'jwks_uri',
      ]) {
        expect(d[k], k).toMatch(/^http:\/\/127\.0\.0\.1:/);
      }
      const jwks = (await (await fetch(String(d.jwks_uri))).json()) as { keys: Array<{ alg: string }> };
      expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });

  it('lists clients without their secrets', async () => {
    const listed = await runBin(['clients', 'list'], { env: env() });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('app');
    expect(listed.stdout).not.toContain('s3cret');
  });

  it('refuses a second client with the same id, naming the fix', async () => {
    const again = await runBin(
      ['clients', 'add', '--id', 'app', '--redirect-uri', 'http://127.0.0.1:8080/cb'],
      { env: env() },
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('prints a generated secret once and a new one on rotate-secret', async () => {
    const added = await runBin(
      ['clients', 'add', '--id', 'gen', '--redirect-uri', 'https://app.example/cb', '--json'],
      { env: env() },
    );
    const { client_secret } = JSON.parse(added.stdout) as { client_secret: string };
    expect(client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rotated = await runBin(['clients', 'rotate-secret', 'gen', '--json'], { env: env() });
    expect(JSON.parse(rotated.stdout).client_secret).not.toBe(client_secret);
    const removed = await runBin(['clients', 'remove', 'gen'], { env: env() });
    expect(removed.code).toBe(0);
  });
});

describe('bad input on the command line', () => {
  it('answers an unknown option with the usage and exit code 2', async () => {
    const r = await runBin(['clients', 'add', '--id', 'x', '--redirect-uri', 'http://a/cb', '--bogus'], {
      env: env(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(r.stderr).toContain('Usage: oidc-bridge clients add');
  });

  it('answers a missing required option with exit code 2', async () => {
    const r = await runBin(['clients', 'add', '--redirect-uri', 'http://a/cb'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--id is required');
  });

  it('answers an unknown command with exit code 2', async () => {
    const r = await runBin(['frobnicate'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown command "frobnicate"');
  });

  it('rejects a redirect URI that is not a URL', async () => {
    const r = await runBin(['clients', 'add', '--id', 'bad', '--redirect-uri', 'not a url'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not an absolute URL');
  });

  it('stops `start` on a bad configuration value, naming the key, the problem and the fix, without a stack trace', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'port: "eighty"\ntarget:\n  type: http\nlegacy:\n  connection: oracle://x\n  table: be_users\nunknown_key: 1\n',
    );
    const r = await runBin(['start', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('port: expected number');
    expect(r.stderr).toContain('target.url');
    expect(r.stderr).toContain('legacy.connection');
    expect(r.stderr).toContain('unknown_key');
    expect(r.stderr).toMatch(/Fix:/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names an unset ${VAR} in the configuration', async () => {
    const bad = join(dir, 'var.yaml');
    writeFileSync(bad, 'database: ${NOT_SET_ANYWHERE_X}\n');
    const r = await runBin(['start', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('database: refers to ${NOT_SET_ANYWHERE_X}');
  });

  it('explains a store that cannot be reached', async () => {
    const bad = join(dir, 'down.yaml');
    writeFileSync(bad, 'database: postgres://postgres@127.0.0.1:1/nothing\n');
    const r = await runBin(['clients', 'list', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Cannot connect to the bridge store');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
