// Consent remembered per account and client (so that a new browser session asks only for
// scopes not yet granted), back-channel logout tokens waiting for delivery (an outbox of
// their own, with retries and a lease), and an index to find an account's sessions and
// grants among oidc-provider's payloads.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('consents', (t) => {
    t.string('sub', 255).notNullable().references('sub').inTable('accounts').onDelete('CASCADE');
    t.string('client_id', 128).notNullable();
    t.text('scope').notNullable(); // space-separated OIDC scopes granted
    t.jsonb('claims').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['sub', 'client_id']);
  });
  await db.schema.createTable('backchannel_logouts', (t) => {
    t.bigIncrements('id').primary();
    t.string('client_id', 128).notNullable();
    t.string('sub', 255).notNullable();
    t.string('sid', 255);
    t.string('status', 16).notNullable().defaultTo('pending'); // pending|delivered|dead
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('locked_until', { useTz: true });
    t.string('lease_token', 64);
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('delivered_at', { useTz: true });
    t.index(['status', 'next_attempt_at']);
  });
  await db.raw(
    `CREATE INDEX oidc_payloads_account ON oidc_payloads ((payload->>'accountId')) WHERE type IN ('Session', 'Grant')`,
  );
}

export async function down(db: Knex): Promise<void> {
  await db.raw('DROP INDEX IF EXISTS oidc_payloads_account');
  await db.schema.dropTable('backchannel_logouts');
  await db.schema.dropTable('consents');
}
