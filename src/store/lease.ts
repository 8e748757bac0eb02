// Named leases in the store (table `leases`), for a task that must run on one replica at a
// time: the holder takes or keeps the lease until it expires, by the store's clock, so that
// replicas whose clocks differ agree. Plain SQL, so it holds on PostgreSQL and on PGlite.
import type { Knex } from 'knex';

/**
 * Takes `name` for `holder` for `ms`, or extends it when `holder` has it already. False while
 * another holder's lease runs.
 */
export async function takeLease(db: Knex, name: string, holder: string, ms: number): Promise<boolean> {
  const result = await db.raw(
    `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, now() + make_interval(secs => ?))
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
      WHERE leases.expires_at <= now() OR leases.holder = EXCLUDED.holder
     RETURNING holder`,
    [name, holder, ms / 1000],
  );
  return (result.rows as unknown[]).length === 1;
}

/** Gives the lease up, if `holder` has it, so another replica may take it at once. */
export async function releaseLease(db: Knex, name: string, holder: string): Promise<void> {
  await db('leases').where({ name, holder }).delete();
}
