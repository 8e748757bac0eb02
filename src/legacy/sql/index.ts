// The sql kind: looks a login name up in the customer's user table (or the rows of their
// SELECT), pages through it for the bulk import, and counts it for the cut-over figure.
// Read-only. Failures become LegacyUnavailableError (503, logged once per outage with the
// driver code only) or legacy_config_invalid (naming the key to fix); neither ever carries
// a login name or a hash.
import type { LegacyConfig } from '../../config/schema.ts';
import { BridgeError, LegacyRowError, LegacyUnavailableError } from '../../errors.ts';
import { silentLogger } from '../../logger.ts';
import { applyFields, checkFields } from '../fields.ts';
import { caseInsensitiveColumns } from '../identifier-case.ts';
import { isLookupValue } from '../lookup-value.ts';
import { commonEntries, describeMapping, type MappingEntry, mapClaims } from '../mapping.ts';
import { isNumericValue, normalizeRow, valueAsText } from '../row-values.ts';
import type { LegacySourceDeps } from '../source.ts';
import type { LegacyRow, LegacySource } from '../types.ts';
import { dialectOf, openLegacyConnection } from './connection.ts';
import {
  classifyLegacyError,
  type ErrorContext,
  LegacyConfigError,
  missingColumn,
  missingTable,
} from './errors.ts';
import { createLegacyQueries, type FilterValue, type MatchColumn, type Row } from './queries.ts';
import { checkReadOnlyQuery, withoutTrailingSemicolon } from './query-check.ts';
import { caseInsensitiveComparison, type TableInfo, tableInfoFrom, valueFits } from './table-info.ts';

const MAX_PAGE = 10_000;
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
  const fields = new Set(Object.keys(config.fields));
  for (const [claim, column] of Object.entries(config.claims))
    if (!fields.has(column)) add(column, `legacy.claims.${claim}`);
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
  family: 'mysql' | 'postgres' | 'sqlite',
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

/** The lines `legacy check` shows for a SQL row: id, hash, salt, identifiers, claims, fields, filter. */
export function sqlMappingEntries(config: LegacyConfig): MappingEntry[] {
  return [
    ['legacy.columns.id', 'id', config.columns.id],
    ['legacy.columns.password', 'password hash', config.columns.password],
    ...(config.columns.salt ? [['legacy.columns.salt', 'salt', config.columns.salt] as MappingEntry] : []),
    ...(config.columns.last_login
      ? [['legacy.columns.last_login', 'last login', config.columns.last_login] as MappingEntry]
      : []),
    ...(config.columns.totp_secret
      ? [['legacy.columns.totp_secret', 'TOTP secret', config.columns.totp_secret] as MappingEntry]
      : []),
    ...config.identifiers.map((c, i): MappingEntry => [`legacy.identifiers[${i}]`, 'identifier', c]),
    ...commonEntries(config.claims, config.fields),
    ...Object.keys(config.where ?? {}).map((c): MappingEntry => [`legacy.where.${c}`, 'login filter', c]),
  ];
}

/** The columns that hold secrets: shown by shape only, never a claim. */
export function sqlSecretColumns(config: LegacyConfig): string[] {
  return [
    config.columns.password,
    ...(config.columns.salt ? [config.columns.salt] : []),
    ...(config.columns.totp_secret ? [config.columns.totp_secret] : []),
  ];
}

export function createSqlSource(config: LegacyConfig, deps: LegacySourceDeps = {}): LegacySource {
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
  const family = dialect === 'mysql' ? 'mysql' : dialect === 'sqlite' ? 'sqlite' : 'postgres';
  if (config.query !== undefined) checkReadOnlyQuery(config.query, 'legacy.query', 0);
  const queryFields = Object.entries(config.fields).filter(([, t]) => t.query !== undefined);
  for (const [name, t] of queryFields) checkReadOnlyQuery(t.query!, `legacy.fields.${name}.query`, 1);
  // What messages call the rows' origin.
  const table = config.table ?? 'legacy.query';
  const label = config.table ?? 'the rows of legacy.query';
  const idColumn = config.columns.id;
  const queries = createLegacyQueries(db, {
    family,
    from: config.query !== undefined ? { query: withoutTrailingSemicolon(config.query) } : { table },
    idColumn,
    timeoutMs: config.query_timeout_ms,
    cancel: dialect !== 'pglite' && dialect !== 'sqlite',
  });
  const keys = columnKeys(config);
  const errorContext: ErrorContext = { table, keysForColumn: (c) => keys.get(c) ?? [] };
  // One case rule per identifier column, the same as the bridge's own login names follow.
  const caseInsensitive = caseInsensitiveColumns(config);
  const secretColumns = sqlSecretColumns(config);
  // What can be checked without the database, at once; the columns a field reads, at the probe.
  checkFields(config.fields, undefined, true, secretColumns);

  interface Plan {
    info: TableInfo | undefined;
    filter: Record<string, FilterValue>;
  }
  let plan: Promise<Plan> | undefined;
  let bitColumns = new Set<string>();
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
    if (info.size === 0) {
      if (config.query === undefined) throw missingTable(table);
      throw new LegacyConfigError(
        'legacy.query',
        'legacy.query returns no columns. Fix: SELECT the columns the bridge reads.',
      );
    }
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
      if (config.query !== undefined) {
        const key = keys.get(column)?.[0] ?? 'legacy';
        throw new LegacyConfigError(
          key,
          `legacy.query has no output column ${column}; it is configured in ${keys.get(column)?.join(', ')}. Fix: select it in legacy.query (with AS ${column}), or set ${key} to one of: ${[...info.keys()].join(', ')}.`,
          { column },
        );
      }
      throw missingColumn(errorContext, column);
    }
    checkFields(config.fields, new Set(info.keys()), true, secretColumns);
  }

  async function buildPlan(): Promise<Plan> {
    let info: TableInfo | undefined;
    if (deps.probeSchema !== false) {
      try {
        info = tableInfoFrom(await queries.columns());
      } catch (err) {
        const c = classifyLegacyError(err, errorContext);
        if (c.kind === 'unavailable') fail('schema', err, false);
        // The probe of a query runs the query itself: what it cannot run, no login can.
        if (c.kind === 'config' && config.query !== undefined) throw c.error;
        // A catalog the user may not read is no reason to refuse logins: go without facts.
        logger.debug({ errorCode: c.code }, 'legacy schema probe failed; using the configuration as given');
        info = undefined;
      }
      if (info) {
        check(info);
        confirmed = true;
      } else checkFields(config.fields, undefined, true, secretColumns);
      if (info?.get(idColumn)?.kind === 'integer') idIsNumeric = true;
      bitColumns = new Set([...(info?.values() ?? [])].filter((c) => c.type === 'bit').map((c) => c.name));
    } else {
      checkFields(config.fields, undefined, true, secretColumns);
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

  const fieldNames = new Set(Object.keys(config.fields));

  async function toLegacyRow(raw: Row): Promise<LegacyRow> {
    const required: Array<[string, string]> = [
      [idColumn, 'legacy.columns.id'],
      [config.columns.password, 'legacy.columns.password'],
    ];
    if (config.columns.salt) required.push([config.columns.salt, 'legacy.columns.salt']);
    if (config.columns.scheme) required.push([config.columns.scheme, 'legacy.columns.scheme']);
    for (const [claim, column] of Object.entries(config.claims))
      if (!fieldNames.has(column)) required.push([column, `legacy.claims.${claim}`]);
    for (const [column, key] of required) {
      if (!Object.hasOwn(raw, column)) {
        throw new LegacyRowError(
          `The legacy row has no column ${column}; it is configured in ${key}. Fix: set ${key} to a column of ${config.table ? `table ${config.table}` : 'legacy.query'}.`,
          { column, key, table },
        );
      }
    }
    const id = raw[idColumn];
    if (isNumericValue(id)) idIsNumeric = true;
    const lists: Record<string, unknown> = {};
    for (const [name, t] of queryFields) {
      try {
        lists[name] = await queries.list(t.query!, id as string | number | bigint);
      } catch (err) {
        fail(`fields.${name}`, err, false);
      }
    }
    const row = applyFields(normalizeRow(raw, bitColumns), config.fields, lists);
    return {
      id: valueAsText(id) ?? '',
      password: valueAsText(raw[config.columns.password]),
      salt: config.columns.salt ? (valueAsText(raw[config.columns.salt]) ?? undefined) : undefined,
      ...(config.columns.totp_secret ? { totpSecret: totpSecretOf(raw) } : {}),
      scheme: config.columns.scheme ? (valueAsText(raw[config.columns.scheme]) ?? undefined) : undefined,
      identifiers: config.identifiers
        .map((c) => row[c])
        .filter((v): v is string | number => typeof v === 'string' || typeof v === 'number')
        .map(String),
      row,
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

  const mappingEntries = sqlMappingEntries(config);

  const source: LegacySource = {
    kind: 'sql',
    label,

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
      let raw: Row | undefined;
      try {
        raw = await queries.findFirst(identifier, match, filter);
      } catch (err) {
        return fail('findByIdentifier', err, true);
      }
      recovered();
      return raw ? await toLegacyRow(raw) : undefined;
    },

    async findById(id) {
      if (!isLookupValue(id)) return undefined;
      const { info, filter } = await getPlan();
      if (!valueFits(id, info?.get(idColumn))) return undefined;
      let raw: Row | undefined;
      try {
        raw = await queries.findById(id, filter);
      } catch (err) {
        return fail('findById', err, true);
      }
      recovered();
      return raw ? await toLegacyRow(raw) : undefined;
    },

    async page(afterId, limit) {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
        throw new RangeError(`page(): limit must be an integer from 1 to ${MAX_PAGE}.`);
      }
      const { filter } = await getPlan();
      const after = afterId === undefined ? undefined : idBinding(afterId);
      let rows: Row[];
      try {
        rows = await queries.page(after, limit, filter);
      } catch (err) {
        fail('page', err, false);
        return [];
      }
      recovered();
      const out: LegacyRow[] = [];
      for (const r of rows) out.push(await toLegacyRow(r));
      return out;
    },

    async count() {
      const { filter } = await getPlan();
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
      return describeMapping(row.row, mappingEntries, secretColumns);
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
