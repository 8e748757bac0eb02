// What the bridge knows about the legacy table's columns, read once from the catalog: which
// comparison is case-insensitive already, and which lookup values can exist in a column at
// all. MySQL matches '28774abc' against an INT column as 28774, and PostgreSQL rejects 'abc'
// for one, so a value that cannot be a column value is never sent.

export type ColumnKind =
  | 'integer'
  | 'decimal'
  | 'text'
  | 'uuid'
  | 'boolean'
  | 'binary'
  | 'temporal'
  | 'other';

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
  /** Catalog type name: int4, citext, varchar, int… */
  type: string;
  collation: string | null;
  /** MySQL character set of a text column (utf8mb3, latin1…); null elsewhere. */
  charset: string | null;
}

/** Column name → info, as the catalog spells the names. */
export type TableInfo = Map<string, ColumnInfo>;

export interface RawColumn {
  name: string;
  type: string;
  collation: string | null;
  charset: string | null;
}

const KINDS: Array<[RegExp, ColumnKind]> = [
  [
    /^(tinyint|smallint|mediumint|int|integer|bigint|int2|int4|int8|serial|bigserial|smallserial)$/,
    'integer',
  ],
  [/^(decimal|numeric|float|double|real|float4|float8|money)$/, 'decimal'],
  [/^(char|varchar|tinytext|text|mediumtext|longtext|bpchar|citext|name|enum|set|json|jsonb)$/, 'text'],
  [/^uuid$/, 'uuid'],
  [/^(bool|boolean)$/, 'boolean'],
  [/^(binary|varbinary|tinyblob|blob|mediumblob|longblob|bytea|bit)$/, 'binary'],
  [/^(date|datetime|timestamp|timestamptz|time|timetz|year|interval)$/, 'temporal'],
];

export function tableInfoFrom(columns: RawColumn[]): TableInfo {
  const info: TableInfo = new Map();
  for (const c of columns) {
    const type = c.type.toLowerCase();
    const kind = KINDS.find(([re]) => re.test(type))?.[1] ?? 'other';
    info.set(c.name, {
      name: c.name,
      kind,
      type,
      collation: c.collation,
      charset: c.charset?.toLowerCase() ?? null,
    });
  }
  return info;
}

const PG_INT_RANGE: Record<string, bigint> = {
  int2: 32767n,
  int4: 2147483647n,
  int8: 9223372036854775807n,
};

// MySQL's latin1 is Windows-1252: Latin-1 plus these characters in 0x80–0x9F.
const CP1252_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

function fitsCharset(value: string, charset: string | null): boolean {
  if (!charset) return true;
  if (charset === 'utf8mb3' || charset === 'utf8' || charset === 'ucs2') {
    // Characters outside the Basic Multilingual Plane (emoji) need 4 bytes.
    for (const ch of value) if (ch.codePointAt(0)! > 0xffff) return false;
    return true;
  }
  if (charset === 'latin1') {
    for (const ch of value) if (ch.codePointAt(0)! > 0xff && !CP1252_EXTRA.has(ch)) return false;
    return true;
  }
  if (charset === 'ascii') return /^[\x20-\x7e]*$/.test(value);
  return true;
}

const UUID_TEXT = /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;

/**
 * Whether `value` (a login name or an id) can equal a value of this column. Unknown columns
 * and types answer true: the database decides, and a type error then means "no such user".
 */
export function valueFits(value: string, column: ColumnInfo | undefined): boolean {
  if (!column) return true;
  switch (column.kind) {
    case 'integer': {
      if (!/^-?\d{1,20}$/.test(value)) return false;
      const max = PG_INT_RANGE[column.type];
      if (max === undefined) return true;
      const n = BigInt(value);
      return n <= max && n >= -max - 1n;
    }
    case 'decimal':
      return /^-?\d{1,65}(\.\d{1,30})?$/.test(value);
    case 'uuid':
      return UUID_TEXT.test(value);
    case 'boolean':
    case 'temporal':
      return false;
    case 'text':
      return fitsCharset(value, column.charset);
    default:
      return true;
  }
}

/**
 * How a case-insensitive column is compared. A `_ci` collation (MySQL) or citext (PostgreSQL)
 * already ignores case, and plain `=` keeps the index; otherwise lower() on both sides.
 */
export function caseInsensitiveComparison(
  family: 'mysql' | 'postgres' | 'sqlite',
  column: ColumnInfo | undefined,
): 'plain' | 'lower' {
  // Case means nothing to numbers, uuids or bytes, and PostgreSQL has no lower(integer).
  if (column && column.kind !== 'text' && column.kind !== 'other') return 'plain';
  if (family === 'mysql') {
    // Without catalog facts, assume MySQL's default: text columns are _ci unless declared otherwise.
    return !column?.collation || /_ci$/i.test(column.collation) ? 'plain' : 'lower';
  }
  // SQLite compares text byte for byte unless a column says COLLATE NOCASE.
  if (family === 'sqlite') return 'lower';
  return column?.type === 'citext' ? 'plain' : 'lower';
}
