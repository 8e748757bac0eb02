// Every SQL statement the bridge sends to the legacy database, and nothing else. All of them
// read; values are always bound parameters and column names knex identifiers from validated
// config. Each statement carries the query timeout, cancelled server-side where supported.
import type { Knex } from 'knex';
import type { RawColumn } from './table-info.ts';

export type SqlFamily = 'mysql' | 'postgres';

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
  table: string;
  idColumn: string;
  timeoutMs: number;
  /** Cancel a timed-out statement on the server (not possible on the embedded PGlite). */
  cancel: boolean;
}

export type Row = Record<string, unknown>;

export function createLegacyQueries(db: Knex, opts: LegacyQueriesOptions) {
  const { family, table, idColumn } = opts;
  const timeout = { cancel: opts.cancel };

  function filtered(filter: Record<string, FilterValue>): Knex.QueryBuilder {
    const qb = db(table);
    for (const [column, value] of Object.entries(filter)) {
      if (value === null) qb.whereNull(column);
      else qb.where(column, value);
    }
    return qb;
  }

  // The same value compared byte for byte: among rows that match a column case-insensitively,
  // the one spelled exactly as typed wins (PostgreSQL allows Bob@x and bob@x side by side).
  const exactSql = family === 'mysql' ? 'cast(?? as binary) = cast(? as binary)' : 'cast(?? as text) = ?';

  /** The comparison's SQL and its bindings for one column and the typed value. */
  function matchSql(m: MatchColumn, value: string): [string, Knex.RawBinding[]] {
    if (m.comparison === 'lower') return ['lower(??) = lower(?)', [m.column, value]];
    if (m.comparison === 'exact') return [`(?? = ? and ${exactSql})`, [m.column, value, m.column, value]];
    return ['?? = ?', [m.column, value]];
  }

  return {
    /** The table's columns from the catalog; empty when the table does not exist or is not visible. */
    async columns(): Promise<RawColumn[]> {
      if (family === 'mysql') {
        const [rows] = (await db
          .raw(
            `select column_name as name, data_type as type, collation_name as collation, character_set_name as charset
               from information_schema.columns
              where table_schema = database() and table_name = ?
              order by ordinal_position`,
            [table],
          )
          .timeout(opts.timeoutMs, timeout)) as [RawColumn[]];
        return rows;
      }
      // to_regclass resolves the name through the search_path exactly as the lookups do.
      const result = (await db
        .raw(
          `select a.attname as name, t.typname as type, c.collname as collation, null as charset
             from pg_attribute a
             join pg_type t on t.oid = a.atttypid
             left join pg_collation c on c.oid = a.attcollation
            where a.attrelid = to_regclass(quote_ident(?)) and a.attnum > 0 and not a.attisdropped
            order by a.attnum`,
          [table],
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

    async count(
      filter: Record<string, FilterValue>,
      since?: { column: string; value: Date | number },
    ): Promise<number> {
      const qb = filtered(filter);
      if (since) qb.where(since.column, '>=', since.value);
      const rows = (await qb.count({ n: '*' }).timeout(opts.timeoutMs, timeout)) as Array<{ n: unknown }>;
      return Number(rows[0]?.n ?? 0);
    },

    /** Reads no row, but needs the table and the grant to read it, as every login does. */
    async ping(): Promise<void> {
      await db(table).select(db.raw('1')).whereRaw('1 = 0').timeout(opts.timeoutMs, timeout);
    },
  };
}

export type LegacyQueries = ReturnType<typeof createLegacyQueries>;
