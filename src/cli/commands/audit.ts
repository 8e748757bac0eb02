// audit list: reads the audit trail (logins, lockouts, migrations, deliveries, admin
// actions) with filters, newest first, as a table or JSON. Every filter is checked before
// the store is opened, so a typo is a usage error and never an empty answer.
import { UsageError } from '../../errors.ts';
import { table, withStore } from '../context.ts';
import { type Command, positiveInt } from '../framework.ts';

const usage = `Usage: oidc-bridge audit list [--type T] [--outcome O] [--sub S] [--identifier I]
                         [--since ISO|1h|7d] [--limit N] [--json]

  --type T          event type, e.g. login, lockout, migration, admin.client_added
  --outcome O       success, failure or info
  --sub S           the subject of a bridge account
  --identifier I    the login name as it was typed
  --since WHEN      an ISO 8601 date or time (2026-11-22, 2026-11-22T10:00:00Z), or an age
                    such as 30m, 1h, 7d, 2w
  --limit N         at most N events, 1 to 10000 (default 100)
  --json            one JSON array instead of a table`;

export const OUTCOMES = ['success', 'failure', 'info'] as const;
export const MAX_LIMIT = 10_000;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `1h`, `7d` or an ISO 8601 date; anything else is a usage error naming the forms. */
export function parseSince(value: string, now = Date.now()): Date {
  const age = /^(\d{1,6})([smhdw])$/.exec(value);
  if (age) return new Date(now - Number(age[1]) * UNIT_SECONDS[age[2]!]! * 1000);
  // Date.parse accepts much that is not ISO 8601 ("1", "Tue"): insist on the ISO shape first.
  if (/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const t = Date.parse(value);
    if (Number.isFinite(t)) return new Date(t);
  }
  throw new UsageError(
    `--since ${JSON.stringify(value)} is neither an ISO 8601 date nor an age. Fix: give e.g. 2026-11-22, 2026-11-22T10:00:00Z, 30m, 1h or 7d.`,
    usage,
  );
}

function text(
  values: Record<string, unknown>,
  name: string,
  max: number,
  pattern?: RegExp,
): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || v.length > max) {
    throw new UsageError(`--${name} must be 1 to ${max} characters.`, usage);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(v) || (pattern && !pattern.test(v))) {
    throw new UsageError(`--${name} ${JSON.stringify(v)} is not a valid value.`, usage);
  }
  return v;
}

export const auditCommands: Command[] = [
  {
    name: 'audit list',
    summary: 'show the audit trail (logins, lockouts, migrations, admin actions)',
    usage,
    options: {
      type: { type: 'string' },
      outcome: { type: 'string' },
      sub: { type: 'string' },
      identifier: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run({ values }, io) {
      const type = text(values, 'type', 48, /^[a-z][a-z0-9_.-]*$/);
      const outcome = text(values, 'outcome', 16);
      if (outcome !== undefined && !(OUTCOMES as readonly string[]).includes(outcome)) {
        throw new UsageError(
          `--outcome ${JSON.stringify(outcome)} is not one of ${OUTCOMES.join(', ')}.`,
          usage,
        );
      }
      const sub = text(values, 'sub', 255);
      const identifier = text(values, 'identifier', 320);
      const since = values.since === undefined ? undefined : parseSince(String(values.since));
      const limit = positiveInt(values, 'limit', usage, 100);
      if (limit > MAX_LIMIT)
        throw new UsageError(`--limit must be at most ${MAX_LIMIT}, got ${limit}.`, usage);
      return withStore(values, io, async ({ audit }) => {
        const rows = await audit.list({ type, outcome, sub, identifier, since, limit });
        if (values.json) {
          io.out(JSON.stringify(rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }))));
        } else if (rows.length === 0) {
          io.out('No audit events match.');
        } else {
          io.out(
            table(
              rows.map((r) => ({
                ...r,
                details: r.details && Object.keys(r.details).length ? JSON.stringify(r.details) : '',
              })),
              ['at', 'type', 'outcome', 'reason', 'sub', 'identifier', 'ip', 'client_id', 'actor', 'details'],
            ),
          );
        }
        return 0;
      });
    },
  },
];
