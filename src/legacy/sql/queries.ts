// Every SQL statement the bridge sends to the legacy database, and nothing else. All of them
// read; values are always bound parameters and column names knex identifiers from validated
// config. Each statement carries the query timeout, cancelled server-side where supported.
import type { Knex } from 'knex';
import type { RawColumn } from './table-info.ts';

export type SqlFamily = 'mysql' | 'postgres' | 'sqlite';

/** Where the rows come from: a (maybe schema-qualified) table, or the operator's SELECT. */
export type RowSource = { table: string } | { query: string };

/** One identifier column of a lookup, and how it is compared. */
export interface MatchColumn {
  column: string;
  /**
   * plain: the column's own comparison (its collation); lower: without regard to case;
   * exact: case included whatever the collation (a _ci column on MariaDB), still by the index.
   */
  comparison: 'plain' | 'lower' | 'exact';
}

/** A where filter value as bound: null means IS NULL. */
export type FilterValue = string | number | boolean | null;

export interface LegacyQueriesOptions {
  family: SqlFamily;
  from: RowSource;
  idColumn: string;
  timeoutMs: number;
  /** Cancel a timed-out statement on the server (not possible on the embedded PGlite). */
  cancel: boolean;
}

export type Row = Record<string, unknown>;

export function createLegacyQueries(db: Knex, opts: LegacyQueriesOptions) {
  const { family, from, idColumn } = opts;
  const timeout = { cancel: opts.cancel };
  // The operator's SELECT as a derived table: the bridge's WHERE, ORDER BY and LIMIT go
  // around it, every value bound. Checked at start (query-check.ts): one read-only statement.
  const rows = (): Knex.QueryBuilder =>
    'table' in from ? db(from.table) : db.from(db.raw(`(${from.query}\n) as legacy_rows`));

  function filtered(filter: Record<string, FilterValue>): Knex.QueryBuilder {
    const qb = rows();
    for (const [column, value] of Object.entries(filter)) {
      if (value === null) qb.whereNull(column);
      else qb.where(column, value);
    }
    return qb;
  }

  // The same value compared byte for byte: among rows that match a column case-insensitively,
  // the one spelled exactly as typed wins (PostgreSQL allows Bob@x and bob@x side by side).
  const exactSql =
    family === 'mysql'
      ? 'cast(?? as binary) = cast(? as binary)'
      : family === 'sqlite'
        ? '?? = ?'
        : 'cast(?? as text) = ?';

  /** The comparison's SQL and its bindings for one column and the typed value. */
  function matchSql(m: MatchColumn, value: string): [string, Knex.RawBinding[]] {
    if (m.comparison === 'lower') return ['lower(??) = lower(?)', [m.column, value]];
    if (m.comparison === 'exact') return [`(?? = ? and ${exactSql})`, [m.column, value, m.column, value]];
    return ['?? = ?', [m.column, value]];
  }

  return {
    /** The columns rows will have, with their types; empty when the table does not exist or is not visible. */
    async columns(): Promise<RawColumn[]> {
      if ('query' in from) return queryColumns(db, family, from.query, opts.timeoutMs, timeout);
      const dot = from.table.indexOf('.');
      const schema = dot < 0 ? null : from.table.slice(0, dot);
      const name = dot < 0 ? from.table : from.table.slice(dot + 1);
      if (family === 'mysql') {
        const [found] = (await db
          .raw(
            `select column_name as name, data_type as type, collation_name as collation, character_set_name as charset
               from information_schema.columns
              where table_schema = coalesce(?, database()) and table_name = ?
              order by ordinal_position`,
            [schema, name],
          )
          .timeout(opts.timeoutMs, timeout)) as [RawColumn[]];
        return found;
      }
      if (family === 'sqlite') {
        const found = (await db
          .raw(
            `select name, lower(type) as type, null as collation, null as charset from pragma_table_info(?${schema ? ', ?' : ''})`,
            schema ? [name, schema] : [name],
          )
          .timeout(opts.timeoutMs, timeout)) as RawColumn[];
        return found.map((c) => ({ ...c, type: c.type.replace(/\(.*$/, '') || 'text' }));
      }
      // to_regclass resolves the name through the search_path exactly as the lookups do.
      const qualified = schema ? `"${schema}"."${name}"` : `"${name}"`;
      const result = (await db
        .raw(
          `select a.attname as name, t.typname as type, c.collname as collation, null as charset
             from pg_attribute a
             join pg_type t on t.oid = a.atttypid
             left join pg_collation c on c.oid = a.attcollation
            where a.attrelid = to_regclass(?) and a.attnum > 0 and not a.attisdropped
            order by a.attnum`,
          [qualified],
        )
        .timeout(opts.timeoutMs, timeout)) as { rows: RawColumn[] };
      return result.rows;
    },

    /**
     * The first row whose earliest listed column matches. One statement: the columns are
     * OR-ed, and the ORDER BY ranks a match in an earlier column (exact spelling first) higher.
     */
    async findFirst(
      value: string,
      match: MatchColumn[],
      filter: Record<string, FilterValue>,
    ): Promise<Row | undefined> {
      const qb = filtered(filter).select('*');
      qb.where((w) => {
        for (const m of match) w.orWhereRaw(...matchSql(m, value));
      });
      const ranks: string[] = [];
      const bindings: unknown[] = [];
      match.forEach((m, i) => {
        const [sql, args] = matchSql(m, value);
        ranks.push(`when ${exactSql} then ${2 * i}`, `when ${sql} then ${2 * i + 1}`);
        bindings.push(m.column, value, ...args);
      });
      const rows = (await qb
        .orderByRaw(`case ${ranks.join(' ')} else ${2 * match.length} end`, bindings as Knex.RawBinding[])
        .orderBy(idColumn)
        .limit(1)
        .timeout(opts.timeoutMs, timeout)) as Row[];
      return rows[0];
    },

    async findById(
      id: string | number | bigint,
      filter: Record<string, FilterValue>,
    ): Promise<Row | undefined> {
      const rows = (await filtered(filter)
        .select('*')
        .where(idColumn, id as Knex.Value)
        .limit(1)
        .timeout(opts.timeoutMs, timeout)) as Row[];
      return rows[0];
    },

    /** Keyset pagination: never OFFSET, which rescans every skipped row on each page. */
    async page(
      afterId: string | number | bigint | undefined,
      limit: number,
      filter: Record<string, FilterValue>,
    ): Promise<Row[]> {
      const qb = filtered(filter).select('*');
      if (afterId !== undefined) qb.where(idColumn, '>', afterId as Knex.Value);
      return (await qb.orderBy(idColumn).limit(limit).timeout(opts.timeoutMs, timeout)) as Row[];
    },

    /** The values of a `query` field for one user: the first column of each row. */
    async list(sql: string, id: string | number | bigint): Promise<unknown[]> {
      const result = (await db.raw(sql, [id as Knex.Value]).timeout(opts.timeoutMs, timeout)) as unknown;
      return rowsOf(family, result).map((r) => Object.values(r)[0]);
    },

    async count(
      filter: Record<string, FilterValue>,
      since?: { column: string; value: Date | number },
    ): Promise<number> {
      const qb = filtered(filter);
      if (since) qb.where(since.column, '>=', since.value);
      const rows = (await qb.count({ n: '*' }).timeout(opts.timeoutMs, timeout)) as Array<{ n: unknown }>;
      return Number(rows[0]?.n ?? 0);
    },

    /** Reads no row, but needs the table (or the query's tables) and the grant to read it, as every login does. */
    async ping(): Promise<void> {
      await rows().select(db.raw('1')).whereRaw('1 = 0').timeout(opts.timeoutMs, timeout);
    },
  };
}

export type LegacyQueries = ReturnType<typeof createLegacyQueries>;

/** The rows of a raw result, whatever the driver's shape. */
function rowsOf(family: SqlFamily, result: unknown): Row[] {
  if (family === 'mysql') return ((result as [Row[]])[0] ?? []) as Row[];
  if (family === 'sqlite') return (result as Row[]) ?? [];
  return ((result as { rows?: Row[] }).rows ?? []) as Row[];
}

// pg type oids and mysql2 column types, for the columns of a query (no catalog row describes them).
const PG_TYPES: Record<number, string> = {
  16: 'bool',
  17: 'bytea',
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'text',
  114: 'json',
  700: 'float4',
  701: 'float8',
  1042: 'bpchar',
  1043: 'varchar',
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamptz',
  1700: 'numeric',
  2950: 'uuid',
  3802: 'jsonb',
};
const MYSQL_TYPES: Record<number, string> = {
  0: 'decimal',
  1: 'tinyint',
  2: 'smallint',
  3: 'int',
  4: 'float',
  5: 'double',
  7: 'timestamp',
  8: 'bigint',
  9: 'mediumint',
  10: 'date',
  12: 'datetime',
  16: 'bit',
  245: 'json',
  246: 'decimal',
  252: 'blob',
  253: 'varchar',
  254: 'char',
};
const MYSQL_BINARY_CHARSET = 63;

/**
 * The output columns of the operator's SELECT, read without fetching a row. MySQL and
 * PostgreSQL describe them with the empty result; SQLite's prepared statement names them.
 */
async function queryColumns(
  db: Knex,
  family: SqlFamily,
  query: string,
  timeoutMs: number,
  timeout: { cancel: boolean },
): Promise<RawColumn[]> {
  const probe = `select * from (${query}\n) as legacy_rows where 1 = 0`;
  if (family === 'sqlite') {
    const conn = (await db.client.acquireConnection()) as {
      prepare(sql: string): { columns(): Array<{ name: string; type: string | null }> };
    };
    try {
      return conn
        .prepare(probe)
        .columns()
        .map((c) => ({
          name: c.name,
          type: (c.type ?? 'other').toLowerCase().replace(/\(.*$/, ''),
          collation: null,
          charset: null,
        }));
    } finally {
      await db.client.releaseConnection(conn);
    }
  }
  const result = (await db.raw(probe).timeout(timeoutMs, timeout)) as unknown;
  if (family === 'mysql') {
    const fields =
      (
        result as [
          unknown,
          Array<{ name: string; columnType?: number; type?: number; characterSet?: number }>,
        ]
      )[1] ?? [];
    return fields.map((f) => {
      const code = f.columnType ?? f.type ?? -1;
      const binary = f.characterSet === MYSQL_BINARY_CHARSET;
      const type = MYSQL_TYPES[code] ?? 'other';
      return {
        name: f.name,
        type: binary && (type === 'varchar' || type === 'char' || type === 'blob') ? 'varbinary' : type,
        collation: null,
        charset: null,
      };
    });
  }
  const fields = (result as { fields?: Array<{ name: string; dataTypeID: number }> }).fields ?? [];
  return fields.map((f) => ({
    name: f.name,
    type: PG_TYPES[f.dataTypeID] ?? 'other',
    collation: null,
    charset: null,
  }));
}
