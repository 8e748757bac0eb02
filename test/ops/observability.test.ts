// What an operator watches, against real bridges on PostgreSQL with the compose stack's
// legacy table in MariaDB and the reference target: /healthz, /readyz (the store and the
// legacy database decide it, the target is only reported, and a stopping bridge says so),
// /metrics counters moving across a login, a failed login and a delivery, and JSON logs.
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceTarget, type RunningTarget } from '../../src/target/commerce-import/reference.ts';
import { freePort, startTestBridge, type TestBridge } from '../support/bridge.ts';
import { createMariaDatabase, type TestDatabase } from '../support/databases.ts';
import {
  beginLogin,
  exchange,
  loginThroughBrowser,
  REDIRECT_URI,
  relyingParty,
  submitLogin,
} from '../support/rp.ts';
import { REPO } from './image.ts';
import { eventually, metricValue } from './support.ts';

const TOKEN = 'observability-target-token';
const CLIENT = { id: 'obs-app', secret: 'obs-app-secret' };
const WORKER_SOURCE = join(REPO, 'src/migration/worker.ts');

let legacyDb: TestDatabase;
let target: RunningTarget;
let t: TestBridge;
let stopWorker: (() => Promise<void>) | undefined;

const legacyConfig = (connection: string) => ({ connection, table: 'be_users' });

beforeAll(async () => {
  legacyDb = await createMariaDatabase('obt_obs');
  const conn = await mysql.createConnection({ uri: legacyDb.url, multipleStatements: true });
  try {
    for (const file of ['001-be-users.sql', '001-test-user.sql']) {
      await conn.query(readFileSync(join(REPO, 'deploy/mariadb/initdb', file), 'utf8'));
    }
  } finally {
    await conn.end();
  }
  target = await createReferenceTarget({ token: TOKEN }).listen(0, '127.0.0.1');
  t = await startTestBridge({
    legacy: legacyConfig(legacyDb.url),
    target: { type: 'http', url: target.importUrl, headers: { Authorization: `Bearer ${TOKEN}` } },
    worker: { poll_interval_ms: 50 },
  });
  await t.addClient({ id: CLIENT.id, redirectUris: [REDIRECT_URI], secret: CLIENT.secret, firstParty: true });
  if (existsSync(WORKER_SOURCE)) {
    const { startDeliveryWorker } = await import('../../src/migration/worker.ts');
    const worker = startDeliveryWorker(t.bridge);
    stopWorker = () => worker.stop();
  }
});

afterAll(async () => {
  await stopWorker?.();
  await t?.close();
  await target?.close();
  await legacyDb?.drop();
});

const metrics = async () => (await fetch(`${t.url}/metrics`)).text();

describe('health and readiness', () => {
  it('answers /healthz with 200', async () => {
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when the store and the legacy database answer', async () => {
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { store: 'ok', legacy: 'ok', target: 'not checked' },
    });
  });

  it('stays ready when the target is down: deliveries wait, logins do not', async () => {
    const b = await startTestBridge({
      legacy: legacyConfig(legacyDb.url),
      target: { type: 'http', url: `http://127.0.0.1:${await freePort()}/api/users/import` },
    });
    try {
      const res = await fetch(`${b.url}/readyz`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { checks: Record<string, string> }).checks.target).toBe('not checked');
    } finally {
      await b.close();
    }
  });

  it('answers /readyz with 503 when the legacy database is unreachable, naming it', async () => {
    const b = await startTestBridge({
      legacy: legacyConfig(`mysql://root@127.0.0.1:${await freePort()}/shop`),
      target: { type: 'http', url: `http://127.0.0.1:${await freePort()}/api/users/import` },
    });
    try {
      const res = await fetch(`${b.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: 'not ready',
        checks: { store: 'ok', legacy: 'unreachable', target: 'not checked' },
      });
      // Liveness is another question: the process itself is fine.
      expect((await fetch(`${b.url}/healthz`)).status).toBe(200);
    } finally {
      await b.close();
    }
  });

  it('answers a request that arrives while stopping with 503 "stopping" and closes its connection', async () => {
    const b = await startTestBridge();
    const port = Number(new URL(b.url).port);
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let response = '';
    socket.on('data', (d) => {
      response += d;
    });
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // The request has begun, so the connection is busy rather than idle when stop() starts.
    socket.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await new Promise((r) => setTimeout(r, 100));
    const stopped = b.close();
    socket.write('\r\n');
    await ended;
    await stopped;
    expect(response).toMatch(/^HTTP\/1\.1 503 /);
    expect(response).toMatch(/\r\nConnection: close\r\n/i);
    expect(response).toContain('"status":"stopping"');
  });
});

describe('metrics', () => {
  it('counts a successful first login, the migration it makes and its delivery, and a failed login', async () => {
    const before = await metrics();
    const rp = await relyingParty(t.url, CLIENT.id, CLIENT.secret);

    const { run, callbackUrl } = await loginThroughBrowser(rp, 'testuser', 'Welcome-2024');
    expect((await exchange(rp, run, callbackUrl)).claims()?.sub).toBe('28775');
    const failed = await submitLogin(await beginLogin(rp), 'testuser', 'not the password');
    expect(failed.status).toBe(401);

    const after = await metrics();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(
      delta('oidc_bridge_logins_total', { outcome: 'success', source: 'legacy', scheme: 'bcrypt' }),
    ).toBe(1);
    expect(delta('oidc_bridge_logins_total', { outcome: 'failure' })).toBe(1);
    expect(delta('oidc_bridge_migrations_total')).toBe(1);
    expect(metricValue(after, 'oidc_bridge_hash_verify_seconds_count', { scheme: 'bcrypt' })).toBeGreaterThan(
      0,
    );

    if (!stopWorker) return; // no delivery worker in this tree yet
    await eventually(
      async () =>
        metricValue(await metrics(), 'oidc_bridge_deliveries_total', { outcome: 'delivered' }) >
        metricValue(before, 'oidc_bridge_deliveries_total', { outcome: 'delivered' }),
      20_000,
    );
    const res = await fetch(`${target.url}/api/users/28775`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
  });

  it('serves the Prometheus text format with process metrics under the oidc_bridge_ prefix', async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE oidc_bridge_logins_total counter');
    expect(text).toMatch(/^oidc_bridge_process_resident_memory_bytes \d+/m);
  });
});

describe('logs', () => {
  it('writes one JSON object per line with level, time and msg', () => {
    const lines = t.logs.join('').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(typeof entry.level, line).toBe('number');
      expect(typeof entry.time, line).toBe('number');
      expect(typeof entry.msg, line).toBe('string');
    }
  });

  it("never writes the test user's password or its legacy hash", () => {
    const all = t.logs.join('');
    expect(all).not.toContain('Welcome-2024');
    expect(all).not.toContain('$2y$10$xk1ducI0');
  });
});
