// The statements of the login and token path as named prepared statements. PostgreSQL
// parses, analyses and plans an unnamed statement every time it is sent; a named one is parsed
// once per connection, and after five runs its plan is usually the generic one, planned once
// too. A login's statements are short lookups and upserts by key whose parse and plan cost
// more than their run (BENCHMARKS.md, "Prepared statements"): preparing them cuts what
// PostgreSQL spends per login by about two fifths. node-postgres remembers what each
// connection has prepared and sends only Bind and Execute for the next use.
//
// Only statements marked with planOnce() are named. A generic plan is made without the
// values and kept until the table's statistics change: right for a lookup by key, whatever
// the table's size, but not for a statement whose best plan depends on its values or on how
// big a table has just grown (an import's batches, the console's reports, the sweeps), which
// stay unnamed and are planned each time. A prepared statement's result columns are fixed as
// well: once a migration adds a column to a table a `*` expands, PostgreSQL refuses to run it
// again ("cached plan must not change result type"). Then every name is dropped, so each
// statement is prepared afresh under a new one, and one outside a transaction is sent again
// unnamed: a replica still running while another migrates goes on answering. Poolers that
// cannot hold prepared statements (PgBouncer before 1.21 in transaction mode) need
// `store.prepared_statements: false`.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type knexPkg from 'knex';

const require = createRequire(import.meta.url);
const ClientPg = require('knex/lib/dialects/postgres/index.js') as typeof knexPkg.Client;

/** The statement knex hands its dialect to send. */
interface Compiled {
  sql: string;
  bindings?: unknown[];
  options?: Record<string, unknown>;
}

/** The option planOnce() gives a statement; knex hands it to the dialect with the statement. */
export const PLAN_ONCE = 'oidcBridgePlanOnce';

/**
 * Marks a statement of the hot path, a lookup or write by key, to be prepared on its
 * connection and planned once. Returns the statement.
 */
export function planOnce<Q extends { options(options: Readonly<Record<string, unknown>>): unknown }>(
  q: Q,
): Q {
  q.options({ [PLAN_ONCE]: true });
  return q;
}

/** Distinct statements named per process: a connection never holds more than this many. */
export const MAX_PREPARED = 500;
/** Longer statements (an import's batch) are sent unnamed: their plans would take memory for a single use. */
export const MAX_PREPARED_LENGTH = 8192;
/** More bindings than this and a marked statement goes unnamed too (many rows in one write). */
export const MAX_PREPARED_BINDINGS = 64;
/** "cached plan must not change result type": feature_not_supported, told apart by its text. */
const resultTypeChanged = (err: unknown) =>
  (err as { code?: unknown }).code === '0A000' && /cached plan/i.test(String((err as Error).message));

/** What every name the store gives a statement looks like: `ob`, its generation, `_`, a digest of its text. */
export const STORE_STATEMENT_NAME = /^ob\d+_[\w-]+$/;

/** The names of one store's statements, by their text; a new generation renames all of them. */
export function createStatementNames(max = MAX_PREPARED): {
  nameOf(sql: string): string | undefined;
  /** Drops every name: the next use of each statement prepares it again under a new one. */
  renew(): void;
  readonly size: number;
} {
  const names = new Map<string, string>();
  let generation = 0;
  return {
    nameOf(sql) {
      const known = names.get(sql);
      if (known !== undefined || names.size >= max) return known;
      if (sql.length > MAX_PREPARED_LENGTH) return undefined;
      const digest = createHash('sha256').update(sql).digest('base64url').slice(0, 32);
      const name = `ob${generation}_${digest}`;
      names.set(sql, name);
      return name;
    },
    renew() {
      names.clear();
      generation++;
    },
    get size() {
      return names.size;
    },
  };
}

/** knex's PostgreSQL client, sending each statement planOnce() marked under its name. */
export function preparingPgClient(): typeof knexPkg.Client {
  const names = createStatementNames();
  const send = (ClientPg.prototype as unknown as { _query(c: unknown, o: Compiled): Promise<unknown> })
    ._query;
  class PreparingPgClient extends ClientPg {
    constructor(config: knexPkg.Knex.Config) {
      // Still the pg client to the code that asks which one a knex is (config.client).
      super({ ...config, client: 'pg' });
    }

    _query(connection: unknown, obj: Compiled): Promise<unknown> {
      const n = obj.bindings?.length ?? 0;
      const marked = obj.options?.[PLAN_ONCE] === true && obj.options.name === undefined;
      const name = marked && n > 0 && n <= MAX_PREPARED_BINDINGS ? names.nameOf(obj.sql) : undefined;
      if (name === undefined) return send.call(this, connection, obj);
      // In place: knex reads the response back from this object.
      obj.options = { ...obj.options, name };
      return send.call(this, connection, obj).catch((err: unknown) => {
        if (!resultTypeChanged(err)) throw err;
        names.renew();
        // Inside a transaction the error has aborted it, and it fails as any error would there.
        if ((this as { transacting?: boolean }).transacting) throw err;
        const { name: _, ...unnamed } = obj.options ?? {};
        obj.options = unnamed;
        return send.call(this, connection, obj);
      });
    }
  }
  return PreparingPgClient;
}
