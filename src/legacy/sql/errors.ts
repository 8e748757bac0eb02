// Sorts what the legacy database throws into the three outcomes the bridge acts on: the
// database is unavailable (503), the configuration names a table or column that is not
// there (an operator fix), or the lookup value cannot be compared (no such user).
// Driver messages are never copied: knex inlines MySQL bindings, which hold the login name.
import { LegacyUnavailableError } from '../../errors.ts';
import { driverErrorCode } from '../../util/driver-errors.ts';
import { LegacyConfigError } from '../errors.ts';

export { LegacyConfigError };

export type ClassifiedError =
  | { kind: 'unavailable'; code: string; error: LegacyUnavailableError }
  | { kind: 'config'; code: string; error: LegacyConfigError }
  /** The value looked up cannot exist in the column (type, encoding): treat as no such user. */
  | { kind: 'incomparable'; code: string };

export interface ErrorContext {
  table: string;
  /** Config keys that name a column, e.g. legacy.identifiers[1], legacy.claims.email. */
  keysForColumn(column: string): string[];
}

interface DriverError {
  code?: unknown;
  errno?: unknown;
  name?: unknown;
  message?: unknown;
  sqlMessage?: unknown;
}

// MySQL/MariaDB: the value has characters the column's character set cannot hold (an emoji
// against utf8mb3, Cyrillic against latin1), or a type conversion failed.
const MYSQL_INCOMPARABLE = new Set([
  'ER_CANT_AGGREGATE_2COLLATIONS',
  'ER_CANT_AGGREGATE_3COLLATIONS',
  'ER_CANT_AGGREGATE_NCOLLATIONS',
  'ER_INVALID_CHARACTER_STRING',
  'ER_TRUNCATED_WRONG_VALUE',
]);

const MYSQL_PERMISSION = new Set(['ER_TABLEACCESS_DENIED_ERROR', 'ER_COLUMNACCESS_DENIED_ERROR']);

function lastSegment(name: string): string {
  return name.split('.').pop() ?? name;
}

/** A stable, loggable code for any error: driver code, SQLSTATE, or one derived from the kind. */
export const errorCode = driverErrorCode;

/** A configured column the table lacks, naming every key that mentions it. */
export function missingColumn(ctx: ErrorContext, column: string): LegacyConfigError {
  const keys = ctx.keysForColumn(column);
  const key = keys[0] ?? 'legacy';
  const where = keys.length ? `it is configured in ${keys.join(', ')}` : 'the bridge asked for it';
  return new LegacyConfigError(
    key,
    `Table ${ctx.table} has no column ${column}; ${where}. Fix: set ${key} to an existing column of ${ctx.table}.`,
    { table: ctx.table, column },
  );
}

export function missingTable(table: string): LegacyConfigError {
  return new LegacyConfigError(
    'legacy.table',
    `Table ${table} does not exist in the legacy database, or its user cannot see it. Fix: set legacy.table to the user table, or check the database name in legacy.connection.`,
    { table },
  );
}

export function classifyLegacyError(err: unknown, ctx: ErrorContext): ClassifiedError {
  const e = (err ?? {}) as DriverError;
  const code = errorCode(err);
  const driverMessage =
    typeof e.sqlMessage === 'string' ? e.sqlMessage : typeof e.message === 'string' ? e.message : '';

  // Unknown column: MySQL "Unknown column 'x' in 'WHERE'", PostgreSQL 'column "x" does not exist'.
  if (code === 'ER_BAD_FIELD_ERROR' || code === '42703') {
    const m =
      /Unknown column '([^']+)'/.exec(driverMessage) ??
      /column "?([^"\s]+)"? does not exist/.exec(driverMessage);
    return { kind: 'config', code, error: missingColumn(ctx, lastSegment(m?.[1] ?? '(unknown)')) };
  }
  // The operator's SELECT does not parse: legacy.query (or a query field) to fix, not an outage.
  if (
    code === 'ER_PARSE_ERROR' ||
    code === '42601' ||
    (code === 'SQLITE_ERROR' && /syntax error/.test(driverMessage))
  ) {
    return {
      kind: 'config',
      code,
      error: new LegacyConfigError(
        'legacy.query',
        `The legacy database cannot parse the configured SQL (${code}). Fix: run legacy.query (and any legacy.fields query) in the database's own client until it works, then paste it back.`,
      ),
    };
  }
  if (
    code === 'ER_NO_SUCH_TABLE' ||
    code === '42P01' ||
    (code === 'SQLITE_ERROR' && /no such table/.test(driverMessage))
  ) {
    return { kind: 'config', code, error: missingTable(ctx.table) };
  }
  if (MYSQL_PERMISSION.has(code) || code === '42501') {
    return {
      kind: 'config',
      code,
      error: new LegacyConfigError(
        'legacy.connection',
        `The legacy database user may not read table ${ctx.table}. Fix: GRANT SELECT ON ${ctx.table} to the user in legacy.connection.`,
        { table: ctx.table },
      ),
    };
  }
  // PostgreSQL: a configured value of the wrong type for its column (boolean = integer).
  if (code === '42883' || code === '42804') {
    return {
      kind: 'config',
      code,
      error: new LegacyConfigError(
        'legacy.where',
        `A value compared with a column of table ${ctx.table} does not fit the column's type. Fix: give each legacy.where value the column's type (true/false for a boolean column), and point legacy.columns.last_login at a date, timestamp or Unix-seconds column.`,
        { table: ctx.table },
      ),
    };
  }
  // SQLSTATE class 22 (data exception): NUL byte, invalid integer or uuid text, out of range.
  if (MYSQL_INCOMPARABLE.has(code) || /^22[0-9A-Z]{3}$/.test(code)) {
    return { kind: 'incomparable', code };
  }
  return {
    kind: 'unavailable',
    code,
    error: new LegacyUnavailableError(`The legacy user database is unavailable (${code}).`),
  };
}
