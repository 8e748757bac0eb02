// The demo's life apart from the browser: a kept store (--data-dir) survives a restart with
// its keys and gets its clients registered again, a busy port is a clear message and exit
// code 2 with nothing left running, and --help explains the options.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/demo/start-demo.ts';
import { silentLogger } from '../../src/logger.ts';
import { freePort } from '../support/bridge.ts';
import { BIN, runBin } from '../support/cli.ts';

const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function ports() {
  return { port: await freePort(), rpPort: await freePort(), targetPort: await freePort() };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
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

  it('stops and frees its ports when npm, its parent, is killed without passing the signal on', async () => {
    const p = await ports();
    // What `npx oidc-bridge demo` builds: npm, a shell, and node under it. The shell stands
    // in for npm here (`; true` keeps it from exec-ing node), and dies by SIGKILL.
    const shell = spawn(
      'sh',
      [
        '-c',
        '"$0" "$1" demo --port "$2" --rp-port "$3" --target-port "$4"; true',
        process.execPath,
        BIN,
        String(p.port),
        String(p.rpPort),
        String(p.targetPort),
      ],
      {
        env: { ...process.env, npm_command: 'exec', LOG_LEVEL: 'warn', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not start:\n${out}`)), 90_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('Press Ctrl+C')) {
          clearTimeout(timer);
          resolve();
        }
      };
      shell.stdout.on('data', onData);
      shell.stderr.on('data', onData);
    });
    expect(await listening(p.port)).toBe(true);
    const node = Number(
      execFileSync('ps', ['-o', 'pid=', '--ppid', String(shell.pid)])
        .toString()
        .trim(),
    );
    shell.kill('SIGKILL');
    try {
      const deadline = Date.now() + 15_000;
      // The demo stops its parts in the reverse order of their start: the target is last.
      const anyListening = async () =>
        (await listening(p.port)) || (await listening(p.rpPort)) || (await listening(p.targetPort));
      while (Date.now() < deadline && (await anyListening())) {
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(await listening(p.port)).toBe(false);
      expect(await listening(p.rpPort)).toBe(false);
      expect(await listening(p.targetPort)).toBe(false);
    } finally {
      // On a failure, leave nothing behind for the next run.
      try {
        process.kill(node, 'SIGKILL');
      } catch {}
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
