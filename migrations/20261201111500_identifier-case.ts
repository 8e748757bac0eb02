// A bridge login name remembers whether it is matched exactly (case included) or without
// regard to case, after the column it came from (legacy.case_insensitive). Names written
// before keep the case-insensitive match they had.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('account_identifiers', (t) => {
    t.boolean('exact').notNullable().defaultTo(false);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('account_identifiers', (t) => {
    t.dropColumn('exact');
  });
}
