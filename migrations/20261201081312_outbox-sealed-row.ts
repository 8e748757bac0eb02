// A delivery job's copy of the legacy row moves out of the payload into a column of its own,
// sealed like the password form and erased with it when the job ends; it holds only the
// columns the target maps. target_ref keeps the id the target gave the user, for updates.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('outbox', (t) => {
    t.text('row_data');
    t.string('target_ref', 255);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('outbox', (t) => {
    t.dropColumns('row_data', 'target_ref');
  });
}
