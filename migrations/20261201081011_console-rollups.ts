// What the operator console reads: hourly rollups of the audit trail, the accounts and the
// outbox (so a page costs the same with ten million audit rows as with ten), the watermark
// up to which the audit trail has been rolled up, and an account's `disabled` state.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('rollups', (t) => {
    t.string('metric', 48).notNullable(); // e.g. login, lockout, accounts, outbox, legacy_errors
    t.timestamp('bucket', { useTz: true }).notNullable(); // the start of an hour, UTC
    t.string('label', 200).notNullable().defaultTo(''); // e.g. success/legacy/bcrypt
    t.double('value').notNullable().defaultTo(0);
    t.primary(['metric', 'bucket', 'label']);
  });
  await db.schema.createTable('rollup_state', (t) => {
    t.string('name', 48).primary();
    // Everything before this moment is in `rollups`; later rows are counted live.
    t.timestamp('rolled_until', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
  await db.schema.alterTable('accounts', (t) => {
    t.timestamp('disabled_at', { useTz: true });
    t.string('disabled_by', 255);
    t.index(['created_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('accounts', (t) => {
    t.dropIndex(['created_at']);
    t.dropColumns('disabled_at', 'disabled_by');
  });
  await db.schema.dropTable('rollup_state');
  await db.schema.dropTable('rollups');
}
