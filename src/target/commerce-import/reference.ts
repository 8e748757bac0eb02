// A reference implementation of the commerce platform's user-import API, in memory: strict
// validation in the user-import format, unique customer_code and email, the "Control"
// password check, and switchable faults. A test double the tests and the demo deliver to
// over real HTTP, built on the same schema as the format it mimics.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import type { Logger } from 'pino';
import { silentLogger } from '../../logger.ts';
import { createFaults, type ModeOptions, type TargetMode } from '../faults.ts';
import { listenOn } from '../listen.ts';
import { redactPasswords } from '../reference.ts';
import type { Problem } from '../types.ts';
import { unusablePassword, verifyPassword } from './password.ts';
import { type CommerceUser, validateUser } from './schema.ts';

export type { ModeOptions, TargetMode };

export const IMPORT_PATH = '/api/users/import';
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_BATCH = 1000;

export interface ReferenceTargetOptions {
  /** When set, every /api request needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
  logger?: Logger | undefined;
  /** Expose /_control/{mode,reset,requests}, so another process can inject faults. Default false. */
  control?: boolean | undefined;
}

export interface ImportRequestRecord {
  at: number;
  /** The parsed body with every password replaced by '[redacted]'. */
  body: unknown;
  status: number;
  /** The `error` code of the answer, when it had one. */
  error?: string | undefined;
  /** The Idempotency-Key header, and whether the answer was a replay of an earlier one. */
  idempotencyKey?: string | undefined;
  replayed?: boolean | undefined;
}

export interface ReferenceTargetState {
  /** customer_code → user, password included (the check endpoint needs it). */
  users: Map<string, CommerceUser>;
  requests: ImportRequestRecord[];
  readonly mode: TargetMode;
  setMode(mode: TargetMode, options?: ModeOptions): void;
  /** Forgets users and requests, and returns to normal mode. */
  reset(): void;
}

export interface RunningTarget {
  url: string;
  importUrl: string;
  close(): Promise<void>;
}

export interface ReferenceTarget {
  app: Koa;
  state: ReferenceTargetState;
  listen(port?: number, host?: string): Promise<RunningTarget>;
}

type ImportOutcome =
  | { status: 201; body: { status: 'created'; customer_code: string } }
  | { status: 409; body: { error: 'already_exists'; customer_code: string } }
  | { status: 409; body: { error: 'email_conflict'; field: 'email' } }
  | { status: 400; body: { error: 'validation_error'; fields: Record<string, string> } };

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

// Digests first: timingSafeEqual needs equal lengths, and the length must not leak either.
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function withoutPassword(user: CommerceUser): Omit<CommerceUser, 'password'> {
  const copy: Partial<CommerceUser> = { ...user };
  delete copy.password;
  return copy as Omit<CommerceUser, 'password'>;
}

function fieldsOf(problems: Problem[]): Record<string, string> {
  return Object.fromEntries(problems.map((p) => [p.field, p.reason]));
}

async function readJson(ctx: Context): Promise<unknown> {
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > MAX_BODY_BYTES) throw new HttpProblem(413, 'body_too_large', 'The body exceeds 10 MiB.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, 'body_too_large', 'The body exceeds 10 MiB.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem(400, 'invalid_json', 'The body is not valid JSON.');
  }
}

export function createReferenceTarget(opts: ReferenceTargetOptions = {}): ReferenceTarget {
  const logger = opts.logger ?? silentLogger;
  const users = new Map<string, CommerceUser>();
  const byEmail = new Map<string, string>();
  const requests: ImportRequestRecord[] = [];
  const answered = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  const faults = createFaults();
  // Unknown e-mails are checked against this too, so a miss costs what a hit costs.
  const decoy = unusablePassword('sha256');

  const state: ReferenceTargetState = {
    users,
    requests,
    get mode() {
      return faults.mode;
    },
    setMode: (mode, options) => faults.set(mode, options),
    reset() {
      users.clear();
      byEmail.clear();
      answered.clear();
      requests.length = 0;
      faults.set('normal');
    },
  };

  function importOne(candidate: unknown): ImportOutcome {
    const result = validateUser(candidate);
    if (!result.ok)
      return { status: 400, body: { error: 'validation_error', fields: fieldsOf(result.problems) } };
    const user = result.user;
    if (users.has(user.customer_code)) {
      return { status: 409, body: { error: 'already_exists', customer_code: user.customer_code } };
    }
    const email = user.email.toLowerCase();
    if (byEmail.has(email)) return { status: 409, body: { error: 'email_conflict', field: 'email' } };
    users.set(user.customer_code, user);
    byEmail.set(email, user.customer_code);
    return { status: 201, body: { status: 'created', customer_code: user.customer_code } };
  }

  // Every error becomes a JSON answer here, so no bad input can surface as a 500.
  function answerError(ctx: Context, err: unknown): void {
    if (err instanceof HttpProblem) {
      ctx.status = err.status;
      ctx.body = { error: err.code, message: err.message };
      return;
    }
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      ctx.status = status;
      ctx.body = { error: 'bad_request' };
      return;
    }
    logger.error({ err }, 'reference target: unexpected error');
    ctx.status = 500;
    ctx.body = { error: 'internal_error' };
  }

  async function errors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        // Assigning a body makes Koa answer 200, so the status is set again after it.
        ctx.body = { error: 'not_found' };
        ctx.status = 404;
      }
    } catch (err) {
      answerError(ctx, err);
    }
  }

  async function bearer(ctx: Context, next: Next): Promise<void> {
    if (opts.token !== undefined) {
      const header = ctx.get('Authorization');
      if (!sameSecret(header, `Bearer ${opts.token}`)) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer');
        ctx.body = { error: 'unauthorized' };
        return;
      }
    }
    await next();
  }

  // Reads the body before the faults, so every request is logged with what it carried,
  // and answers errors itself, so the log holds the status the client really got.
  async function recordImport(ctx: Context, next: Next): Promise<void> {
    const record: ImportRequestRecord = { at: Date.now(), body: '[unread]', status: 0 };
    if (ctx.get('Idempotency-Key')) record.idempotencyKey = ctx.get('Idempotency-Key');
    try {
      const body = await readJson(ctx);
      record.body = redactPasswords(body);
      ctx.state.body = body;
      await next();
    } catch (err) {
      if (err instanceof HttpProblem && err.code === 'invalid_json') record.body = '[malformed JSON]';
      answerError(ctx, err);
    }
    record.status = ctx.status;
    if (ctx.response.get('Idempotent-Replayed') === 'true') record.replayed = true;
    const answered = ctx.body as { error?: unknown } | undefined;
    if (typeof answered?.error === 'string') record.error = answered.error;
    requests.push(record);
    logger.info({ status: record.status, mode: faults.mode }, 'reference target: import request');
  }

  /**
   * Idempotency-Key (docs/targets.md): a request repeating a key seen before, with the same
   * body, gets the answer the first one got, and creates nothing; the same key with another
   * body is refused with 422. Answers of 5xx are not kept: the retry runs for real.
   */
  async function idempotent(ctx: Context, next: Next): Promise<void> {
    const key = ctx.get('Idempotency-Key');
    if (!key) return next();
    const fingerprint = createHash('sha256').update(JSON.stringify(ctx.state.body)).digest('hex');
    const seen = answered.get(key);
    if (seen) {
      if (seen.fingerprint !== fingerprint) {
        throw new HttpProblem(422, 'idempotency_key_reused', 'This Idempotency-Key came with another body.');
      }
      ctx.status = seen.status;
      ctx.body = seen.body;
      ctx.set('Idempotent-Replayed', 'true');
      return;
    }
    await next();
    if (ctx.status < 500) answered.set(key, { fingerprint, status: ctx.status, body: ctx.body });
  }

  async function handleImport(ctx: Context): Promise<void> {
    const body: unknown = ctx.state.body;
    if (Array.isArray(body)) {
      if (body.length === 0) throw new HttpProblem(400, 'empty_batch', 'The batch holds no users.');
      if (body.length > MAX_BATCH)
        throw new HttpProblem(413, 'batch_too_large', `At most ${MAX_BATCH} users a batch.`);
      const results = body.map((candidate: unknown) => {
        const outcome = importOne(candidate);
        const code =
          typeof (candidate as { customer_code?: unknown } | null)?.customer_code === 'string'
            ? (candidate as { customer_code: string }).customer_code
            : null;
        if (outcome.status === 201) return { customer_code: code, status: 201 };
        if (outcome.status === 400) {
          return { customer_code: code, status: 400, error: outcome.body.error, fields: outcome.body.fields };
        }
        return { customer_code: code, status: 409, error: outcome.body.error };
      });
      ctx.status = 200;
      ctx.body = { results };
      return;
    }
    const outcome = importOne(body);
    ctx.status = outcome.status;
    ctx.body = outcome.body;
  }

  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.status = faults.mode === 'down' ? 503 : 200;
    ctx.body = { status: faults.mode === 'down' ? 'down' : 'ok' };
  });
  router.post(IMPORT_PATH, recordImport, faults.middleware, bearer, idempotent, handleImport);
  router.get('/api/users', bearer, (ctx) => {
    const email = ctx.query.email;
    if (typeof email !== 'string' || email === '') {
      throw new HttpProblem(400, 'invalid_query', 'Give one email query parameter.');
    }
    const code = byEmail.get(email.toLowerCase());
    const user = code === undefined ? undefined : users.get(code);
    ctx.status = user ? 200 : 404;
    ctx.body = user ? withoutPassword(user) : { error: 'not_found' };
  });
  router.get('/api/users/:customer_code', bearer, (ctx) => {
    const user = users.get(ctx.params.customer_code ?? '');
    ctx.status = user ? 200 : 404;
    ctx.body = user ? withoutPassword(user) : { error: 'not_found' };
  });
  router.post('/api/users/check', bearer, async (ctx) => {
    const body = (await readJson(ctx)) as { email?: unknown; password?: unknown } | null;
    if (typeof body?.email !== 'string' || typeof body.password !== 'string') {
      throw new HttpProblem(400, 'invalid_body', 'Give { "email": string, "password": string }.');
    }
    const code = byEmail.get(body.email.toLowerCase());
    const user = code === undefined ? undefined : users.get(code);
    const valid = verifyPassword(body.password, user?.password ?? decoy) && user !== undefined;
    ctx.body = { valid };
  });

  if (opts.control) {
    router.post('/_control/mode', bearer, async (ctx) => {
      const body = (await readJson(ctx)) as ({ mode?: unknown } & ModeOptions) | null;
      const modes: TargetMode[] = ['normal', 'down', 'flaky', 'slow', 'ratelimit'];
      if (!modes.includes(body?.mode as TargetMode)) {
        throw new HttpProblem(400, 'invalid_mode', `mode must be one of ${modes.join(', ')}.`);
      }
      const number = (v: unknown) => (typeof v === 'number' && v >= 0 ? v : undefined);
      state.setMode(body!.mode as TargetMode, {
        delayMs: number(body!.delayMs),
        retryAfterSeconds: number(body!.retryAfterSeconds),
        count: number(body!.count),
      });
      ctx.body = { mode: state.mode };
    });
    router.post('/_control/reset', bearer, (ctx) => {
      state.reset();
      ctx.body = { mode: state.mode };
    });
    router.get('/_control/requests', bearer, (ctx) => {
      ctx.body = { requests };
    });
  }

  const app = new Koa();
  // Errors are answered and logged by the middleware above; Koa's own stderr dump would
  // only duplicate them.
  app.silent = true;
  app.use(errors);
  app.use(router.routes());
  app.use(router.allowedMethods());

  return {
    app,
    state,
    async listen(port = 0, host = '127.0.0.1') {
      const { url, close } = await listenOn(app.callback(), port, host);
      return { url, importUrl: `${url}${IMPORT_PATH}`, close };
    },
  };
}
