// Lease columns for the delivery worker: a claim stamps a random token, and an outcome is
// recorded only while that token still holds the row, so a worker whose lease expired (it
// stalled, or was killed) can never overwrite what the worker that took over recorded.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('outbox', (t) => {
    t.string('lease_token', 64);
    t.timestamp('last_attempt_at', { useTz: true });
    t.string('last_reason', 32); // delivered|already_exists|email_conflict|rejected|invalid|retry|dead|…
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('outbox', (t) => {
    t.dropColumns('lease_token', 'last_attempt_at', 'last_reason');
  });
}
