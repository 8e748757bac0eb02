// A password changed after migration (in the legacy application, noticed at login as
// password_resynced; or a reset at the bridge): the target's copy is told when its format
// takes an update and config.password_changes is deliver. Otherwise the change is recorded
// as an update job that is never sent (status skipped, with the reason), so that
// `migration status` can count the accounts whose target copy keeps an older password.
import type { Knex } from 'knex';
import type { Config } from '../config/schema.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { TargetFormat } from '../target/types.ts';
import { type DeliveryPayload, enqueuePasswordChange } from './outbox.ts';

export const UNDELIVERED_CHANGE = {
  unsupported: 'password change not delivered: the target format takes no update',
  policy: 'password change not delivered: password_changes is record',
} as const;

export type PasswordChangeOutcome = 'queued' | 'recorded' | 'none';

export async function passwordChanged(
  deps: { config: Config; db: Knex; box: SecretBox; target: TargetFormat },
  change: { sub: string; legacyId: string | null; password: string },
): Promise<PasswordChangeOutcome> {
  const { config, db, box, target } = deps;
  if (!target.delivers) return 'none';
  const payload: DeliveryPayload = { legacy_id: change.legacyId };
  if (config.password_changes === 'deliver' && target.updates) {
    const form = await target.passwordForm(change.password);
    await enqueuePasswordChange(db, {
      sub: change.sub,
      payload,
      secret: form === null ? null : box.seal(form),
    });
    return 'queued';
  }
  const reason = target.updates ? UNDELIVERED_CHANGE.policy : UNDELIVERED_CHANGE.unsupported;
  await db('outbox')
    .insert({
      sub: change.sub,
      kind: 'update',
      payload: JSON.stringify(payload),
      secret: null,
      status: 'skipped',
      last_error: reason,
    })
    .onConflict(['sub', 'kind'])
    .merge({ status: 'skipped', secret: null, last_error: reason, updated_at: db.fn.now() });
  return 'recorded';
}

/** Accounts whose latest password change the target was not told of. */
export async function undeliveredPasswordChanges(db: Knex): Promise<number> {
  const rows = await db('outbox')
    .where({ kind: 'update', status: 'skipped' })
    .whereIn('last_error', Object.values(UNDELIVERED_CHANGE))
    .count({ n: '*' });
  return Number(rows[0]?.n ?? 0);
}

/**
 * Of those, the users the bulk import sent without a password (--without-password) who have
 * logged in since: the target still holds the unusable password the import gave them.
 */
export async function importedWithoutPasswordNotTold(db: Knex): Promise<number> {
  const rows = await db('outbox as u')
    .join('outbox as d', function () {
      this.on('d.sub', '=', 'u.sub').andOnVal('d.kind', '=', 'deliver');
    })
    .where({ 'u.kind': 'update', 'u.status': 'skipped' })
    .whereIn('u.last_error', Object.values(UNDELIVERED_CHANGE))
    .whereRaw("d.payload->>'without_password' = 'true'")
    .count({ n: '*' });
  return Number(rows[0]?.n ?? 0);
}
