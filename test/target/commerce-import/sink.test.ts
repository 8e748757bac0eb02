// The HTTP sink against a small real server that answers as a misbehaving target might:
// what it sends, how each answer maps to an outcome, and that nothing the target echoes
// back can carry the password form into last_error.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.ts';
import type { CommerceImportConfig } from '../../../src/config/schema.ts';
import {
  parsePassword,
  passwordFromPlain,
  verifyPassword,
} from '../../../src/target/commerce-import/password.ts';
import { createCommerceSink } from '../../../src/target/commerce-import/sink.ts';
import { parseRetryAfter } from '../../../src/target/http.ts';
import type { DeliveryJob } from '../../../src/target/types.ts';
import { snapshotColumns } from '../../../src/target/values.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server;
let url: string;
let handler: Handler;
const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/import`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  received.length = 0;
  handler = (_req, _body, res) => {
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"status":"created"}');
  };
});

function targetConfig(overrides: Record<string, unknown> = {}): CommerceImportConfig {
  const config = parseConfig({ target: { type: 'commerce-import', url, ...overrides } });
  return config.target as CommerceImportConfig;
}

/** The sink, as the format hands it to the worker. */
function createHttpSink(config: CommerceImportConfig) {
  return { deliver: createCommerceSink(config) };
}

const ROW = {
  id: 42,
  first_name: 'Zeynep',
  last_name: 'Kaya',
  email: 'zeynep@example.com',
  gender: 'F',
  birthday: '1988-02-29',
  accept_notifications: 0,
  created_at: '2017-06-01T10:00:00.000Z',
};

function jobWith(overrides: Partial<DeliveryJob> = {}): DeliveryJob {
  return {
    id: 1,
    sub: '42',
    kind: 'deliver',
    payload: { legacy_id: '42' },
    claims: {},
    row: snapshotColumns(ROW, Object.keys(ROW)),
    secret: passwordFromPlain('s3cret!', 'sha1'),
    targetRef: null,
    attempts: 1,
    ...overrides,
  };
}

const signal = new AbortController().signal;

describe('the commerce import sink', () => {
  it('POSTs the user-import record as JSON with the configured headers and the stored password form', async () => {
    const job = jobWith();
    const result = await createHttpSink(
      targetConfig({ headers: { Authorization: 'Bearer abcdefgh123' } }),
    ).deliver(job, signal);
    expect(result).toEqual({ outcome: 'delivered', reason: 'delivered' });
    expect(received).toHaveLength(1);
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect(received[0]!.headers.authorization).toBe('Bearer abcdefgh123');
    const sent = JSON.parse(received[0]!.body);
    expect(sent).toMatchObject({
      first_name: 'Zeynep',
      email: 'zeynep@example.com',
      gender: 'female',
      date_of_birth: '1988-02-29',
      customer_code: '42',
      password: job.secret,
      password_algorithm: 'sha1',
      user_type: 'registered',
    });
    expect(verifyPassword('s3cret!', sent.password)).toBe(true);
  });

  it('counts any 2xx as delivered', async () => {
    handler = (_req, _body, res) => res.writeHead(200).end();
    expect(await createHttpSink(targetConfig()).deliver(jobWith(), signal)).toMatchObject({
      outcome: 'delivered',
    });
  });

  it('never lets a password form the target echoes back into the detail', async () => {
    handler = (_req, body, res) => {
      const { password } = JSON.parse(body);
      res
        .writeHead(422, { 'content-type': 'text/plain' })
        .end(`bad password ${password} (hash ${password.split('$')[2]})`);
    };
    const job = jobWith();
    const result = await createHttpSink(targetConfig()).deliver(job, signal);
    expect(result.outcome).toBe('failed');
    const detail = (result as { detail: string }).detail;
    expect(detail).toMatch(/^target answered 422: bad password \[redacted\] \(hash \[redacted\]\)$/);
    expect(detail).not.toContain(parsePassword(job.secret!)!.hash);
  });

  it('reports a redirect instead of following it', async () => {
    handler = (_req, _body, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    const result = await createHttpSink(targetConfig()).deliver(jobWith(), signal);
    expect(result).toEqual({
      outcome: 'failed',
      reason: 'rejected',
      detail: 'target answered 302 (a redirect; check target.url)',
    });
    expect(received).toHaveLength(1);
  });

  it('treats a 409 other than already_exists or email_conflict as a rejection', async () => {
    handler = (_req, _body, res) =>
      res.writeHead(409, { 'content-type': 'application/json' }).end('{"error":"locked"}');
    expect(await createHttpSink(targetConfig()).deliver(jobWith(), signal)).toEqual({
      outcome: 'failed',
      reason: 'rejected',
      detail: 'target answered 409 locked',
    });
  });

  it('passes Retry-After on with a 429', async () => {
    handler = (_req, _body, res) => res.writeHead(429, { 'retry-after': '7' }).end();
    expect(await createHttpSink(targetConfig()).deliver(jobWith(), signal)).toMatchObject({
      outcome: 'retry',
      reason: 'rate_limited',
      retryAfterMs: 7000,
    });
  });

  it('sends nothing for a mapping that names a column the row lacks', async () => {
    const result = await createHttpSink(targetConfig({ mapping: { phone: 'mobile' } })).deliver(
      jobWith(),
      signal,
    );
    expect(result.outcome).toBe('invalid');
    expect((result as { detail: string }).detail).toMatch(/^legacy row 42: .*"mobile"/);
    expect(received).toHaveLength(0);
  });

  it('sends an unusable password with password_reset_required for a job meant to go without one', async () => {
    const job = jobWith({ secret: null, payload: { ...jobWith().payload, without_password: true } });
    expect(await createHttpSink(targetConfig()).deliver(job, signal)).toMatchObject({ outcome: 'delivered' });
    const sent = JSON.parse(received[0]!.body);
    expect(sent.attributes).toEqual({ password_reset_required: true });
    expect(sent.password_algorithm).toBe('sha256');
  });

  it('reports an interrupted request when the worker aborts it', async () => {
    handler = () => {}; // never answers
    const controller = new AbortController();
    const pending = createHttpSink(targetConfig()).deliver(jobWith(), controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toMatchObject({ outcome: 'retry', reason: 'interrupted' });
    server.closeAllConnections();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(parseRetryAfter(inTenSeconds)).toBeGreaterThan(8000);
    expect(parseRetryAfter(inTenSeconds)).toBeLessThanOrEqual(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
