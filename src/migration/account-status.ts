// Disabling and enabling a bridge account: a disabled account cannot log in and gets no
// tokens from an existing session (findAccount does not see it). One function for the
// console and the `accounts` commands alike; the change and its audit event are written in
// one transaction, so neither exists without the other.
import type { Knex } from 'knex';
import { NotFoundError } from '../errors.ts';
import type { Audit } from '../security/audit.ts';

export interface StatusChange {
  sub: string;
  disabled: boolean;
  /** False when the account already was in that state (nothing written but the audit). */
  changed: boolean;
}

export function createAccountStatus(deps: { db: Knex; audit: Audit }) {
  const { db, audit } = deps;

  async function set(
    sub: string,
    disabled: boolean,
    by: { actor: string; reason?: string | undefined },
  ): Promise<StatusChange> {
    return db.transaction(async (trx) => {
      const row = await trx('accounts').where({ sub }).forUpdate().first('sub', 'disabled_at');
      if (!row) throw new NotFoundError(`No account with sub ${JSON.stringify(sub)}.`);
      const changed = (row.disabled_at !== null) !== disabled;
      if (changed) {
        await trx('accounts')
          .where({ sub })
          .update(
            disabled
              ? { disabled_at: trx.fn.now(), disabled_by: by.actor.slice(0, 255), updated_at: trx.fn.now() }
              : { disabled_at: null, disabled_by: null, updated_at: trx.fn.now() },
          );
      }
      await audit.record(
        {
          type: disabled ? 'admin.account_disabled' : 'admin.account_enabled',
          outcome: 'success',
          sub,
          actor: by.actor.slice(0, 64),
          details: { changed, ...(by.reason ? { reason: by.reason.slice(0, 200) } : {}) },
        },
        trx,
      );
      return { sub, disabled, changed };
    });
  }

  return {
    disable: (sub: string, by: { actor: string; reason?: string | undefined }) => set(sub, true, by),
    enable: (sub: string, by: { actor: string; reason?: string | undefined }) => set(sub, false, by),
  };
}

export type AccountStatus = ReturnType<typeof createAccountStatus>;
