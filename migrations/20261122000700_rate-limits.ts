// Login throttling counters (rate-limiter-flexible's Postgres layout: key, points, expire in
// epoch milliseconds), in the store so that every replica counts the same failures. Keys are
// hashes: the table never holds a login name or an address.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('rate_limits', (t) => {
    t.string('key', 255).primary();
    t.integer('points').notNullable().defaultTo(0);
    t.bigInteger('expire');
    t.index(['expire']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('rate_limits');
}
