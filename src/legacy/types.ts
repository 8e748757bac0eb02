// The contract of the legacy user source: what the login path, the bulk import and the CLI
// may ask of the customer's user table. Everything behind it is read-only and parameterised;
// see source.ts for the implementation and queries.ts for the SQL.

/** One legacy user, as the table holds it. */
export interface LegacyRow {
  /** The id column's value as text (numbers and bigints stringified). */
  id: string;
  /** The stored hash exactly as the row holds it; binary columns become text (see row-values.ts). */
  password: string | null;
  /** The salt column's value when `legacy.columns.salt` is set and the value is not NULL. */
  salt: string | undefined;
  /**
   * The TOTP secret column's value as the row holds it (maybe encrypted), when
   * `legacy.columns.totp_secret` is set and the secret counts (confirmed, where
   * `legacy.columns.totp_confirmed_at` is set). A secret: never log it.
   */
  totpSecret?: string | Buffer | undefined;
  /** The scheme column's value when `legacy.columns.scheme` is set (Gitea's passwd_hash_algo). */
  scheme?: string | undefined;
  /** Every column of the row, raw as the driver returned it. Holds the hash: never log it. */
  row: Record<string, unknown>;
}

/** One line of `legacy check`: a configured mapping, the column it reads and what was found. */
export interface MappingLine {
  /** The config key that sets this mapping, e.g. legacy.claims.email. */
  key: string;
  /** What the column feeds: "id", "password hash", "salt", "identifier", "claim email", "last login". */
  role: string;
  column: string;
  /** False when the row has no such column. */
  present: boolean;
  /** A printable rendering; the hash and the salt only as length and shape, never the value. */
  value: string;
}

export type LegacyDialect = 'mysql' | 'postgres' | 'pglite';

export interface LegacySource {
  readonly dialect: LegacyDialect;
  /**
   * Data queries sent to the legacy database (lookups, pages, counts), for tests that count
   * legacy round trips. The one-time schema probe and ping() are not counted.
   */
  queryCount: number;
  /** First configured identifier column that matches wins; undefined when no row passes. */
  findByIdentifier(identifier: string): Promise<LegacyRow | undefined>;
  findById(id: string): Promise<LegacyRow | undefined>;
  /** Keyset page in id order: rows with an id greater than afterId, at most limit of them. */
  page(afterId: string | number | undefined, limit: number): Promise<LegacyRow[]>;
  /** Rows that pass the where filter. */
  count(): Promise<number>;
  /** Rows whose last-login column is within the last `days` days; undefined without that column. */
  countActiveSince(days: number): Promise<number | undefined>;
  /** Checks the configured table and columns against the database; throws legacy_config_invalid. */
  checkSchema(): Promise<void>;
  /** The configured mappings of one row, for `legacy check`. Never shows the hash or salt. */
  describeMapping(row: LegacyRow): MappingLine[];
  /** The OIDC claims of one row under legacy.claims; never reads the hash or salt column. */
  mapClaims(row: LegacyRow): Record<string, unknown>;
  /** Resolves when the legacy database answers; rejects with LegacyUnavailableError. */
  ping(): Promise<void>;
  /** Closes the pool, unless the knex instance was passed in (its owner closes it). */
  close(): Promise<void>;
}
