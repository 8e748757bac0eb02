// Second factors of bridge accounts: the TOTP secret (carried over from the legacy table or
// set up at sign-in, sealed like every secret at rest) with the last time step accepted, so
// that a code is never accepted twice; recovery codes, stored only as digests; passkeys.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('account_second_factors', (t) => {
    t.string('sub', 255).primary().references('sub').inTable('accounts').onDelete('CASCADE');
    t.text('totp_secret'); // sealed base32; NULL: no authenticator app
    t.string('totp_source', 16); // legacy|enrolled
    t.integer('totp_digits');
    t.integer('totp_period');
    t.string('totp_algorithm', 8);
    t.bigInteger('totp_last_step'); // the newest time step a code was accepted for
    t.timestamp('totp_added_at', { useTz: true });
    t.string('webauthn_user_id', 64); // random user handle given to authenticators
    t.timestamp('passkey_declined_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
  await db.schema.createTable('account_recovery_codes', (t) => {
    t.bigIncrements('id').primary();
    t.string('sub', 255).notNullable().references('sub').inTable('accounts').onDelete('CASCADE');
    t.string('digest', 64).notNullable(); // keyed SHA-256 of the code, never the code
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.unique(['sub', 'digest']);
  });
  await db.schema.createTable('account_passkeys', (t) => {
    t.string('credential_id', 1024).primary(); // base64url, as the authenticator returns it
    t.string('sub', 255).notNullable().references('sub').inTable('accounts').onDelete('CASCADE');
    t.text('public_key').notNullable(); // COSE key, base64url
    t.bigInteger('counter').notNullable().defaultTo(0);
    t.jsonb('transports').notNullable().defaultTo('[]');
    t.string('device_type', 16); // singleDevice|multiDevice
    t.boolean('backed_up').notNullable().defaultTo(false);
    t.string('aaguid', 36);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.index(['sub']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('account_passkeys');
  await db.schema.dropTable('account_recovery_codes');
  await db.schema.dropTable('account_second_factors');
}
