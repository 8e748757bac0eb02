// oidc-provider's models (sessions, codes, tokens, grants, interactions…) in one table keyed
// by type and id. Indexed for the adapter's lookups by grant id, uid and user code, and for
// the sweep of expired rows.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('oidc_payloads', (t) => {
    t.string('type', 64).notNullable();
    t.string('id', 255).notNullable();
    t.jsonb('payload').notNullable();
    t.string('grant_id', 255);
    t.string('uid', 255);
    t.string('user_code', 255);
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['type', 'id']);
    t.index(['grant_id']);
    t.index(['uid']);
    t.index(['user_code']);
    t.index(['expires_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('oidc_payloads');
}
