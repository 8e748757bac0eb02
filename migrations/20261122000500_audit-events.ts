// The audit trail: logins (success and failure with a reason code), lockouts, migrations,
// deliveries and admin actions. Never a password or a hash.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.string('type', 48).notNullable();
    t.string('outcome', 16).notNullable(); // success | failure | info
    t.string('reason', 64);
    t.string('sub', 255);
    t.string('identifier', 320);
    t.string('ip', 64);
    t.string('client_id', 255);
    t.string('actor', 64);
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['at']);
    t.index(['type', 'at']);
    t.index(['sub']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('audit_events');
}
