// What one statement of the token path costs the bridge's own process, sent through knex's raw
// builder and runner, and past them (src/store/direct-statements.ts), on the same pool and
// the same prepared statement; and, for the floor, on a connection held outside the pool.
// CPU per statement of this process alone, eight statements in flight, median of rounds that
// alternate between the three, so that a noisy minute falls on each alike.
// `npx tsx bench/statement-path.ts`; BENCH_QUICK=1 for a short run. Figures in BENCHMARKS.md.
import { createHook } from 'node:async_hooks';
import { createStore } from '../src/store/db.ts';
import { directStatements } from '../src/store/direct-statements.ts';
import { PLAN_ONCE, planOnce } from '../src/store/prepared-statements.ts';
import { createPgDatabase } from '../test/support/databases.ts';
import { round } from './support/stats.ts';

const quick = process.env.BENCH_QUICK === '1';
const STATEMENTS = quick ? 800 : 8000;
const ROUNDS = quick ? 3 : 7;
const IN_FLIGHT = 8;
const SQL = 'select ?::text as a, ?::text as b';

const database = await createPgDatabase();
// One connection held per statement in flight for the floor, and the bridge's default pool beside.
const store = createStore({ database: database.url, pool: { min: 0, max: 10 + IN_FLIGHT } });
const send = directStatements(store.db);
interface Connection {
  query(config: object): Promise<{ rows: unknown[] }>;
}
const client = store.db.client as unknown as {
  acquireConnection(): Promise<Connection>;
  releaseConnection(c: Connection): void;
  _query(c: Connection, obj: object): Promise<{ response: { rows: unknown[] } }>;
};
const held = await Promise.all(Array.from({ length: IN_FLIGHT }, () => client.acquireConnection()));
const paths = {
  knex: async () => (await planOnce(store.db.raw(SQL, ['x', 'y']))).rows,
  direct: () => send(SQL, ['x', 'y']),
  // The connection's own query, through the same dialect client (named, prepared), no pool.
  held: async (worker: number) =>
    (
      await client._query(held[worker] as Connection, {
        method: 'raw',
        sql: 'select $1::text as a, $2::text as b',
        bindings: ['x', 'y'],
        options: { [PLAN_ONCE]: true },
      })
    ).response.rows,
};
type Path = keyof typeof paths;

let promises = 0;
const hook = createHook({
  init(_id, type) {
    if (type === 'PROMISE') promises++;
  },
});

async function run(path: Path): Promise<{ cpuUs: number; promises: number }> {
  const fn = paths[path];
  const before = process.cpuUsage();
  const p0 = promises;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, worker) => {
      for (let i = 0; i < STATEMENTS / IN_FLIGHT; i++) await fn(worker);
    }),
  );
  const used = process.cpuUsage(before);
  return { cpuUs: (used.user + used.system) / STATEMENTS, promises: (promises - p0) / STATEMENTS };
}

const cpu: Record<Path, number[]> = { knex: [], direct: [], held: [] };
const names = Object.keys(paths) as Path[];
for (const path of names) await run(path); // warm: every connection has prepared the statement
for (let r = 0; r < ROUNDS; r++) for (const path of names) cpu[path].push((await run(path)).cpuUs);
// Promises counted apart: the hook costs CPU of its own.
hook.enable();
const made = Object.fromEntries(names.map((p) => [p, 0])) as Record<Path, number>;
for (const path of names) made[path] = round((await run(path)).promises, 1);
hook.disable();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
const result = Object.fromEntries(
  names.map((p) => [p, { cpuUsPerStatement: round(median(cpu[p]), 1), promisesPerStatement: made[p] }]),
);
process.stdout.write(
  `${JSON.stringify({ statements: STATEMENTS, rounds: ROUNDS, inFlight: IN_FLIGHT, ...result, directToKnex: round(median(cpu.direct) / median(cpu.knex), 3) }, null, 2)}\n`,
);
for (const c of held) client.releaseConnection(c);
await store.close();
await database.drop();
