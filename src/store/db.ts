// The bridge store: PostgreSQL when `database` is set, otherwise an embedded PGlite in
// data_dir. Both run the same knex migrations from migrations/, and on PostgreSQL the
// migrator holds an advisory lock so that replicas starting together migrate once.
import { resolve } from 'node:path';
import knexPkg, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';
import { migrationSource } from '../../migrations/index.ts';
import { BridgeError } from '../errors.ts';
import { createLogger, knexLog, type Logger } from '../logger.ts';
import { ensurePrivateDir, restrict } from './data-dir.ts';
import { preparingPgClient } from './prepared-statements.ts';
import { createShortLivedStore, type ShortLivedStore } from './redis.ts';

const { knex } = knexPkg;

// The store's own pool reads int8 (counts, serial ids) as numbers. Set on this pool only: a
// process-wide parser would round a PostgreSQL legacy source's int8 ids above 2^53.
const INT8 = 20;
const storeTypes = {
  getTypeParser: (oid: number, format?: string) =>
    oid === INT8 && format !== 'binary'
      ? (v: string) => Number.parseInt(v, 10)
      : pg.types.getTypeParser(oid, format === 'binary' ? 'binary' : 'text'),
};

export interface Store {
  db: Knex;
  kind: 'postgres' | 'pglite';
  /** The connection URL (postgres only), for LISTEN connections and rate limiting. */
  url: string | undefined;
  /** Redis for oidc-provider's short-lived models, when store.redis_url is set. */
  shortLived: ShortLivedStore | undefined;
  migrate(): Promise<void>;
  /**
   * Takes a session advisory lock on a connection of its own, or answers undefined when
   * another process holds it. The embedded store serves one process: always granted there.
   */
  tryLock(key: number): Promise<{ release(): Promise<void> } | undefined>;
  rollbackAll(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  database?: string | undefined;
  data_dir?: string;
  /** Embedded store in memory only (tests, demo with --memory). */
  memory?: boolean;
  /** An embedded store on a PGlite instance the caller made (the demo's cached cluster). */
  pglite?: unknown;
  pool?: { min?: number; max?: number };
  /** Statement and acquire limits (postgres only); defaults as in the config schema. */
  timeouts?: { statement_timeout_ms?: number; acquire_timeout_ms?: number };
  /** Where the driver's warnings go; default JSON lines at warn on stderr. */
  logger?: Logger;
  /** Named prepared statements on the store's connections (postgres only). Default true. */
  preparedStatements?: boolean;
  /** Redis for the short-lived models (the config's store.redis_url and redis_prefix). */
  redis?: { redis_url?: string | undefined; redis_prefix: string } | undefined;
}

/** The store options a configuration asks for: one place for every command that opens it. */
export function storeOptions(config: {
  database?: string | undefined;
  data_dir: string;
  store: {
    statement_timeout_ms: number;
    acquire_timeout_ms: number;
    redis_url?: string | undefined;
    redis_prefix: string;
    prepared_statements: boolean;
  };
}): StoreOptions {
  return {
    database: config.database,
    data_dir: config.data_dir,
    timeouts: config.store,
    preparedStatements: config.store.prepared_statements,
    redis: config.store,
  };
}

/** Adds the optional Redis store: connected with migrate(), pinged and closed with the rest. */
function withShortLived(base: Omit<Store, 'shortLived'>, opts: StoreOptions): Store {
  const url = opts.redis?.redis_url;
  if (!url) return { ...base, shortLived: undefined };
  const shortLived = createShortLivedStore({ url, prefix: opts.redis!.redis_prefix });
  return {
    ...base,
    shortLived,
    async migrate() {
      await shortLived.connect();
      await base.migrate();
    },
    async ping() {
      await Promise.all([base.ping(), shortLived.ping()]);
    },
    async close() {
      await Promise.all([base.close(), shortLived.close()]);
    },
  };
}

const MIGRATION_LOCK = 7_147_001;

export function createStore(opts: StoreOptions): Store {
  return withShortLived(createSqlStore(opts), opts);
}

function createSqlStore(opts: StoreOptions): Omit<Store, 'shortLived'> {
  if (opts.database) {
    const url = opts.database;
    const statementMs = opts.timeouts?.statement_timeout_ms ?? 5000;
    const acquireMs = opts.timeouts?.acquire_timeout_ms ?? 5000;
    const db = knex({
      client: opts.preparedStatements === false ? 'pg' : preparingPgClient(),
      // The server cancels a slow statement; the client gives up on one the server never
      // answers (a stalled network), a little later, and on a connect that does not finish.
      connection: {
        connectionString: url,
        statement_timeout: statementMs,
        query_timeout: statementMs + 1000,
        connectionTimeoutMillis: acquireMs,
        types: storeTypes,
      } as Knex.PgConnectionConfig,
      pool: { min: opts.pool?.min ?? 0, max: opts.pool?.max ?? 10 },
      acquireConnectionTimeout: acquireMs,
      // Commands print their own output on stdout: driver warnings go to stderr there.
      log: knexLog(opts.logger ?? createLogger({ level: 'warn', destination: process.stderr }), 'store'),
    });
    return {
      db,
      kind: 'postgres',
      url,
      async migrate() {
        // The lock is held on a connection of its own while knex migrates with the pool.
        const lock = new pg.Client({ connectionString: url });
        await connectOrExplain(lock, url);
        try {
          await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
          // Migrations run without the statement timeout: an index on a large table may
          // take longer than any request should.
          const migrator = knex({
            client: 'pg',
            connection: { connectionString: url, types: storeTypes } as Knex.PgConnectionConfig,
            pool: { min: 0, max: 1 },
            log: db.client.logger,
          });
          try {
            await migrator.migrate.latest({ migrationSource });
          } finally {
            await migrator.destroy();
          }
        } finally {
          await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
          await lock.end();
        }
      },
      async tryLock(key) {
        const client = new pg.Client({ connectionString: url });
        await connectOrExplain(client, url);
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key]);
        if (!rows[0]?.ok) {
          await client.end();
          return undefined;
        }
        return {
          async release() {
            await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {});
            await client.end();
          },
        };
      },
      async rollbackAll() {
        await db.migrate.rollback({ migrationSource }, true);
      },
      async ping() {
        await db.raw('select 1');
      },
      close: () => db.destroy(),
    };
  }
  let connection: Record<string, unknown> = {};
  let dir: string | undefined;
  if (opts.pglite) connection = { pglite: opts.pglite };
  else if (!opts.memory) {
    const root = resolve(opts.data_dir ?? './data');
    dir = resolve(root, 'store');
    ensurePrivateDir(root, dir);
    connection = { filename: dir };
  }
  // PGlite writes its files 0666; the directory is private already, and so are they after this.
  const tighten = () => {
    if (dir) restrict(dir);
  };
  const db = knex({
    client: ClientPgLite as unknown as typeof knexPkg.Client,
    dialect: 'postgres',
    connection,
  });
  // knex-pglite starts the database as the client is made, before any query asks for it. A store
  // closed before its first query must still wait for that start and close the database, or the
  // start goes on with its files (and fails unheard when they are removed).
  const lite = opts.pglite
    ? undefined
    : (db.client as { pglite?: { waitReady: Promise<void>; closed: boolean; close(): Promise<void> } })
        .pglite;
  lite?.waitReady.catch(() => {});
  return {
    db,
    kind: 'pglite',
    url: undefined,
    async migrate() {
      await db.migrate.latest({ migrationSource });
      tighten();
    },
    async tryLock() {
      return { release: async () => {} };
    },
    async rollbackAll() {
      await db.migrate.rollback({ migrationSource }, true);
    },
    async ping() {
      await db.raw('select 1');
    },
    async close() {
      await db.destroy();
      if (lite) {
        const started = await lite.waitReady.then(
          () => true,
          () => false,
        );
        if (started && !lite.closed) await lite.close();
      }
      tighten();
    },
  };
}

async function connectOrExplain(client: pg.Client, url: string): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    const safe = new URL(url);
    safe.password = safe.password ? '***' : '';
    throw new BridgeError(
      'store_unavailable',
      `Cannot connect to the bridge store at ${safe.toString()} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Fix: check that PostgreSQL runs there and that the database exists, or omit "database" to use the embedded store.`,
      503,
    );
  }
}
