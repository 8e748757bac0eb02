// OpenTelemetry tracing against a real OTLP/HTTP receiver this test runs (it decodes the
// JSON export the way a collector does): one span per login, the legacy lookup, the hash
// check and the store transaction as its children, the trace id in the bridge's log line,
// no identifier or password in any attribute; and without an endpoint, nothing is sent.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Writable } from 'node:stream';
import bcrypt from 'bcrypt';
import knexPkg, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bridge, createBridge } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/logger.ts';
import { createClientStore } from '../../src/oidc/clients.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { startTracing, type Tracing } from '../../src/tracing.ts';
import { freePort, startTestBridge } from '../support/bridge.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';
import { beginLogin, loginThroughBrowser, REDIRECT_URI, relyingParty, submitLogin } from '../support/rp.ts';
import { captureLogLine, registerSecret } from '../support/secrets.ts';
import { waitFor } from '../support/wait.ts';

const { knex } = knexPkg;
const PASSWORD = registerSecret('password', 'tracing-user-password');

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
}

let receiver: Server;
let receiverUrl: string;
const exports: Array<{ contentType: string | undefined; spans: OtlpSpan[]; service?: string }> = [];
let store: TestDatabase;
let legacyDb: TestDatabase;
let legacy: Knex;
let bridge: Bridge;
let tracing: Tracing;
let url: string;
const lines: string[] = [];

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  receiver = createServer(async (req, res) => {
    const text = await body(req);
    if (req.url === '/v1/traces' && req.method === 'POST') {
      const doc = JSON.parse(text) as {
        resourceSpans: Array<{
          resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
          scopeSpans: Array<{ spans: OtlpSpan[] }>;
        }>;
      };
      for (const rs of doc.resourceSpans) {
        exports.push({
          contentType: req.headers['content-type'],
          service: rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue,
          spans: rs.scopeSpans.flatMap((s) => s.spans),
        });
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  const address = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/traces`;

  legacyDb = await createPgDatabase('obt_trace_legacy');
  legacy = knex({ client: 'pg', connection: legacyDb.url, pool: { min: 0, max: 1 } });
  await legacy.raw('CREATE TABLE users (id integer PRIMARY KEY, username text, email text, password text)');
  await legacy('users').insert([
    { id: 1, username: 'tina', email: 'tina@example.com', password: await bcrypt.hash(PASSWORD, 4) },
    { id: 2, username: 'ugo', email: 'ugo@example.com', password: '{XYZ}not-a-known-hash-format' },
  ]);
  store = await createPgDatabase('obt_trace');
  const port = await freePort();
  const config = parseConfig({
    issuer: `http://127.0.0.1:${port}`,
    database: store.url,
    legacy: { connection: legacyDb.url, table: 'users', claims: { email: 'email' } },
    tracing: { otlp_endpoint: receiverUrl, service_name: 'bridge-under-test' },
  });
  tracing = await startTracing(config.tracing);
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      captureLogLine(String(chunk));
      cb();
    },
  });
  bridge = await createBridge(config, {
    logger: createLogger({ level: 'info', destination, mixin: tracing.logFields }),
    tracing,
  });
  url = (await bridge.listen(port, '127.0.0.1')).url;
  await createClientStore(bridge.store.db, createSecretBox(undefined)).add({
    id: 'traced-app',
    redirectUris: [REDIRECT_URI],
    public: true,
    firstParty: true,
  });
});

afterAll(async () => {
  await bridge?.stop();
  await tracing?.shutdown();
  await legacy?.destroy();
  await legacyDb?.drop();
  await store?.drop();
  await new Promise((r) => receiver?.close(r));
});

const spans = () => exports.flatMap((e) => e.spans);
const attr = (s: OtlpSpan, key: string) => s.attributes?.find((a) => a.key === key)?.value;

describe('tracing with an OTLP endpoint', () => {
  it('exports one login span with the legacy lookup, the hash check and the transaction as children', async () => {
    const rp = await relyingParty(url, 'traced-app');
    await loginThroughBrowser(rp, 'tina', PASSWORD);
    await tracing.flush();
    const login = await waitFor(
      async () => spans().filter((s) => s.name === 'login'),
      (l) => l.length === 1,
    );
    const root = login[0]!;
    expect(root.parentSpanId ?? '').toBe('');
    expect(attr(root, 'oidc_bridge.outcome')).toEqual({ stringValue: 'success' });
    expect(attr(root, 'oidc_bridge.migrated')).toEqual({ boolValue: true });
    const children = spans().filter((s) => s.parentSpanId === root.spanId);
    expect(children.map((s) => s.name).sort()).toEqual(['hash.verify', 'legacy.lookup', 'store.transaction']);
    expect(children.every((s) => s.traceId === root.traceId)).toBe(true);
    expect(attr(children.find((s) => s.name === 'hash.verify')!, 'oidc_bridge.scheme')).toEqual({
      stringValue: 'bcrypt',
    });
    expect(exports[0]!.service).toBe('bridge-under-test');
    expect(exports[0]!.contentType).toMatch(/^application\/json/);
    const everything = JSON.stringify(spans());
    expect(everything).not.toContain('tina');
    expect(everything).not.toContain(PASSWORD);
  });

  it('writes the trace id of the login into the log line the login writes', async () => {
    const rp = await relyingParty(url, 'traced-app');
    const page = await submitLogin(await beginLogin(rp), 'ugo', 'whatever-password');
    expect(page.status).toBe(401);
    await tracing.flush();
    const line = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'legacy hash cannot be used');
    expect(line?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const login = await waitFor(
      async () => spans().filter((s) => s.name === 'login' && s.traceId === line!.trace_id),
      (l) => l.length === 1,
    );
    expect(attr(login[0]!, 'oidc_bridge.reason')).toEqual({ stringValue: 'hash_unusable' });
    // Lines written outside a login carry no trace id.
    expect(
      lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === 'generated signing keys (RS256, ES256) and a cookie key')?.trace_id,
    ).toBeUndefined();
  });
});

describe('tracing without an endpoint', () => {
  it('sends nothing and leaves the log lines as they were', async () => {
    const before = exports.length;
    const t = await startTestBridge({
      legacy: { connection: legacyDb.url, table: 'users', claims: { email: 'email' } },
    });
    try {
      await t.addClient({ id: 'plain-app', redirectUris: [REDIRECT_URI], public: true, firstParty: true });
      await loginThroughBrowser(await relyingParty(t.url, 'plain-app'), 'tina', PASSWORD);
    } finally {
      await t.close();
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(exports.length).toBe(before);
    expect(t.logs.some((l) => l.includes('trace_id'))).toBe(false);
  });
});
