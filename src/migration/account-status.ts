// Disabling, enabling and deleting a bridge account: a disabled account cannot log in and
// gets no tokens from an existing session (findAccount does not see it). One function for
// the console, the `accounts` commands and the legacy sync alike; the change and its audit
// event are written in one transaction, so neither exists without the other. Disabling and
// deleting then end the account's sessions, grants and refresh tokens.
import type { Knex } from 'knex';
import { NotFoundError } from '../errors.ts';
import type { Audit } from '../security/audit.ts';
import type { Sessions } from '../sessions/sessions.ts';

export interface StatusChange {
  sub: string;
  disabled: boolean;
  /** False when the account already was in that state (nothing written but the audit). */
  changed: boolean;
  /** What was revoked: sessions ended, logout tokens queued, grants ended with their tokens. */
  revoked?: { sessions: number; notices: number; grants: number } | undefined;
}

export interface Actor {
  actor: string;
  reason?: string | undefined;
}

export function createAccountStatus(deps: { db: Knex; audit: Audit; sessions?: Sessions | undefined }) {
  const { db, audit, sessions } = deps;

  const auditBy = (by: Actor, details: Record<string, unknown>) => ({
    actor: by.actor.slice(0, 64),
    details: { ...details, ...(by.reason ? { reason: by.reason.slice(0, 200) } : {}) },
  });

  async function set(sub: string, disabled: boolean, by: Actor): Promise<StatusChange> {
    const change = await db.transaction(async (trx) => {
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
          ...auditBy(by, { changed }),
        },
        trx,
      );
      return { sub, disabled, changed };
    });
    // After the commit: a login racing the revocation already finds the account disabled.
    if (disabled && sessions) return { ...change, revoked: await sessions.revokeAccess(sub) };
    return change;
  }

  return {
    disable: (sub: string, by: Actor) => set(sub, true, by),
    enable: (sub: string, by: Actor) => set(sub, false, by),

    /**
     * Removes the account and what hangs off it (login names, delivery jobs, second factors,
     * consent), after ending its access. A legacy user whose row still passes the filter
     * becomes a new account at their next login; disable keeps them out instead.
     */
    async remove(sub: string, by: Actor): Promise<{ sub: string; revoked: StatusChange['revoked'] }> {
      const exists = await db('accounts').where({ sub }).first('sub');
      if (!exists) throw new NotFoundError(`No account with sub ${JSON.stringify(sub)}.`);
      // Disabled first, so no new session starts while the old ones end.
      await db('accounts')
        .where({ sub })
        .update({ disabled_at: db.fn.now(), disabled_by: by.actor.slice(0, 255) });
      const revoked = sessions ? await sessions.revokeAccess(sub) : undefined;
      await db.transaction(async (trx) => {
        await trx('accounts').where({ sub }).delete();
        await audit.record(
          { type: 'admin.account_deleted', outcome: 'success', sub, ...auditBy(by, { ...revoked }) },
          trx,
        );
      });
      return { sub, revoked };
    },
  };
}

export type AccountStatus = ReturnType<typeof createAccountStatus>;
