// Every delivery job carries an idempotency key, sent as the Idempotency-Key header on each
// attempt: a redelivery after a crash (the target answered, the bridge never recorded it)
// carries the same key, so the target can answer it as it answered the first. A password
// update job gets a new key when it is rewritten with a newer password.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('outbox', (t) => {
    t.uuid('idempotency_key').notNullable().defaultTo(db.raw('gen_random_uuid()'));
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('outbox', (t) => {
    t.dropColumn('idempotency_key');
  });
}
