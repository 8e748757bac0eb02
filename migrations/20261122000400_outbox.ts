// Delivery jobs toward the target platform, written in the same transaction as the account
// (transactional outbox). One job per account and kind. The password form waits in
// `secret` only until the job is delivered or dead.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('sub', 255).notNullable().references('sub').inTable('accounts').onDelete('CASCADE');
    t.string('kind', 32).notNullable().defaultTo('deliver');
    t.jsonb('payload').notNullable(); // legacy row snapshot and claims, never a password
    t.text('secret'); // the target password form, erased when done
    t.string('status', 16).notNullable().defaultTo('pending'); // pending|delivered|failed|conflict|dead
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('locked_until', { useTz: true });
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('delivered_at', { useTz: true });
    t.unique(['sub', 'kind']);
    t.index(['status', 'next_attempt_at']);
  });
  await db.schema.createTable('import_checkpoints', (t) => {
    t.string('name', 64).primary();
    t.string('last_id', 255);
    t.jsonb('counts').notNullable().defaultTo('{}');
    t.string('status', 16).notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('import_checkpoints');
  await db.schema.dropTable('outbox');
}
