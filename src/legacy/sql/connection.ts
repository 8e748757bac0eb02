// Opens the knex pool toward the legacy database from `legacy.connection`: mysql:/mariadb:
// (mysql2), postgres:/postgresql: (pg), pglite: (embedded) or sqlite: (better-sqlite3, the
// file opened read-only). Sessions are read-only, read wall-clock times as UTC, and give up
// connecting within the query timeout.
import type { Knex } from 'knex';
import knexPkg from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';
import type { LegacyConfig } from '../../config/schema.ts';
import { knexLog, type Logger } from '../../logger.ts';
import { LegacyConfigError } from '../errors.ts';

export type LegacyDialect = 'mysql' | 'postgres' | 'pglite' | 'sqlite';

const { knex } = knexPkg;

export interface LegacyConnection {
  db: Knex;
  dialect: LegacyDialect;
}

function connectionError(problem: string): LegacyConfigError {
  return new LegacyConfigError('legacy.connection', `legacy.connection: ${problem}`);
}

// A legacy app wrote DATETIME/TIMESTAMP WITHOUT TIME ZONE as its own wall clock, which for
// Laravel and Django is UTC unless changed (the import guide's example dump sets time_zone +00:00). Reading them
// as UTC keeps claims and import dates independent of the bridge host's time zone.
const PG_TIMESTAMP = 1114;
function parseUtcTimestamp(text: string): Date | string {
  const d = new Date(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? text : d;
}
// int8 stays the exact text pg gives by default, whatever parser another pool has set:
// a legacy id above 2^53 must not be rounded.
const PG_INT8 = 20;
const pgTypes = {
  getTypeParser: (oid: number, format?: string) => {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
    if (oid === PG_TIMESTAMP) return parseUtcTimestamp;
    if (oid === PG_INT8) return (text: string) => text;
    return pg.types.getTypeParser(oid, 'text');
  },
};

type Done = (err: Error | null, conn: unknown) => void;
type CallbackConnection = { query(sql: string, cb: (err: Error | null) => void): unknown };

/** Runs setup statements one after the other on a new pooled connection. */
function afterCreate(statements: string[]) {
  return (conn: CallbackConnection, done: Done) => {
    const next = (i: number): void => {
      const sql = statements[i];
      if (sql === undefined) {
        done(null, conn);
        return;
      }
      conn.query(sql, (err) => {
        if (err) done(err, conn);
        else next(i + 1);
      });
    };
    next(0);
  };
}

function mysqlConnection(url: URL, timeoutMs: number): Knex.MySql2ConnectionConfig {
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database)
    throw connectionError(
      'names no database. Fix: end the URL with the database, e.g. mysql://user:pass@127.0.0.1:3306/shop.',
    );
  const conn: Knex.MySql2ConnectionConfig & Record<string, unknown> = {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
    connectTimeout: timeoutMs,
    timezone: 'Z',
    // Ids above 2^53 come back as exact strings rather than rounded numbers.
    supportBigNumbers: true,
  };
  for (const [key, value] of url.searchParams) {
    if (key === 'ssl') {
      if (['true', '1', 'required', 'require'].includes(value)) conn.ssl = {};
      else if (value === 'no-verify') conn.ssl = { rejectUnauthorized: false };
      else if (!['false', '0', 'disabled'].includes(value))
        throw connectionError(
          `ssl=${value} is not understood. Fix: use ssl=true, ssl=no-verify or ssl=false.`,
        );
    } else if (key === 'socket') {
      conn.socketPath = value;
    } else {
      throw connectionError(
        `option ${key} is not supported. Fix: remove it; supported options are ssl and socket.`,
      );
    }
  }
  return conn;
}

function pgliteConnection(rest: string): Record<string, unknown> {
  const location = rest.replace(/^\/\//, '');
  if (location === '' || location === 'memory') return {};
  return { filename: location };
}

/** sqlite:/abs/path.db, sqlite:///abs/path.db or sqlite:relative/path.db. */
function sqliteFile(rest: string): string {
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (!path || path === ':memory:' || path === 'memory')
    throw connectionError(
      'names no SQLite file. Fix: write sqlite:/path/to/app.db (the file is opened read-only).',
    );
  return decodeURIComponent(path);
}

/** The knex configuration for a legacy URL (exported for tests and the CLI). */
export function legacyKnexConfig(
  config: LegacyConfig,
  logger: Logger,
): { config: Knex.Config; dialect: LegacyDialect } {
  const timeoutMs = config.query_timeout_ms;
  const connection = config.connection ?? '';
  const scheme = /^([a-z]+):/.exec(connection)?.[1];
  // Driver warnings (a failed connection attempt) go to debug: the source logs the outage once.
  const log = knexLog(logger, 'legacy', 'debug');
  const pool = { min: config.pool.min, max: config.pool.max };

  if (scheme === 'sqlite') {
    const filename = sqliteFile(connection.slice('sqlite:'.length));
    return {
      config: {
        client: 'better-sqlite3',
        // readonly: the file is opened with SQLITE_OPEN_READONLY; fileMustExist: a typo in
        // the path is an error rather than a new empty database.
        connection: { filename, options: { readonly: true, fileMustExist: true } },
        useNullAsDefault: true,
        pool: { min: 0, max: 1 },
        log,
      } as Knex.Config,
      dialect: 'sqlite',
    };
  }
  if (scheme === 'pglite') {
    return {
      // knex-pglite holds a single connection and refuses a pool setting.
      config: {
        client: ClientPgLite,
        dialect: 'postgres',
        connection: pgliteConnection(connection.slice('pglite:'.length)),
        log,
      } as Knex.Config,
      dialect: 'pglite',
    };
  }
  let url: URL;
  try {
    url = new URL(scheme === 'mariadb' ? connection.replace(/^mariadb:/, 'mysql:') : connection);
  } catch {
    throw connectionError('is not a valid URL. Fix: write it as scheme://user:password@host:port/database.');
  }
  if (scheme === 'mysql' || scheme === 'mariadb') {
    return {
      config: {
        client: 'mysql2',
        connection: mysqlConnection(url, timeoutMs),
        pool: {
          ...pool,
          afterCreate: afterCreate(['SET SESSION TRANSACTION READ ONLY', "SET time_zone = '+00:00'"]),
        },
        acquireConnectionTimeout: timeoutMs,
        log,
      },
      dialect: 'mysql',
    };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return {
      config: {
        client: 'pg',
        connection: {
          connectionString: connection,
          connectionTimeoutMillis: timeoutMs,
          types: pgTypes,
        },
        pool: { ...pool, afterCreate: afterCreate(['SET default_transaction_read_only = on']) },
        acquireConnectionTimeout: timeoutMs,
        log,
      },
      dialect: 'postgres',
    };
  }
  throw connectionError('must start with mysql:, mariadb:, postgres:, postgresql:, pglite: or sqlite:.');
}

export function openLegacyConnection(config: LegacyConfig, logger: Logger): LegacyConnection {
  const { config: knexConfig, dialect } = legacyKnexConfig(config, logger);
  return { db: knex(knexConfig), dialect };
}

/** The dialect of a knex instance the caller built (the demo's seeded PGlite). */
export function dialectOf(db: Knex): LegacyDialect {
  if (db.client instanceof ClientPgLite) return 'pglite';
  const name = String((db.client as { dialect?: unknown }).dialect ?? db.client.config?.client ?? '');
  if (/mysql/.test(name)) return 'mysql';
  if (/sqlite/.test(name)) return 'sqlite';
  if (/postgres|pg/.test(name)) return 'postgres';
  throw new LegacyConfigError(
    'legacy.connection',
    `The legacy knex instance uses ${name || 'an unknown client'}; only MySQL/MariaDB, PostgreSQL and SQLite are supported.`,
  );
}
