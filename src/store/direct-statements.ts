// The statements of the token path (the payload reads and writes of src/oidc), sent straight
// to a pooled connection. Through knex's raw builder and runner a statement made 44 promises
// and cost 125 µs of CPU; sent this way, 30 and 83.4 µs; the connection's own query, 5 and
// 77.3 µs (BENCHMARKS.md, "The token path's statements past knex"). The statement keeps what
// the store's knex gives every other one: its connection comes from knex's pool (its size,
// acquire timeout and checks of dead connections), it is prepared under the store's name for
// its text (prepared-statements.ts), with the same retry when a migration changed its result
// type, and knex's `query` listeners see it.
// What it drops is knex's habit of writing the statement and its bindings into the message
// of an error: the driver's error comes back as the driver made it.
import type { Knex } from 'knex';
import { MAX_PREPARED, PLAN_ONCE } from './prepared-statements.ts';

/** What the store's knex dialect client (pg, PGlite, or the preparing one) is asked for. */
interface DialectClient {
  acquireConnection(): Promise<{ __knexUid?: string; __knexTxId?: string }>;
  releaseConnection(connection: unknown): unknown;
  positionBindings(sql: string): string;
  _query(connection: unknown, obj: Statement): Promise<Statement & { response: { rows: unknown[] } }>;
  emit(event: 'query', obj: unknown): boolean;
}

interface Statement {
  method: 'raw';
  sql: string;
  bindings: unknown[];
  options: Record<string, unknown>;
}

/** Sends one statement, written with `?` placeholders as knex's raw() takes them, and returns its rows. */
export type SendStatement = <T>(sql: string, bindings: unknown[]) => Promise<T[]>;

/** The `?` placeholders of a text, counted as positionBindings() numbers them (an escaped `\?` is none). */
function placeholders(sql: string): number {
  let n = 0;
  for (const [, escapes] of sql.matchAll(/(\\*)\?/g)) if ((escapes as string).length % 2 === 0) n++;
  return n;
}

// One sender per store, whoever asks for it: the texts it has positioned are the store's, and
// bounded as its connections' prepared statements are.
const senders = new WeakMap<object, SendStatement>();

export function directStatements(db: Knex): SendStatement {
  let send = senders.get(db.client);
  if (!send) {
    send = sender(db.client as unknown as DialectClient);
    senders.set(db.client, send);
  }
  return send;
}

function sender(client: DialectClient): SendStatement {
  // The dialect's own placeholders ($1, $2…) and how many, once per text.
  const positioned = new Map<string, { text: string; count: number }>();
  const native = (sql: string) => {
    let known = positioned.get(sql);
    if (known === undefined) {
      known = { text: client.positionBindings(sql), count: placeholders(sql) };
      if (positioned.size < MAX_PREPARED) positioned.set(sql, known);
    }
    return known;
  };
  return async <T>(sql: string, bindings: unknown[]): Promise<T[]> => {
    const { text, count } = native(sql);
    // knex's raw() refused these; sent, the first would come back as a protocol error (SQLSTATE
    // 08P01, which reads as an outage) and the second would be written as NULL.
    if (bindings.length !== count)
      throw new Error(
        `a statement with ${count} placeholders was given ${bindings.length} binding${bindings.length === 1 ? '' : 's'}`,
      );
    const gap = bindings.indexOf(undefined);
    if (gap !== -1) throw new Error(`binding ${gap + 1} of a statement is undefined`);
    const statement: Statement = {
      method: 'raw',
      sql: text,
      bindings,
      options: { [PLAN_ONCE]: true },
    };
    const connection = await client.acquireConnection();
    try {
      client.emit('query', {
        __knexUid: connection.__knexUid,
        __knexTxId: connection.__knexTxId,
        ...statement,
      });
      return (await client._query(connection, statement)).response.rows as T[];
    } finally {
      client.releaseConnection(connection);
    }
  };
}
