// The store sends the statements marked planOnce() as named prepared statements, which each
// connection parses once and PostgreSQL plans once, and every other one unnamed as before; a
// migration run by another replica does not break the statements a running one has prepared;
// and the switch turns them off. The token path's statements, sent past knex's runner, keep
// all of that, and what knex's pool gives.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/db.ts';
import { directStatements } from '../../src/store/direct-statements.ts';
import { storeFaultCode } from '../../src/store/faults.ts';
import {
  createStatementNames,
  MAX_PREPARED_BINDINGS,
  MAX_PREPARED_LENGTH,
  planOnce,
  STORE_STATEMENT_NAME,
} from '../../src/store/prepared-statements.ts';
import { createPgDatabase, type TestDatabase } from '../support/databases.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createPgDatabase();
});
afterAll(async () => {
  await database?.drop();
});

/** One connection, so that every statement of a test runs where the last one was prepared. */
async function onOneConnection(
  fn: (store: Store) => Promise<void>,
  preparedStatements?: boolean,
  timeouts?: { acquire_timeout_ms: number },
): Promise<void> {
  const store = createStore({
    database: database.url,
    pool: { min: 0, max: 1 },
    preparedStatements,
    timeouts,
  });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

interface PreparedRow {
  name: string;
  statement: string;
  generic_plans: number;
  custom_plans: number;
}
const prepared = async (store: Store): Promise<PreparedRow[]> =>
  (
    await store.db.raw<{ rows: PreparedRow[] }>(
      'select name, statement, generic_plans::int, custom_plans::int from pg_prepared_statements order by name',
    )
  ).rows;

/** Alters a table from a connection of its own, as another replica's migration would. */
async function elsewhere(sql: string): Promise<void> {
  const other = new pg.Client({ connectionString: database.url });
  await other.connect();
  try {
    await other.query(sql);
  } finally {
    await other.end();
  }
}

describe('prepared statements on the bridge store', () => {
  it('prepare a statement with bindings once on its connection, and plan it once after five runs', () =>
    onOneConnection(async (store) => {
      for (let i = 0; i < 8; i++) {
        const { rows } = await planOnce(
          store.db.raw<{ rows: { n: number }[] }>('select ?::int + 1 as n', [i]),
        );
        expect(rows[0]?.n).toBe(i + 1);
      }
      const rows = await prepared(store);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.statement).toBe('select $1::int + 1 as n');
      expect(rows[0]?.name).toMatch(STORE_STATEMENT_NAME);
      expect(rows[0]?.name).toMatch(/^ob0_/);
      // Five custom plans, then the generic plan is kept and planned no more.
      expect(rows[0]?.custom_plans).toBe(5);
      expect(rows[0]?.generic_plans).toBe(3);
    }));

  it('leave unmarked statements unnamed, planned with their values each time', () =>
    onOneConnection(async (store) => {
      await store.db.schema.createTable('unmarked', (t) => t.integer('n').primary());
      await store.db('unmarked').insert([{ n: 1 }, { n: 2 }]);
      for (let i = 0; i < 6; i++)
        expect(await store.db('unmarked').whereIn('n', [1, 2]).pluck('n')).toEqual([1, 2]);
      expect(await prepared(store)).toEqual([]);
    }));

  it('leave a marked statement without bindings, or with too many, unnamed', () =>
    onOneConnection(async (store) => {
      // Several statements in one text run only unprepared.
      await planOnce(
        store.db.raw('create table if not exists several (n int); insert into several values (1)'),
      );
      expect(await store.db('several').count({ n: '*' })).toEqual([{ n: 1 }]);
      const many = Array.from({ length: MAX_PREPARED_BINDINGS + 1 }, (_, i) => i);
      await planOnce(store.db('several').whereIn('n', many).select('n'));
      expect(await prepared(store)).toEqual([]);
    }));

  it('prepare nothing with store.prepared_statements set to false', () =>
    onOneConnection(async (store) => {
      for (let i = 0; i < 3; i++) await planOnce(store.db.raw('select ?::int as n', [i]));
      expect(await prepared(store)).toEqual([]);
    }, false));

  it('go on answering a select * after another replica adds a column to its table', () =>
    onOneConnection(async (store) => {
      await store.db.schema.createTable('widened', (t) => {
        t.integer('id').primary();
        t.text('label');
      });
      await store.db('widened').insert({ id: 1, label: 'one' });
      const read = () => planOnce(store.db('widened')).select('*').where({ id: 1 });
      expect(await read()).toEqual([{ id: 1, label: 'one' }]);
      await elsewhere('alter table widened add column added int default 7');
      // PostgreSQL refuses the prepared statement now; the store prepares it again.
      expect(await read()).toEqual([{ id: 1, label: 'one', added: 7 }]);
      expect(await read()).toEqual([{ id: 1, label: 'one', added: 7 }]);
      const names = (await prepared(store))
        .filter((r) => r.statement.includes('"widened"'))
        .map((r) => r.name);
      expect(names.some((n) => n.startsWith('ob1_'))).toBe(true);
    }));

  it('fail a statement in a transaction the change aborted, and answer it again afterwards', () =>
    onOneConnection(async (store) => {
      await store.db.schema.createTable('widened_in_tx', (t) => {
        t.integer('id').primary();
      });
      await store.db('widened_in_tx').insert({ id: 1 });
      const read = (db = store.db) => planOnce(db('widened_in_tx')).select('*').where({ id: 1 });
      await read();
      await elsewhere('alter table widened_in_tx add column added int default 3');
      await expect(store.db.transaction((trx) => read(trx))).rejects.toMatchObject({ code: '0A000' });
      expect(await store.db.transaction((trx) => read(trx))).toEqual([{ id: 1, added: 3 }]);
    }));
});

describe("statements sent past knex's runner", () => {
  it('come back as rows, prepared under the store name of their text, and seen by knex query listeners', () =>
    onOneConnection(async (store) => {
      const send = directStatements(store.db);
      const seen: string[] = [];
      store.db.on('query', (q: { sql: string }) => seen.push(q.sql));
      for (let i = 0; i < 3; i++)
        expect(await send<{ n: number }>('select ?::int + ? as n', [i, 1])).toEqual([{ n: i + 1 }]);
      expect(seen).toEqual(Array(3).fill('select $1::int + $2 as n'));
      const rows = await prepared(store);
      expect(rows.map((r) => r.statement)).toEqual(['select $1::int + $2 as n']);
      expect(rows[0]?.name).toMatch(STORE_STATEMENT_NAME);
    }));

  it('go unnamed with store.prepared_statements set to false', () =>
    onOneConnection(async (store) => {
      expect(await directStatements(store.db)<{ n: number }>('select ?::int as n', [4])).toEqual([{ n: 4 }]);
      expect(await prepared(store)).toEqual([]);
    }, false));

  it("fail with the driver's own error, its bindings kept out of the message, and give the connection back", () =>
    onOneConnection(async (store) => {
      const send = directStatements(store.db);
      const secret = 'a-token-value';
      const err = (await send('select ?::text as t, 1 / 0 as n', [secret]).catch(
        (e: unknown) => e,
      )) as Error & {
        code?: string;
      };
      expect(err.code).toBe('22012');
      expect(err.message).toBe('division by zero');
      expect(err.message).not.toContain(secret);
      // The pool's only connection is back: the next statement runs on it.
      expect(await send<{ n: number }>('select ?::int as n', [5])).toEqual([{ n: 5 }]);
    }));

  it('are sent by one sender per store, whichever part of the bridge asks for it', () =>
    onOneConnection(async (store) => {
      expect(directStatements(store.db)).toBe(directStatements(store.db));
    }));

  it('refuse a statement whose bindings do not match its placeholders before it reaches the store, as a fault of the code and not an outage', () =>
    onOneConnection(async (store) => {
      const send = directStatements(store.db);
      const seen: string[] = [];
      store.db.on('query', (q: { sql: string }) => seen.push(q.sql));
      const short = (await send('select ?::int as a, ?::int as b', [1]).catch((e: unknown) => e)) as Error;
      expect(short.message).toBe('a statement with 2 placeholders was given 1 binding');
      expect(storeFaultCode(short)).toBeUndefined();
      const gap = (await send('select ?::int as a', [undefined]).catch((e: unknown) => e)) as Error;
      expect(gap.message).toBe('binding 1 of a statement is undefined');
      expect(storeFaultCode(gap)).toBeUndefined();
      expect(seen).toEqual([]);
      // An escaped \? is no placeholder; the pool's only connection is still free.
      expect(await send<{ q: string }>("select '\\?'::text as q, ?::int as n", [3])).toEqual([
        { q: '?', n: 3 },
      ]);
    }));

  it('report a pool that finds no connection in time as a store outage', () =>
    onOneConnection(
      async (store) => {
        const send = directStatements(store.db);
        await store.db.transaction(async () => {
          // The transaction holds the pool's only connection.
          const err = await send('select 1', []).catch((e: unknown) => e);
          expect(storeFaultCode(err)).toBe('ACQUIRE_TIMEOUT');
        });
      },
      undefined,
      { acquire_timeout_ms: 200 },
    ));

  it('go on answering a select * after another replica adds a column to its table', () =>
    onOneConnection(async (store) => {
      const send = directStatements(store.db);
      await store.db.schema.createTable('widened_direct', (t) => {
        t.integer('id').primary();
      });
      await store.db('widened_direct').insert({ id: 1 });
      const read = () => send('select * from widened_direct where id = ?', [1]);
      expect(await read()).toEqual([{ id: 1 }]);
      await elsewhere('alter table widened_direct add column added int default 9');
      expect(await read()).toEqual([{ id: 1, added: 9 }]);
    }));

  it('run on the embedded store as well', async () => {
    const store = createStore({ memory: true });
    try {
      expect(await directStatements(store.db)<{ n: number }>('select ?::int * 2 as n', [21])).toEqual([
        { n: 42 },
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('statement names', () => {
  it('name a text the same every time, and a renewed text under a new generation', () => {
    const names = createStatementNames();
    const first = names.nameOf('select $1');
    expect(names.nameOf('select $1')).toBe(first);
    expect(names.nameOf('select $2')).not.toBe(first);
    names.renew();
    expect(names.nameOf('select $1')).toMatch(/^ob1_/);
  });

  it('send statements past the cap, and long ones, unnamed', () => {
    const names = createStatementNames(2);
    expect(names.nameOf('select 1')).toBeDefined();
    expect(names.nameOf('x'.repeat(MAX_PREPARED_LENGTH + 1))).toBeUndefined();
    expect(names.nameOf('select 2')).toBeDefined();
    expect(names.nameOf('select 3')).toBeUndefined();
    expect(names.nameOf('select 1')).toBeDefined();
    expect(names.size).toBe(2);
  });
});
