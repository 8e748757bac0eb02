// Password reset by e-mail: one row per reset link (a public selector, the keyed hash of its
// secret, the account or legacy id it is bound to, when it expires, was used or was voided
// by a newer request), an outbox of e-mails with retries and a lease, and the flag that asks
// a user whose legacy password failed the policy for a new one once, after login.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('password_resets', (t) => {
    t.string('id', 32).primary(); // the link's selector: public, looked up
    t.string('digest', 64).notNullable(); // HMAC-SHA256 of the link's secret, hex
    t.string('subject_kind', 16).notNullable(); // account | legacy
    t.string('subject', 255).notNullable(); // the account's sub, or the legacy id
    t.string('interaction_uid', 64); // the sign-in the request came from
    t.string('return_to', 2048); // where "back to the application" points once it is gone
    t.string('locale', 8).notNullable().defaultTo('en');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('voided_at', { useTz: true });
    t.index(['subject_kind', 'subject']);
    t.index(['expires_at']);
  });
  await db.schema.createTable('mail_outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('kind', 32).notNullable(); // password_reset
    t.text('message'); // sealed JSON {to, subject, text, html}; erased once sent or given up
    t.string('status', 16).notNullable().defaultTo('pending'); // pending|sent|dead
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('locked_until', { useTz: true });
    t.string('lease_token', 64);
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.index(['status', 'next_attempt_at']);
  });
  await db.schema.alterTable('accounts', (t) => {
    t.boolean('password_change_prompt').notNullable().defaultTo(false);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('accounts', (t) => {
    t.dropColumn('password_change_prompt');
  });
  await db.schema.dropTable('mail_outbox');
  await db.schema.dropTable('password_resets');
}
