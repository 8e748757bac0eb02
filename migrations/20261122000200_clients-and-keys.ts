// Relying parties (seeded by the admin CLI) and keys. Signing keys carry a status so that a
// rotated key stays published until every token it signed has expired; cookie keys sign
// oidc-provider's cookies. Private key material may be encrypted at rest.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('clients', (t) => {
    t.string('client_id', 255).primary();
    t.jsonb('metadata').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
  await db.schema.createTable('keys', (t) => {
    t.string('kid', 128).primary();
    t.string('use', 16).notNullable(); // sig | cookie
    t.string('alg', 16).notNullable();
    t.string('status', 16).notNullable(); // active | retired
    t.text('material').notNullable(); // private JWK or cookie secret, maybe encrypted
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('retired_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
    t.index(['use', 'status']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('keys');
  await db.schema.dropTable('clients');
}
