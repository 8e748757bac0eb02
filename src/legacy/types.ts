// The contract of a legacy user store, whatever holds it: a SQL table or query (sql/), the
// legacy application's own HTTP check (http/) or an LDAP directory (ldap/). Login, the bulk
// import, `legacy check`, the coexistence checks and the console ask only this. A source
// either hands back the stored hash for the bridge to verify, or verifies the password itself.

/** One legacy user, its values converted once at the source (see row-values.ts). */
export interface LegacyRow {
  /** The legacy id as text (numbers and bigints stringified exactly). */
  id: string;
  /**
   * The stored hash for the bridge to verify; binary columns become text. null when the row
   * holds none, and always for a source that verifies passwords itself (see `verify`).
   */
  password: string | null;
  /** The salt, when stored apart and not NULL. */
  salt: string | undefined;
  /**
   * The TOTP secret as the store holds it (maybe encrypted), when one is configured and
   * counts (confirmed, where that is configured). A secret: never log it.
   */
  totpSecret?: string | Buffer | undefined;
  /** The row's own hash algorithm name, when the store keeps one (Gitea's passwd_hash_algo). */
  scheme?: string | undefined;
  /** The login names this user is known by (username, e-mail), for the bridge's own lookups. */
  identifiers: string[];
  /**
   * Every value of the row, JSON-safe and converted once: timestamps as ISO strings, 0/1 and
   * BIT(1) flags as numbers, bigints as exact strings, binary as text, NULL as null; and the
   * computed legacy.fields. What claims, the outbox snapshot and the target read. Holds the
   * hash: never log it.
   */
  row: Record<string, unknown>;
}

/** One line of `legacy check`: a configured mapping, the column it reads and what was found. */
export interface MappingLine {
  /** The config key that sets this mapping, e.g. legacy.claims.email. */
  key: string;
  /** What the column feeds: "id", "password hash", "salt", "identifier", "claim email", "field". */
  role: string;
  column: string;
  /** False when the row has no such column. */
  present: boolean;
  /** A printable rendering; the hash and the salt only as length and shape, never the value. */
  value: string;
}

/** Whether the password was right; `scheme` names how it was checked, for audit and metrics. */
export interface SourceVerdict {
  match: boolean;
  scheme: string;
  /** The user as the store describes them once the password proved (a single POST answers the profile only then). */
  row?: LegacyRow | undefined;
}

export interface LegacySource {
  /** `legacy.kind`: sql, http or ldap. */
  readonly kind: string;
  /** A human name for messages: "table be_users", "https://shop.example/users". */
  readonly label: string;
  /** First configured identifier that matches wins; undefined when no user passes. */
  findByIdentifier(identifier: string): Promise<LegacyRow | undefined>;
  /** undefined when no user has that id, or passes the filter. */
  findById(id: string): Promise<LegacyRow | undefined>;
  /**
   * false where the store cannot look a user up by id (the http single POST answers only with
   * the password; the user-migration GET takes a login name, so only an id_field of username
   * works): findById's undefined then says nothing, and the coexistence sweep checks nobody
   * rather than take everyone for gone. Default true.
   */
  readonly findsById?: boolean;
  /**
   * Keyset page in id order, for the bulk import: users with an id greater than afterId, at
   * most limit of them (ldap: RFC 2696 paged results, ids in code-unit order). Throws
   * LegacyNotSupportedError (saying what to do) where the store cannot list its users.
   */
  page(afterId: string | number | undefined, limit: number): Promise<LegacyRow[]>;
  /** Users that pass the filter; throws LegacyNotSupportedError where they cannot be counted. */
  count(): Promise<number>;
  /** Users whose last login is within the last `days` days; undefined without that fact. */
  countActiveSince(days: number): Promise<number | undefined>;
  /** Checks the configuration against the store; throws legacy_config_invalid naming the key. */
  checkSchema(): Promise<void>;
  /**
   * Present for a source that checks passwords itself (http, ldap) and used for rows whose
   * `password` is null. Throws LegacyUnavailableError when the store cannot answer.
   */
  verify?(row: LegacyRow, password: string): Promise<SourceVerdict>;
  /**
   * With verify: the scheme its verdicts name (ldap-bind, http), which the import files a user
   * under whose hash the store does not give (they need a login, or --without-password).
   */
  readonly verifyScheme?: string;
  /** The configured mappings of one row, for `legacy check`. Never shows the hash or salt. */
  describeMapping(row: LegacyRow): MappingLine[];
  /** The OIDC claims of one row under legacy.claims; never reads the hash or salt. */
  mapClaims(row: LegacyRow): Record<string, unknown>;
  /** Resolves when the store answers; rejects with LegacyUnavailableError. */
  ping(): Promise<void>;
  /** Closes connections the source opened. */
  close(): Promise<void>;
}
