// The demo's life apart from the browser: a kept store (--data-dir) survives a restart with
// its keys and gets its clients registered again, a busy port is a clear message and exit
// code 2 with nothing left running, and --help explains the options.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/demo/start-demo.ts';
import { silentLogger } from '../../src/logger.ts';
import { freePort } from '../support/bridge.ts';
import { runBin } from '../support/cli.ts';

const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function ports() {
  return { port: await freePort(), rpPort: await freePort(), targetPort: await freePort() };
}

async function signingKeyIds(bridgeUrl: string): Promise<string[]> {
  const discovery = (await (await fetch(`${bridgeUrl}/.well-known/openid-configuration`)).json()) as {
    jwks_uri: string;
  };
  const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<{ kid: string }> };
  return jwks.keys.map((k) => k.kid).sort();
}

describe('oidc-bridge demo, started and stopped', () => {
  it('keeps the store in --data-dir across runs: the same signing keys, its clients registered again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'obt-demo-data-'));
    dirs.push(dataDir);
    const common = { host: '127.0.0.1', dataDir, logger: silentLogger, logLevel: 'silent' as const, env: {} };

    const first = await startDemo({ ...common, ...(await ports()) });
    const keys = await signingKeyIds(first.bridgeUrl);
    await first.stop();

    // Other ports this time: the clients' redirect URIs must follow them.
    const second = await startDemo({ ...common, ...(await ports()) });
    try {
      expect(await signingKeyIds(second.bridgeUrl)).toEqual(keys);
      const page = await fetch(`${second.rpUrl}/login`, { redirect: 'manual' });
      const location = new URL(page.headers.get('location') ?? '');
      expect(location.origin).toBe(second.bridgeUrl);
      expect(location.searchParams.get('redirect_uri')).toBe(`${second.rpUrl}/callback`);
      const login = await fetch(location, { redirect: 'manual' });
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toMatch(/^\/interaction\//);
    } finally {
      await second.stop();
    }
  });

  it('refuses a port in use with a clear message and exit code 2, leaving nothing running', async () => {
    const busy: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)),
    );
    try {
      const p = await ports();
      const r = await runBin(
        [
          'demo',
          '--port',
          String(port),
          '--rp-port',
          String(p.rpPort),
          '--target-port',
          String(p.targetPort),
        ],
        { env: { OIDC_BRIDGE_CONFIG: undefined, LOG_LEVEL: 'warn' } },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`The bridge cannot listen on port ${port} (EADDRINUSE)`);
      expect(r.stderr).toContain('pass --port with another port');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      busy.close();
    }
  });

  it('explains its options with --help', async () => {
    const r = await runBin(['demo', '--help']);
    expect(r.code).toBe(0);
    for (const option of ['--port', '--rp-port', '--target-port', '--host', '--data-dir']) {
      expect(r.stdout).toContain(option);
    }
  });
});
