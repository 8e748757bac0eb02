// The delivery queue against pg-boss, like for like, on the PostgreSQL store and on the
// embedded PGlite store: the same jobs (a sealed password form and a sealed row copy, as a
// login writes them), each enqueued inside the transaction that inserts its account, by the
// same number of concurrent writers; then claimed in batches and completed one job at a time
// (each delivery has its own outcome) by the same number of consumers, no target in between.
// pg-boss runs on the store's own connections (its `db` option, through knex), so that its
// send joins the account's transaction and, on PGlite, waits its turn on the one session.
// `npx tsx bench/queue.ts [jobs] [concurrency]`, or BENCH_PHASES=queue npm run bench;
// BENCHMARKS.md and docs/targets.md hold a run's figures.
import { PGlite } from '@electric-sql/pglite';
import type { Knex } from 'knex';
import PgBoss from 'pg-boss';
import { createAccounts } from '../src/migration/accounts.ts';
import { createDeliveryQueries } from '../src/migration/delivery-queries.ts';
import { enqueueDelivery } from '../src/migration/outbox.ts';
import { createSecretBox } from '../src/security/secret-box.ts';
import { createStore, type Store } from '../src/store/db.ts';
import { passwordFromPlain } from '../src/target/commerce-import/password.ts';
import { createPgDatabase } from '../test/support/databases.ts';
import { round, runLanes } from './support/stats.ts';

const BATCH = 10;
const LEASE_MS = 30_000;

export interface QueueFigures {
  enqueuePerSec: number;
  enqueueP50Ms: number;
  enqueueP99Ms: number;
  drainPerSec: number;
  /** From the start of the claim that took a job to the end of its completion. */
  claimToCompleteP50Ms: number;
  claimToCompleteP99Ms: number;
}

export interface QueueReport {
  jobs: number;
  concurrency: number;
  batch: number;
  postgres: { outbox: QueueFigures | { error: string }; pgboss: QueueFigures | { error: string } };
  pglite: { outbox: QueueFigures | { error: string }; pgboss: QueueFigures | { error: string } };
  /** pg-boss completing a whole batch in one statement: faster, but one outcome for all. */
  pgbossBatchCompletePostgres?: QueueFigures | { error: string };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!, 2);
}

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

/** What each job carries, the same for both queues: the login's sealed forms. */
function jobData(box: ReturnType<typeof createSecretBox>, i: number) {
  const row = {
    id: i,
    first_name: 'Ayşe',
    last_name: 'Yılmaz',
    email: `user${i}@example.com`,
    gender: 'F',
    birthday: '1990-05-17',
    accept_notifications: 1,
    created_at: '2019-03-04T05:06:07.000Z',
  };
  return {
    sub: `q${i}`,
    payload: { legacy_id: String(i) },
    secret: box.seal(passwordFromPlain(`password-${i}`, 'sha256')),
    rowData: box.seal(JSON.stringify(row)),
  };
}

/**
 * pg-boss's `db` option over a knex connection: the pool's (one at a time on PGlite) or a
 * transaction's. PGlite's query() is one prepared statement, so pg-boss's unbound scripts
 * (its schema) go through exec().
 */
function knexExecutor(db: Knex) {
  return {
    async executeSql(text: string, values: unknown[] = []): Promise<{ rows: unknown[] }> {
      const conn = (await db.client.acquireConnection()) as {
        query(t: string, v?: unknown[]): Promise<{ rows: unknown[] }>;
      };
      try {
        if (values.length === 0 && conn instanceof PGlite)
          return (await conn.exec(text)).at(-1) ?? { rows: [] };
        return await conn.query(text, values);
      } finally {
        await db.client.releaseConnection(conn);
      }
    },
  };
}

interface Queue {
  enqueue(trx: Knex, job: ReturnType<typeof jobData>): Promise<void>;
  /** Claims a batch; each job completed on its own. */
  claim(): Promise<Array<() => Promise<void>>>;
}

function outboxQueue(store: Store): Queue {
  const queries = createDeliveryQueries(store.db);
  return {
    enqueue: (trx, job) => enqueueDelivery(trx, job),
    async claim() {
      const jobs = await queries.claim(BATCH, LEASE_MS);
      return jobs.map((job) => async () => {
        await queries.finish(job, {
          status: 'delivered',
          reason: 'delivered',
          lastError: null,
          eraseSecret: true,
        });
      });
    },
  };
}

function pgBossQueue(boss: PgBoss, completeBatch = false): Queue {
  return {
    async enqueue(trx, job) {
      await boss.send('deliver', job, { singletonKey: job.sub, db: knexExecutor(trx) });
    },
    async claim() {
      const fetched = await boss.fetch('deliver', { batchSize: BATCH });
      if (completeBatch) {
        let done: Promise<unknown> | undefined;
        const all = () =>
          (done ??= boss.complete(
            'deliver',
            fetched.map((j) => j.id),
          ));
        return fetched.map(() => async () => void (await all()));
      }
      return fetched.map((j) => async () => void (await boss.complete('deliver', j.id)));
    },
  };
}

async function measure(store: Store, queue: Queue, jobs: number, concurrency: number): Promise<QueueFigures> {
  const box = createSecretBox('a bench key encryption key of 32+ characters');
  const accounts = createAccounts(store.db);
  const enqueueMs: number[] = [];
  const data = Array.from({ length: jobs }, (_, i) => jobData(box, i));
  const enq = await runLanes(
    concurrency,
    async (i) => {
      const job = data[i]!;
      const t = process.hrtime.bigint();
      // What a first login writes: the account and its job, in one transaction.
      await store.db.transaction(async (trx) => {
        await accounts.insert(trx, {
          sub: job.sub,
          passwordHash: null,
          claims: { email: `user${i}@example.com` },
          source: 'legacy',
          identifiers: [`user${i}@example.com`],
        });
        await queue.enqueue(trx, job);
      });
      enqueueMs.push(ms(t));
    },
    { total: jobs },
  );
  const latency: number[] = [];
  const started = process.hrtime.bigint();
  let drained = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const t = process.hrtime.bigint();
        const completions = await queue.claim();
        if (completions.length === 0) return;
        for (const complete of completions) {
          await complete();
          latency.push(ms(t));
          drained++;
        }
      }
    }),
  );
  const drainSec = ms(started) / 1000;
  if (drained !== jobs) throw new Error(`drained ${drained} of ${jobs} jobs`);
  enqueueMs.sort((a, b) => a - b);
  latency.sort((a, b) => a - b);
  return {
    enqueuePerSec: Math.round(enq.completed / enq.seconds),
    enqueueP50Ms: quantile(enqueueMs, 0.5),
    enqueueP99Ms: quantile(enqueueMs, 0.99),
    drainPerSec: Math.round(jobs / drainSec),
    claimToCompleteP50Ms: quantile(latency, 0.5),
    claimToCompleteP99Ms: quantile(latency, 0.99),
  };
}

async function withBoss<T>(store: Store, fn: (boss: PgBoss) => Promise<T>): Promise<T | { error: string }> {
  const boss = new PgBoss({ db: knexExecutor(store.db), schedule: false, supervise: false });
  boss.on('error', () => {});
  try {
    await boss.start();
    await boss.createQueue('deliver');
    return await fn(boss);
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0]! };
  } finally {
    await boss.stop({ graceful: false, wait: true }).catch(() => {});
  }
}

type Target = 'outbox' | 'pgboss' | 'pgboss-batch';

async function onPostgres(target: Target, jobs: number, concurrency: number) {
  const database = await createPgDatabase('benchq');
  const store = createStore({ database: database.url, pool: { max: concurrency + 2 } });
  try {
    await store.migrate();
    if (target === 'outbox') return await measure(store, outboxQueue(store), jobs, concurrency);
    return await withBoss(store, (boss) =>
      measure(store, pgBossQueue(boss, target === 'pgboss-batch'), jobs, concurrency),
    );
  } finally {
    await store.close();
    await database.drop();
  }
}

async function onPglite(target: Target, jobs: number, concurrency: number) {
  // The store's own PGlite instance, as the embedded store runs: one session for both.
  const store = createStore({ pglite: new PGlite() });
  try {
    await store.migrate();
    if (target === 'outbox') return await measure(store, outboxQueue(store), jobs, concurrency);
    return await withBoss(store, (boss) => measure(store, pgBossQueue(boss), jobs, concurrency));
  } finally {
    await store.close();
  }
}

export async function benchQueue(
  opts: { jobs?: number; concurrency?: number; batchComplete?: boolean } = {},
): Promise<QueueReport> {
  const jobs = opts.jobs ?? 2000;
  const concurrency = opts.concurrency ?? 4;
  return {
    jobs,
    concurrency,
    batch: BATCH,
    postgres: {
      outbox: await onPostgres('outbox', jobs, concurrency),
      pgboss: await onPostgres('pgboss', jobs, concurrency),
    },
    pglite: {
      outbox: await onPglite('outbox', jobs, concurrency),
      pgboss: await onPglite('pgboss', jobs, concurrency),
    },
    ...(opts.batchComplete === false
      ? {}
      : { pgbossBatchCompletePostgres: await onPostgres('pgboss-batch', jobs, concurrency) }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await benchQueue({
    jobs: Number(process.argv[2] ?? 2000),
    concurrency: Number(process.argv[3] ?? 4),
  });
  console.log(JSON.stringify(report, null, 2));
}
