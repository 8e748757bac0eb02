// pino, with every field that could hold a secret redacted wherever it appears, JSON on a
// pipe and pretty-printed on a TTY. Nothing in the bridge logs a password or a hash on
// purpose; redaction is the second line of defence.
import { type Logger, pino } from 'pino';
import { redactDeep } from './security/redact.ts';

export type { Logger };

const SECRET_KEYS = [
  'password',
  'new_password',
  'hash',
  'password_hash',
  'passwordHash',
  'stored',
  'salt',
  'secret',
  'client_secret',
  'clientSecret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',

  'cookie',
  'authorization',
  'set-cookie',
  'private_key',
  'privateKey',
  'pepper',
  'payload.password',
];

export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; default stdout. Tests pass a stream to capture every line. */
  destination?: NodeJS.WritableStream;
  pretty?: boolean;
  /** Fields added to every line, e.g. the trace id of the span around it. */
  mixin?: (() => Record<string, unknown>) | undefined;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const base = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // The paths catch the usual places cheaply; this walks any depth, arrays and errors.
    formatters: { log: (o: Record<string, unknown>) => redactDeep(o) },
    base: { name: 'oidc-bridge' },
    ...(opts.mixin ? { mixin: opts.mixin } : {}),
  };
  if (opts.destination) return pino(base, opts.destination as pino.DestinationStream);
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && process.env.CI !== 'true');
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, destination: 1 } },
    });
  }
  return pino(base, pino.destination({ dest: 1, sync: false }));
}

/** A logger that discards everything, for CLI commands that print their own output. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * knex's `log` option: its warnings ("Acquire connection error", "Connection Error") go
 * through pino and its redaction, one line each with no stack trace, instead of console.
 */
export function knexLog(logger: Logger, component: string, level: 'warn' | 'debug' = 'warn') {
  const line = (m: unknown) => String(m instanceof Error ? m.message : m).split('\n')[0];
  return {
    warn: (m: unknown) => logger[level]({ component, driver: 'knex' }, line(m)),
    error: (m: unknown) => logger[level]({ component, driver: 'knex' }, line(m)),
    deprecate: () => {},
    debug: () => {},
  };
}
