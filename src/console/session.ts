// The console's own session and CSRF tokens. A session is a small signed cookie (koa's
// keygrip, with the bridge's cookie keys from the store, so it survives a key rotation
// and holds on every replica); the CSRF token of a form is an HMAC of the session id.
// Whether the holder is still an admin is checked again on every request, not stored.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

export const SESSION_COOKIE = 'oidc_bridge_console';
export const LOGIN_COOKIE = 'oidc_bridge_console_login';

export interface ConsoleSession {
  sub: string;
  /** Random per sign-in: the CSRF tokens are bound to it. */
  sid: string;
  /** Expiry, Unix milliseconds. */
  exp: number;
}

export interface LoginTransaction {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
  exp: number;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decode<T>(raw: string | undefined): T | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

export function createSessions(opts: { cookieKeys: () => string[]; secure: boolean; maxAgeSeconds: number }) {
  const base = { signed: true, httpOnly: true, secure: opts.secure, path: '/console', overwrite: true };

  function csrfFor(sid: string, key: string): string {
    return createHmac('sha256', key).update(`console-csrf:${sid}`).digest('base64url');
  }

  return {
    read(ctx: Context): ConsoleSession | undefined {
      const s = decode<ConsoleSession>(ctx.cookies.get(SESSION_COOKIE, { signed: true }));
      if (!s || typeof s.sub !== 'string' || typeof s.sid !== 'string' || typeof s.exp !== 'number')
        return undefined;
      return s.exp > Date.now() ? s : undefined;
    },

    start(ctx: Context, sub: string): ConsoleSession {
      const session = {
        sub,
        sid: randomBytes(16).toString('base64url'),
        exp: Date.now() + opts.maxAgeSeconds * 1000,
      };
      ctx.cookies.set(SESSION_COOKIE, encode(session), {
        ...base,
        sameSite: 'strict',
        maxAge: opts.maxAgeSeconds * 1000,
      });
      return session;
    },

    end(ctx: Context): void {
      ctx.cookies.set(SESSION_COOKIE, '', { ...base, sameSite: 'strict', maxAge: 0 });
    },

    /** The login's state, nonce and PKCE verifier, for the ten minutes a sign-in may take. */
    saveLogin(ctx: Context, tx: Omit<LoginTransaction, 'exp'>): void {
      // Lax, not strict: the browser comes back to the callback from the bridge's origin.
      ctx.cookies.set(LOGIN_COOKIE, encode({ ...tx, exp: Date.now() + 600_000 }), {
        ...base,
        sameSite: 'lax',
        maxAge: 600_000,
      });
    },

    takeLogin(ctx: Context): LoginTransaction | undefined {
      const tx = decode<LoginTransaction>(ctx.cookies.get(LOGIN_COOKIE, { signed: true }));
      ctx.cookies.set(LOGIN_COOKIE, '', { ...base, sameSite: 'lax', maxAge: 0 });
      return tx && tx.exp > Date.now() ? tx : undefined;
    },

    csrf(session: ConsoleSession): string {
      return csrfFor(session.sid, opts.cookieKeys()[0]!);
    },

    /** Constant-time, against every cookie key (a rotation does not void open forms). */
    csrfValid(session: ConsoleSession, token: unknown): boolean {
      if (typeof token !== 'string' || token.length === 0 || token.length > 100) return false;
      const given = Buffer.from(token);
      return opts.cookieKeys().some((k) => {
        const expected = Buffer.from(csrfFor(session.sid, k));
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
