// A webhook receiver as a customer would write one, as the webhook target's test double: it
// checks the signature as docs/targets.md shows, refuses a stale or forged request with 401,
// keeps users by legacy id (409 for one it holds), takes password changes, and has the
// same switchable faults as every reference target.
import { randomBytes } from 'node:crypto';
import { Router } from '@koa/router';
import Koa, { type Context } from 'koa';
import { silentLogger } from '../../logger.ts';
import { createFaults } from '../faults.ts';
import { listenOn } from '../listen.ts';
import {
  type ReferenceDouble,
  type ReferenceOptions,
  type RequestRecord,
  redactPasswords,
} from '../reference.ts';
import { checkForm, type WebhookPasswordForm } from './password.ts';
import { SIGNATURE_HEADER, verifySignature } from './signature.ts';

export const WEBHOOK_PATH = '/webhook';
const MAX_BODY_BYTES = 1024 * 1024;

interface HeldUser {
  id: string;
  legacy_id: string;
  claims: Record<string, unknown>;
  password: { form: WebhookPasswordForm; value: string } | null;
}

async function rawBody(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) ctx.throw(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startReference(
  opts: ReferenceOptions & { passwordForm?: WebhookPasswordForm } = {},
): Promise<ReferenceDouble> {
  const logger = opts.logger ?? silentLogger;
  const secret = randomBytes(32).toString('base64url');
  const form = opts.passwordForm ?? 'argon2id';
  const users = new Map<string, HeldUser>();
  const creates = new Map<string, number>();
  const requests: RequestRecord[] = [];
  const faults = createFaults();
  let next = 1;

  function answer(
    ctx: Context,
    status: number,
    body: Record<string, unknown>,
    outcome: RequestRecord['outcome'],
  ) {
    ctx.status = status;
    ctx.body = body;
    ctx.state.outcome = outcome;
  }

  async function record(ctx: Context, next: () => Promise<void>) {
    const entry: RequestRecord = {
      at: Date.now(),
      method: ctx.method,
      path: ctx.path,
      legacyId: undefined,
      status: 0,
      outcome: 'fault',
      body: '[unread]',
      idempotencyKey: ctx.get('Idempotency-Key') || undefined,
    };
    try {
      const text = await rawBody(ctx);
      ctx.state.raw = text;
      try {
        const event = JSON.parse(text) as { user?: { legacy_id?: unknown } };
        entry.body = redactPasswords(event);
        if (typeof event.user?.legacy_id === 'string') entry.legacyId = event.user.legacy_id;
      } catch {
        entry.body = '[malformed JSON]';
      }
      await next();
    } catch (err) {
      answer(ctx, (err as { status?: number }).status ?? 500, { error: 'bad_request' }, 'refused');
    }
    entry.status = ctx.status;
    entry.outcome = ctx.state.outcome ?? 'fault';
    requests.push(entry);
    logger.info({ status: entry.status }, 'webhook receiver: request');
  }

  async function receive(ctx: Context) {
    const raw = ctx.state.raw as string;
    // The receiver's one duty before anything else: the request is the bridge's, and fresh.
    if (!verifySignature(secret, ctx.get(SIGNATURE_HEADER) || undefined, raw)) {
      return answer(ctx, 401, { error: 'bad_signature' }, 'refused');
    }
    let event: {
      type?: unknown;
      user?: { legacy_id?: unknown; claims?: unknown };
      password?: { form?: unknown; value?: unknown } | null;
    };
    try {
      event = JSON.parse(raw);
    } catch {
      return answer(ctx, 400, { error: 'invalid_json' }, 'refused');
    }
    const legacyId = event.user?.legacy_id;
    if (typeof legacyId !== 'string') return answer(ctx, 400, { error: 'no_legacy_id' }, 'refused');
    const password =
      event.password && typeof event.password.value === 'string'
        ? { form: event.password.form as WebhookPasswordForm, value: event.password.value }
        : null;
    const held = users.get(legacyId);
    if (event.type === 'user.migrated') {
      if (held) return answer(ctx, 409, { error: 'already_exists', id: held.id }, 'duplicate');
      const user: HeldUser = {
        id: `wh-${next++}`,
        legacy_id: legacyId,
        claims: (event.user?.claims as Record<string, unknown>) ?? {},
        password,
      };
      users.set(legacyId, user);
      creates.set(legacyId, (creates.get(legacyId) ?? 0) + 1);
      return answer(ctx, 201, { id: user.id }, 'created');
    }
    if (event.type === 'user.password_changed') {
      if (!held) return answer(ctx, 404, { error: 'not_found' }, 'refused');
      held.password = password;
      return answer(ctx, 200, { id: held.id }, 'updated');
    }
    return answer(ctx, 400, { error: 'unknown_event' }, 'refused');
  }

  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: faults.mode === 'down' ? 'down' : 'ok' };
    ctx.status = faults.mode === 'down' ? 503 : 200;
  });
  router.post(WEBHOOK_PATH, record, faults.middleware, receive);
  const app = new Koa();
  app.silent = true;
  app.use(router.routes());
  const running = await listenOn(app.callback(), opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    type: 'webhook',
    url: running.url,
    targetConfig: { type: 'webhook', url: `${running.url}${WEBHOOK_PATH}`, secret, password_form: form },
    requests,
    creates,
    users() {
      return new Map(
        [...users].map(([id, u]) => [
          id,
          { id: u.id, legacy_id: u.legacy_id, claims: u.claims } as Record<string, unknown>,
        ]),
      );
    },
    setMode: (mode, options) => faults.set(mode, options),
    reset() {
      users.clear();
      creates.clear();
      requests.length = 0;
      faults.set('normal');
    },
    async verifyPassword(legacyId, password) {
      const user = users.get(legacyId);
      if (!user?.password) return false;
      return checkForm(user.password.form, password, user.password.value);
    },
    close: () => running.close(),
  };
}
