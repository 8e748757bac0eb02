// The legacy user source: looks a login name up in the customer's user table, pages through
// it for the bulk import, and counts it for the cut-over figure. Read-only. Failures become
// LegacyUnavailableError (503, logged once per outage with the driver code only) or
// legacy_config_invalid (naming the key to fix); neither ever carries a login name or a hash.
import type { Knex } from 'knex';
import type { LegacyConfig } from '../config/schema.ts';
import { BridgeError, LegacyRowError, LegacyUnavailableError } from '../errors.ts';
import { type Logger, silentLogger } from '../logger.ts';
import { dialectOf, openLegacyConnection } from './connection.ts';
import {
  classifyLegacyError,
  type ErrorContext,
  LegacyConfigError,
  missingColumn,
  missingTable,
} from './errors.ts';
import { caseInsensitiveColumns } from './identifier-case.ts';
import { describeMapping, mapClaims } from './mapping.ts';
import { createLegacyQueries, type FilterValue, type MatchColumn, type Row } from './queries.ts';
import { isNumericValue, valueAsText } from './row-values.ts';
import { caseInsensitiveComparison, type TableInfo, tableInfoFrom, valueFits } from './table-info.ts';
import type { LegacyRow, LegacySource } from './types.ts';

export { LegacyConfigError } from './errors.ts';
export { describeMapping, describeSecretShape, mapClaims } from './mapping.ts';
export type { LegacyRow, LegacySource, MappingLine } from './types.ts';

export interface LegacySourceDeps {
  logger?: Logger;
  /** An existing knex instance (the demo's seeded PGlite). The source does not close it. */
  knex?: Knex;
  /**
   * Read the table's columns from the catalog before the first query, to check the
   * configuration and pick comparisons. Default true; false trusts the config blindly.
   */
  probeSchema?: boolean;
}

/** Longer login names are not looked up: no legacy column holds one, and they cost the database. */
export const MAX_IDENTIFIER_LENGTH = 16_384;
const MAX_PAGE = 10_000;
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A value that cannot be anyone's login name or id: empty, too long, broken UTF-16, or with
 * control characters. MariaDB's UCA collations ignore NUL, so 'bob\0' would find bob; and
 * PostgreSQL refuses NUL in text outright.
 */
function isLookupValue(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_IDENTIFIER_LENGTH &&
    !LONE_SURROGATE.test(value) &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    !/[\u0000-\u001f\u007f-\u009f]/.test(value)
  );
}

/** Config key(s) naming each column, for error messages. */
function columnKeys(config: LegacyConfig): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  const add = (column: string | undefined, key: string) => {
    if (!column) return;
    keys.set(column, [...(keys.get(column) ?? []), key]);
  };
  config.identifiers.forEach((c, i) => {
    add(c, `legacy.identifiers[${i}]`);
  });
  add(config.columns.id, 'legacy.columns.id');
  add(config.columns.password, 'legacy.columns.password');
  add(config.columns.salt, 'legacy.columns.salt');
  add(config.columns.scheme, 'legacy.columns.scheme');
  add(config.columns.last_login, 'legacy.columns.last_login');
  add(config.columns.totp_secret, 'legacy.columns.totp_secret');
  add(config.columns.totp_confirmed_at, 'legacy.columns.totp_confirmed_at');
  for (const [claim, column] of Object.entries(config.claims)) add(column, `legacy.claims.${claim}`);
  for (const column of Object.keys(config.where ?? {})) add(column, `legacy.where.${column}`);
  return keys;
}

const TRUE_FILTER = new Set(['1', 'true', 't', 'yes', 'on']);
const FALSE_FILTER = new Set(['0', 'false', 'f', 'no', 'off']);

/** A where value as the column's type wants it; PostgreSQL will not compare boolean = 1. */
function filterValueFor(
  column: string,
  value: FilterValue,
  info: TableInfo | undefined,
  family: 'mysql' | 'postgres',
): FilterValue {
  const col = info?.get(column);
  if (value === null || !col || family !== 'postgres') return value;
  if (col.kind === 'boolean' && typeof value !== 'boolean') {
    const text = String(value).toLowerCase();
    if (TRUE_FILTER.has(text)) return true;
    if (FALSE_FILTER.has(text)) return false;
  }
  // A flag kept as smallint/integer (MySQL habits carried over) with `true` in the config.
  if (col.kind === 'integer' && typeof value === 'boolean') return value ? 1 : 0;
  if (
    (col.kind === 'boolean' && typeof value !== 'boolean') ||
    ((col.kind === 'integer' || col.kind === 'decimal') && !valueFits(String(value), col))
  ) {
    throw new LegacyConfigError(
      `legacy.where.${column}`,
      `legacy.where.${column} is ${JSON.stringify(value)}, but column ${column} is ${col.type}. Fix: give legacy.where.${column} a ${col.kind === 'boolean' ? 'true/false' : 'numeric'} value.`,
      { column },
    );
  }
  return value;
}

export function createLegacySource(config: LegacyConfig, deps: LegacySourceDeps = {}): LegacySource {
  for (const column of Object.keys(config.where ?? {})) {
    if (!PLAIN_NAME.test(column)) {
      throw new LegacyConfigError(
        `legacy.where.${column}`,
        `legacy.where: ${JSON.stringify(column)} is not a plain column name. Fix: use letters, digits and underscores only.`,
      );
    }
  }
  const logger = (deps.logger ?? silentLogger).child({ component: 'legacy' });
  const { db, dialect } = deps.knex
    ? { db: deps.knex, dialect: dialectOf(deps.knex) }
    : openLegacyConnection(config, logger);
  const ownsDb = !deps.knex;
  const family = dialect === 'mysql' ? 'mysql' : 'postgres';
  const { table } = config;
  const idColumn = config.columns.id;
  const queries = createLegacyQueries(db, {
    family,
    table,
    idColumn,
    timeoutMs: config.query_timeout_ms,
    cancel: dialect !== 'pglite',
  });
  const keys = columnKeys(config);
  const errorContext: ErrorContext = { table, keysForColumn: (c) => keys.get(c) ?? [] };
  // One case rule per identifier column, the same as the bridge's own login names follow.
  const caseInsensitive = caseInsensitiveColumns(config);
  const secretColumns = [
    config.columns.password,
    ...(config.columns.salt ? [config.columns.salt] : []),
    ...(config.columns.totp_secret ? [config.columns.totp_secret] : []),
  ];

  interface Plan {
    info: TableInfo | undefined;
    filter: Record<string, FilterValue>;
  }
  let plan: Promise<Plan> | undefined;
  let idIsNumeric = false;
  let outage: string | undefined;
  // Set once a statement has read the table: from then on a missing table, column or grant
  // means the database changed under a running bridge (an outage, 503), not a config typo.
  let confirmed = false;
  const reported = new Set<string>();

  function recovered(): void {
    confirmed = true;
    if (outage === undefined) return;
    logger.info({ previous: outage }, 'legacy database reachable again');
    outage = undefined;
  }

  function reportConfig(err: LegacyConfigError, code?: string): void {
    if (reported.has(`config:${err.key}`)) return;
    reported.add(`config:${err.key}`);
    logger.error({ errorCode: code ?? err.code, key: err.key }, err.message);
  }

  /** Logs a failure once per outage (unavailable) or once per process (configuration). */
  function fail(op: string, err: unknown, lookup: boolean): undefined {
    if (err instanceof BridgeError) throw err;
    const c = classifyLegacyError(err, errorContext);
    if (c.kind === 'incomparable' && lookup) {
      if (!reported.has(c.code)) {
        reported.add(c.code);
        logger.warn(
          { errorCode: c.code, op },
          'legacy lookup value not comparable with the column; treated as no such user',
        );
      }
      return undefined;
    }
    if (c.kind === 'config' && !confirmed) {
      reportConfig(c.error, c.code);
      throw c.error;
    }
    const code = c.code;
    if (c.kind === 'config') {
      if (outage !== code) {
        outage = code;
        logger.error(
          { errorCode: code, op, key: c.error.key, missing: c.error.details },
          `legacy database no longer fits the configuration: ${c.error.message} Or restore the table and its grants as they were.`,
        );
      }
      throw new LegacyUnavailableError(
        `The legacy user database no longer has what the configuration names (${code}).`,
        'legacy_schema_missing',
      );
    }
    if (outage !== code) {
      outage = code;
      logger.error({ errorCode: code, op }, 'legacy database unavailable');
    } else {
      logger.debug({ errorCode: code, op }, 'legacy database still unavailable');
    }
    throw c.kind === 'unavailable'
      ? c.error
      : new LegacyUnavailableError(`The legacy user database is unavailable (${code}).`);
  }

  function check(info: TableInfo): void {
    if (info.size === 0) throw missingTable(table);
    for (const column of keys.keys()) {
      if (info.has(column)) continue;
      const other =
        family === 'mysql'
          ? [...info.keys()].find((n) => n.toLowerCase() === column.toLowerCase())
          : undefined;
      if (other) {
        const key = keys.get(column)?.[0] ?? 'legacy';
        throw new LegacyConfigError(
          key,
          `Table ${table} spells column ${column} as ${other}. Fix: set ${key} to ${other}.`,
          {
            table,
            column,
          },
        );
      }
      throw missingColumn(errorContext, column);
    }
  }

  async function buildPlan(): Promise<Plan> {
    let info: TableInfo | undefined;
    if (deps.probeSchema !== false) {
      try {
        info = tableInfoFrom(await queries.columns());
      } catch (err) {
        const c = classifyLegacyError(err, errorContext);
        if (c.kind === 'unavailable') fail('schema', err, false);
        // A catalog the user may not read is no reason to refuse logins: go without facts.
        logger.debug({ errorCode: c.code }, 'legacy schema probe failed; using the configuration as given');
        info = undefined;
      }
      if (info) {
        check(info);
        confirmed = true;
      }
      if (info?.get(idColumn)?.kind === 'integer') idIsNumeric = true;
    }
    const filter: Record<string, FilterValue> = {};
    for (const [column, value] of Object.entries(config.where ?? {})) {
      filter[column] = filterValueFor(column, value, info, family);
    }
    return { info, filter };
  }

  async function getPlan(): Promise<Plan> {
    plan ??= buildPlan();
    const current = plan;
    try {
      return await current;
    } catch (err) {
      // A configuration error stays (the config will not change under us); an outage is retried.
      if (err instanceof LegacyConfigError) reportConfig(err);
      else if (plan === current) plan = undefined;
      throw err;
    }
  }

  function toLegacyRow(raw: Row): LegacyRow {
    const required: Array<[string, string]> = [
      [idColumn, 'legacy.columns.id'],
      [config.columns.password, 'legacy.columns.password'],
    ];
    if (config.columns.salt) required.push([config.columns.salt, 'legacy.columns.salt']);
    if (config.columns.scheme) required.push([config.columns.scheme, 'legacy.columns.scheme']);
    for (const [claim, column] of Object.entries(config.claims))
      required.push([column, `legacy.claims.${claim}`]);
    for (const [column, key] of required) {
      if (!Object.hasOwn(raw, column)) {
        throw new LegacyRowError(
          `The legacy row has no column ${column}; it is configured in ${key}. Fix: set ${key} to a column of table ${table}.`,
          { column, key, table },
        );
      }
    }
    const id = raw[idColumn];
    if (isNumericValue(id)) idIsNumeric = true;
    return {
      id: valueAsText(id) ?? '',
      password: valueAsText(raw[config.columns.password]),
      salt: config.columns.salt ? (valueAsText(raw[config.columns.salt]) ?? undefined) : undefined,
      ...(config.columns.totp_secret ? { totpSecret: totpSecretOf(raw) } : {}),
      scheme: config.columns.scheme ? (valueAsText(raw[config.columns.scheme]) ?? undefined) : undefined,
      row: raw,
    };
  }

  function totpSecretOf(raw: Row): string | Buffer | undefined {
    const confirmed = config.columns.totp_confirmed_at;
    if (confirmed && (raw[confirmed] === null || raw[confirmed] === undefined)) return undefined;
    const value = raw[config.columns.totp_secret!];
    return typeof value === 'string' || Buffer.isBuffer(value) ? value : undefined;
  }

  /** A page's afterId bound with the id column's type: MySQL compares '100' > '99' as text. */
  function idBinding(afterId: string | number): string | number | bigint {
    if (typeof afterId === 'number' || !idIsNumeric) return afterId;
    if (!/^-?\d+$/.test(afterId)) {
      throw new TypeError(
        'page(): afterId must be an id returned by a previous page (the id column is numeric).',
      );
    }
    const n = Number(afterId);
    return Number.isSafeInteger(n) ? n : BigInt(afterId);
  }

  const source: LegacySource = {
    dialect,
    queryCount: 0,

    async findByIdentifier(identifier) {
      if (!isLookupValue(identifier)) return undefined;
      const { info, filter } = await getPlan();
      const match: MatchColumn[] = [];
      for (const column of config.identifiers) {
        const col = info?.get(column);
        if (!valueFits(identifier, col)) continue;
        match.push({
          column,
          comparison: caseInsensitive.has(column)
            ? caseInsensitiveComparison(family, col)
            : col && col.kind !== 'text' && col.kind !== 'other'
              ? 'plain'
              : 'exact',
        });
      }
      if (match.length === 0) return undefined;
      source.queryCount++;
      let raw: Row | undefined;
      try {
        raw = await queries.findFirst(identifier, match, filter);
      } catch (err) {
        return fail('findByIdentifier', err, true);
      }
      recovered();
      return raw ? toLegacyRow(raw) : undefined;
    },

    async findById(id) {
      if (!isLookupValue(id)) return undefined;
      const { info, filter } = await getPlan();
      if (!valueFits(id, info?.get(idColumn))) return undefined;
      source.queryCount++;
      let raw: Row | undefined;
      try {
        raw = await queries.findById(id, filter);
      } catch (err) {
        return fail('findById', err, true);
      }
      recovered();
      return raw ? toLegacyRow(raw) : undefined;
    },

    async page(afterId, limit) {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
        throw new RangeError(`page(): limit must be an integer from 1 to ${MAX_PAGE}.`);
      }
      const { filter } = await getPlan();
      const after = afterId === undefined ? undefined : idBinding(afterId);
      source.queryCount++;
      let rows: Row[];
      try {
        rows = await queries.page(after, limit, filter);
      } catch (err) {
        fail('page', err, false);
        return [];
      }
      recovered();
      return rows.map(toLegacyRow);
    },

    async count() {
      const { filter } = await getPlan();
      source.queryCount++;
      try {
        const n = await queries.count(filter);
        recovered();
        return n;
      } catch (err) {
        fail('count', err, false);
        return 0;
      }
    },

    async countActiveSince(days) {
      const column = config.columns.last_login;
      if (!column) return undefined;
      if (!Number.isFinite(days) || days < 0)
        throw new RangeError('countActiveSince(): days must be a number ≥ 0.');
      const { info, filter } = await getPlan();
      const since = new Date(Date.now() - days * 86_400_000);
      // Many legacy tables keep last login as Unix seconds in an INT column.
      const kind = info?.get(column)?.kind;
      const value = kind === 'integer' || kind === 'decimal' ? Math.floor(since.getTime() / 1000) : since;
      source.queryCount++;
      try {
        const n = await queries.count(filter, { column, value });
        recovered();
        return n;
      } catch (err) {
        fail('countActiveSince', err, false);
        return 0;
      }
    },

    async checkSchema() {
      await getPlan();
    },

    describeMapping(row) {
      return describeMapping(row.row, config);
    },

    mapClaims(row) {
      return mapClaims(row.row, config.claims, { exclude: secretColumns });
    },

    async ping() {
      try {
        await queries.ping();
      } catch (err) {
        fail('ping', err, false);
      }
      recovered();
    },

    async close() {
      if (ownsDb) await db.destroy();
    },
  };
  return source;
}
