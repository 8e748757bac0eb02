// Two things replicas and re-runs agree on through the store. An import run's id, kept in its
// checkpoint: the Idempotency-Key of each batch is made from it and the batch's users, so a
// batch re-sent by `import --resume` carries the key it had before the crash. And named
// leases: a task that must run on one replica at a time (the coexistence sweep) holds one.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('import_checkpoints', (t) => {
    t.uuid('run_id').notNullable().defaultTo(db.raw('gen_random_uuid()'));
  });
  await db.schema.createTable('leases', (t) => {
    t.text('name').primary();
    t.text('holder').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('leases');
  await db.schema.alterTable('import_checkpoints', (t) => {
    t.dropColumn('run_id');
  });
}
