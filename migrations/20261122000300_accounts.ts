// The bridge's own accounts: a stable sub, the legacy id, an argon2id hash, the mapped
// claims, a fingerprint of the legacy hash it migrated from (to notice a password changed
// in the legacy application), and the identifiers a user may log in with.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('accounts', (t) => {
    t.string('sub', 255).primary();
    t.string('legacy_id', 255).unique();
    t.text('password_hash');
    t.jsonb('claims').notNullable().defaultTo('{}');
    t.string('source', 16).notNullable(); // legacy | import | local
    t.string('legacy_scheme', 128);
    t.string('legacy_fingerprint', 128);
    t.timestamp('migrated_at', { useTz: true });
    t.timestamp('imported_at', { useTz: true });
    t.timestamp('last_login_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
  await db.schema.createTable('account_identifiers', (t) => {
    t.string('identifier', 512).primary(); // lower-cased login name or email
    t.string('sub', 255).notNullable().references('sub').inTable('accounts').onDelete('CASCADE');
    t.index(['sub']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('account_identifiers');
  await db.schema.dropTable('accounts');
}
