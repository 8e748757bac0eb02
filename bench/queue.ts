// The delivery queue against pg-boss, on the PostgreSQL store and on the embedded PGlite
// store: N jobs enqueued one at a time (as logins write them), then claimed in batches and
// completed by W concurrent consumers, with no target in between, so the figure is the
// queue's own cost. `npx tsx bench/queue.ts [jobs] [consumers]`; BENCHMARKS.md and
// docs/targets.md hold a run's figures.
import { PGlite } from '@electric-sql/pglite';
import PgBoss from 'pg-boss';
import { createAccounts } from '../src/migration/accounts.ts';
import { createDeliveryQueries } from '../src/migration/delivery-queries.ts';
import { enqueueDelivery } from '../src/migration/outbox.ts';
import { createStore, type Store } from '../src/store/db.ts';
import { createPgDatabase } from '../test/support/databases.ts';

export interface QueueFigures {
  enqueuePerSec: number;
  drainPerSec: number;
}

const BATCH = 10;

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function consumers(n: number, take: () => Promise<number>): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async () => {
      while ((await take()) > 0);
    }),
  );
}

/** The bridge's own outbox: the claim with FOR UPDATE SKIP LOCKED under a lease, then finish. */
export async function benchOutbox(store: Store, jobs: number, workers: number): Promise<QueueFigures> {
  await store.migrate();
  const accounts = createAccounts(store.db);
  const queries = createDeliveryQueries(store.db);
  const enqueue = await timed(async () => {
    for (let i = 0; i < jobs; i++) {
      const sub = `q${i}`;
      await store.db.transaction(async (trx) => {
        await accounts.insert(trx, {
          sub,
          passwordHash: null,
          claims: {},
          source: 'legacy',
          identifiers: [],
        });
        await enqueueDelivery(trx, {
          sub,
          payload: { legacy_id: sub },
          secret: 'sha256$salt$hash',
          rowData: '{}',
        });
      });
    }
  });
  const drain = await timed(() =>
    consumers(workers, async () => {
      const claimed = await queries.claim(BATCH, 30_000);
      for (const job of claimed) {
        await queries.finish(job, {
          status: 'delivered',
          reason: 'delivered',
          lastError: null,
          eraseSecret: true,
        });
      }
      return claimed.length;
    }),
  );
  return { enqueuePerSec: Math.round(jobs / enqueue), drainPerSec: Math.round(jobs / drain) };
}

/** pg-boss 10: send one job at a time, then fetch a batch and complete it. */
export async function benchPgBoss(
  boss: PgBoss,
  jobs: number,
  workers: number,
  completeEach = false,
): Promise<QueueFigures> {
  await boss.start();
  await boss.createQueue('deliver');
  const enqueue = await timed(async () => {
    for (let i = 0; i < jobs; i++) await boss.send('deliver', { sub: `q${i}` }, { singletonKey: `q${i}` });
  });
  const drain = await timed(() =>
    consumers(workers, async () => {
      const fetched = await boss.fetch('deliver', { batchSize: BATCH });
      // Each delivery ends on its own (as the worker records them), or the batch at once.
      if (completeEach) for (const j of fetched) await boss.complete('deliver', j.id);
      else if (fetched.length)
        await boss.complete(
          'deliver',
          fetched.map((j) => j.id),
        );
      return fetched.length;
    }),
  );
  await boss.stop({ graceful: false, wait: true });
  return { enqueuePerSec: Math.round(jobs / enqueue), drainPerSec: Math.round(jobs / drain) };
}

/** pg-boss on PGlite, through its `db` option; the error when it cannot run there. */
export async function pgBossOnPglite(
  jobs: number,
  workers: number,
): Promise<QueueFigures | { error: string }> {
  const pglite = new PGlite();
  // PGlite's query() is one prepared statement; pg-boss sends its schema as several, unbound.
  const db = {
    executeSql: async (text: string, values: unknown[] = []) => {
      if (values.length) return pglite.query(text, values);
      const results = await pglite.exec(text);
      return results.at(-1) ?? { rows: [] };
    },
  };
  try {
    return await benchPgBoss(new PgBoss({ db, schedule: false, supervise: false }), jobs, workers);
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0]! };
  } finally {
    await pglite.close();
  }
}

async function main(): Promise<void> {
  const jobs = Number(process.argv[2] ?? 2000);
  const workers = Number(process.argv[3] ?? 4);
  const out: Record<string, unknown> = { jobs, workers, batch: BATCH };

  const a = await createPgDatabase('benchq');
  const store = createStore({ database: a.url });
  try {
    out.outbox_postgres = await benchOutbox(store, jobs, workers);
  } finally {
    await store.close();
    await a.drop();
  }
  const b = await createPgDatabase('benchq');
  try {
    out.pgboss_postgres = await benchPgBoss(
      new PgBoss({ connectionString: b.url, schedule: false, supervise: false }),
      jobs,
      workers,
    );
  } finally {
    await b.drop();
  }
  const embedded = createStore({ memory: true });
  try {
    out.outbox_pglite = await benchOutbox(embedded, jobs, workers);
  } finally {
    await embedded.close();
  }
  out.pgboss_pglite = await pgBossOnPglite(jobs, workers);
  const c = await createPgDatabase('benchq');
  try {
    out.pgboss_postgres_complete_each = await benchPgBoss(
      new PgBoss({ connectionString: c.url, schedule: false, supervise: false }),
      jobs,
      workers,
      true,
    );
  } finally {
    await c.drop();
  }
  console.log(JSON.stringify(out, null, 2));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
