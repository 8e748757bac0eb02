// SIGTERM during a burst of logins: the process stops taking new connections, lets every
// login already in flight finish with its normal answer, and exits 0 within
// shutdown_timeout_ms, as an orchestrator replacing a replica expects.
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../support/bridge.ts';
import { formOf } from '../support/browser.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { beginLogin, type LoginRun, relyingParty } from '../support/rp.ts';
import { seedStore, sleep, spawnBridge, TEST_KEK, tempDir, writeConfig } from './support.ts';

const SHUTDOWN_TIMEOUT_MS = 8000;
const BURST = 20;
const CLIENT = { id: 'burst-app', secret: 'burst-app-secret', firstParty: true };
const PASSWORD = 'a password for the burst';

let database: TestDatabase;
let configFile: string;
let port: number;

beforeAll(async () => {
  database = await createPgDatabase('obt_shutdown');
  port = await freePort();
  configFile = writeConfig(
    tempDir('shutdown'),
    'oidc-bridge.yaml',
    [
      `issuer: http://127.0.0.1:${port}`,
      'host: 127.0.0.1',
      'database: ${TEST_STORE_URL}',
      'key_encryption_key: ${TEST_KEK}',
      `shutdown_timeout_ms: ${SHUTDOWN_TIMEOUT_MS}`,
      // The burst is BURST right-password logins of one name from one address at once; each
      // holds a reserved attempt while in flight, so the limit must admit them all.
      'security:',
      '  lockout:',
      `    free_attempts: ${BURST}`,
      '',
    ].join('\n'),
  );
  await seedStore(
    database.url,
    TEST_KEK,
    [{ sub: 'burst-user', identifier: 'burst', password: PASSWORD }],
    [CLIENT],
  );
});

afterAll(async () => {
  await database?.drop();
});

interface InFlightLogin {
  /** Resolves once the bridge has read the request's headers (its 100 Continue arrived). */
  started: Promise<void>;
  /** Sends the form body; the bridge then verifies the password and answers. */
  send(): void;
  answer: Promise<{
    status: number;
    location: string | undefined;
    connection: string | undefined;
    at: number;
  }>;
}

/**
 * The login POST alone, without following its redirect. `Expect: 100-continue` lets the test
 * know the bridge has accepted the connection and begun the request, so "in flight at
 * SIGTERM" is a fact rather than a guess about timing.
 */
function postLogin(run: LoginRun): InFlightLogin {
  const form = formOf(run.loginPage, /\/login$/);
  const body = new URLSearchParams({ ...form.fields, identifier: 'burst', password: PASSWORD }).toString();
  const req = request(form.action, {
    method: 'POST',
    agent: false,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
      cookie: [...run.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      expect: '100-continue',
    },
  });
  const started = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const answer = new Promise<Awaited<InFlightLogin['answer']>>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      res.resume();
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location,
          connection: res.headers.connection,
          at: Date.now(),
        }),
      );
    });
  });
  req.flushHeaders();
  return { started, answer, send: () => req.end(body) };
}

it('finishes every login in flight at SIGTERM with its normal answer and exits 0 within shutdown_timeout_ms', async () => {
  // One libuv thread makes the argon2 verifications queue up, so the burst outlasts the signal.
  const server = await spawnBridge(configFile, port, {
    TEST_STORE_URL: database.url,
    TEST_KEK,
    UV_THREADPOOL_SIZE: '1',
  });
  try {
    const rp = await relyingParty(`http://127.0.0.1:${port}`, CLIENT.id, CLIENT.secret);
    const runs = await Promise.all(Array.from({ length: BURST }, () => beginLogin(rp)));
    for (const run of runs) expect(run.loginPage.status).toBe(200);

    // Half the burst is verifying passwords when the signal comes, half is still sending.
    const logins = runs.map(postLogin);
    const [early, late] = [logins.slice(0, BURST / 2), logins.slice(BURST / 2)];
    for (const l of early) l.started.then(() => l.send());
    await Promise.all(logins.map((l) => l.started));
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await sleep(50);
    for (const l of late) l.send();

    const results = await Promise.allSettled(logins.map((l) => l.answer));
    const code = await server.exited;
    const exitedAfterMs = Date.now() - signalledAt;

    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
    const answers = results.map((r) => (r as PromiseFulfilledResult<Awaited<InFlightLogin['answer']>>).value);
    for (const a of answers) {
      expect(a.status).toBe(303);
      expect(a.location).toMatch(/\/auth\//);
      // Answered during the drain: the client is told not to reuse the connection.
      expect(a.connection).toBe('close');
    }
    // The late half was sent after the signal, so it was answered during the drain; an early
    // login may finish before the signal on a fast run, and is then no less a normal answer.
    const lateAnswers = answers.slice(BURST / 2);
    expect(lateAnswers.every((a) => a.at > signalledAt)).toBe(true);
    expect(code).toBe(0);
    expect(exitedAfterMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(server.output()).toMatch(/"msg":"stopped"/);
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
});

it('stops cleanly on a SIGTERM that arrives the moment it reports listening', async () => {
  const server = await spawnBridge(configFile, port, { TEST_STORE_URL: database.url, TEST_KEK });
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
});
